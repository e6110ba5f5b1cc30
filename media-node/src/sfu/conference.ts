/**
 * A conference on this media node (JVB's Conference), a facade over its collaborators: the
 * endpoints (endpoint.ts), the packet routing by SSRC (rtp-router.ts, with the receivers'
 * feedback in receiver-feedback.ts and one video forwarder per receiver and source), the periodic
 * receiver reports, transport-cc feedback and bandwidth allocation (periodic-feedback.ts,
 * bandwidth-allocator.ts). What it keeps itself is the conference-wide policy: dominant speaker,
 * last-N selection and the constraints each sender is told.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { serializeBridgeMessage, type Colibri2MediaSource } from '@edgemeet/protocol';
import { realClock, type Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { ConferenceControl } from './conference-control.ts';
import type { SfuContext } from './context.ts';
import { DominantSpeakerDetector, lastNSelection } from './dominant-speaker.ts';
import { SfuEndpoint, type EndpointHost } from './endpoint.ts';
import type { MediaTransport } from './media-transport.ts';
import { PeriodicFeedback } from './periodic-feedback.ts';
import { RtpRouter } from './rtp-router.ts';

/** The tallest video a sender is ever asked for (JVB's limit). */
const MAX_SEND_HEIGHT = 2160;

export class SfuConference implements ConferenceControl {
  readonly id = randomBytes(8).toString('hex');
  readonly #endpoints = new Map<string, SfuEndpoint>();
  readonly #feedback: Colibri2MediaSource[];
  readonly #log: Logger;
  readonly #speakers = new DominantSpeakerDetector();
  readonly #clock: Clock;
  readonly #router: RtpRouter;
  readonly #host: EndpointHost;
  /** Receiver reports, transport-cc feedback, ConnectionStats and the bandwidth allocation, on timers. */
  readonly periodic: PeriodicFeedback;

  readonly meetingId: string;
  readonly name: string | undefined;
  readonly ctx: SfuContext;

  constructor(meetingId: string, name: string | undefined, ctx: SfuContext) {
    this.meetingId = meetingId;
    this.name = name;
    this.ctx = ctx;
    this.#clock = ctx.clock ?? realClock;
    this.#log = ctx.log.child({ conference: this.id, meeting: meetingId });
    const ssrc = () => randomBytes(4).readUInt32BE(0) || 1;
    this.#feedback = [
      { type: 'audio', id: 'jvb-a0', sources: [{ ssrc: ssrc(), name: 'jvb-a0' }], groups: [] },
      { type: 'video', id: 'jvb-v0', sources: [{ ssrc: ssrc(), name: 'jvb-v0' }], groups: [] },
    ];
    this.#router = new RtpRouter({
      endpoints: this.#endpoints, clock: this.#clock, dropPermille: ctx.dropPermille, onAudioLevel: (from, level) => this.#speakerActivity(from, level),
    });
    this.#host = {
      conferenceId: this.id,
      packets: this.#router,
      sourcesChanged: () => {
        this.#router.reindex();
        this.updateForwarding();
      },
    };
    this.periodic = new PeriodicFeedback(this, ctx.faults, this.#clock);
  }

  get size(): number {
    return this.#endpoints.size;
  }

  endpoint(id: string): SfuEndpoint | undefined {
    return this.#endpoints.get(id);
  }

  endpoints(): IterableIterator<SfuEndpoint> {
    return this.#endpoints.values();
  }

  /** `transport`: an in-process transport (e.g. a recorder's) instead of ICE/DTLS on the node's port. */
  createEndpoint(id: string, options: { statsId?: string; transport?: MediaTransport; ssrcRewriting?: boolean } = {}): SfuEndpoint {
    const ep = new SfuEndpoint(id, this.#host, this.ctx, options.transport);
    if (options.ssrcRewriting) {
      const limits = this.ctx.ssrcLimits ?? { audio: 50, video: 50 };
      ep.enableSsrcRewriting(limits.audio, limits.video, (ssrc) => this.#router.owns(ssrc));
    }
    this.#endpoints.set(id, ep);
    ep.transport.onStateChange.subscribe((state) => {
      this.#log.info('endpoint.transport', { endpoint: id, state });
      // A newcomer can only decode video from a keyframe: ask every video sender for one now,
      // instead of waiting for its next periodic keyframe (seconds away).
      if (state === 'connected') this.#router.requestKeyframes(ep);
    });
    return ep;
  }

  expireEndpoint(id: string): void {
    const ep = this.#endpoints.get(id);
    if (!ep) return;
    ep.close();
    this.#endpoints.delete(id);
    for (const other of this.#endpoints.values()) other.rewriting?.removeOwner(id);
    this.#speakers.remove(id);
    this.#router.reindex();
    this.updateForwarding();
  }

  /** Decrypted packets from an endpoint (what its transport hands on), for tests and benchmarks that skip the transport. */
  routeRtp(from: SfuEndpoint, rtp: Buffer): void {
    this.#router.routeRtp(from, rtp);
  }

  routeRtcp(from: SfuEndpoint, rtcp: Buffer): void {
    this.#router.routeRtcp(from, rtcp);
  }

  /**
   * A receiver's video constraints changed (bridge channel): max heights keyed by source name or,
   * from older clients, endpoint id; `fallback` applies to everything else.
   */
  setConstraints(ep: SfuEndpoint, byKey: ReadonlyMap<string, number>, fallback: number): void {
    ep.setConstraints(byKey, fallback);
    this.updateSenderConstraints();
  }

  /**
   * Tells each sender the tallest video its receivers want from each of its sources (JVB's
   * SenderSourceConstraints, and SenderVideoConstraints for older clients), so that it stops
   * encoding layers nobody gets. Sent when the value changes.
   */
  updateSenderConstraints(): void {
    for (const sender of this.#endpoints.values()) {
      for (const source of sender.videoSources) {
        let wanted = 0;
        for (const r of this.#endpoints.values()) {
          if (r === sender || !r.receivesVideoOf(sender.id)) continue;
          wanted = Math.max(wanted, Math.min(MAX_SEND_HEIGHT, r.maxHeightFor(source)));
        }
        sender.tellSenderConstraint(source, wanted);
      }
    }
  }

  /** A receiver's last-N changed (bridge channel). */
  setLastN(ep: SfuEndpoint, lastN: number): void {
    ep.setLastN(lastN);
    this.updateForwarding();
  }

  /** Recomputes every receiver's last-N selection; tells receivers whose forwarded sources changed. */
  updateForwarding(): void {
    const all = [...this.#endpoints.keys()];
    for (const ep of this.#endpoints.values()) {
      const next = ep.lastN < 0 ? null : lastNSelection(this.#speakers.order, all, ep.id, ep.lastN);
      if (!ep.setForwarded(next)) continue;
      const endpoints = [...(next ?? all.filter((e) => e !== ep.id))];
      const forwardedSources = endpoints.flatMap((id) =>
        (this.#endpoints.get(id)?.sources ?? []).filter((s) => s.type === 'video').map((s) => s.id));
      ep.sendToChannel(serializeBridgeMessage({ colibriClass: 'ForwardedSources', forwardedSources }));
      // Clients from before source names (lib-jitsi-meet up to 2022) listen to the endpoint-based form.
      ep.sendToChannel(serializeBridgeMessage({ colibriClass: 'LastNEndpointsChangeEvent', lastNEndpoints: endpoints }));
    }
    this.updateSenderConstraints();
  }

  #speakerActivity(from: SfuEndpoint, level: number): void {
    const change = this.#speakers.onLevel(from.id, level, this.#clock.now());
    if (!change) return;
    const event = serializeBridgeMessage({
      colibriClass: 'DominantSpeakerEndpointChangeEvent', dominantSpeakerEndpoint: change.dominant, previousSpeakers: [...change.previous], silence: false,
    });
    for (const ep of this.#endpoints.values()) ep.sendToChannel(event);
    this.updateForwarding();
  }

  feedbackSources(): Colibri2MediaSource[] {
    return this.#feedback;
  }

  /** Endpoint ids, most recent dominant speaker first. */
  get speakerOrder(): readonly string[] {
    return this.#speakers.order;
  }

  /** The SSRC the node's own RTCP (receiver reports, transport-cc) comes from. */
  get reporterSsrc(): number {
    return this.#feedback[1]!.sources[0]!.ssrc;
  }

  /** A bridge channel was attached to `ep` and greeted (ServerHello): it hears its sender constraints afresh, and who is speaking now. */
  channelOpened(ep: SfuEndpoint): void {
    this.updateSenderConstraints();
    this.greetChannel(ep);
  }

  /** A (re)opened bridge channel learns who is speaking now, as JVB tells a newly connected endpoint. */
  greetChannel(ep: SfuEndpoint): void {
    const dominant = this.#speakers.dominant;
    if (!dominant || !ep.hasChannel) return;
    ep.sendToChannel(serializeBridgeMessage({
      colibriClass: 'DominantSpeakerEndpointChangeEvent', dominantSpeakerEndpoint: dominant,
      previousSpeakers: this.#speakers.order.slice(1, 11), silence: false,
    }));
  }

  /** Packets forwarded, sent again from the cache, and NACKs passed on to senders (for /about/stats). */
  get forwardedPackets(): number {
    return this.#router.forwardedPackets;
  }

  get retransmitted(): number {
    return this.#router.feedback.retransmitted;
  }

  get nacksForwarded(): number {
    return this.#router.feedback.nacksForwarded;
  }

  close(): void {
    this.periodic.stop();
    for (const ep of this.#endpoints.values()) ep.close();
    this.#endpoints.clear();
  }
}
