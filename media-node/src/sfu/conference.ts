/**
 * A conference on this media node (JVB's Conference): the routing table from Colibri2 sources
 * (which SSRC belongs to whom, simulcast layers), RTP forwarding (audio as is, video one layer
 * per receiver), RTCP (PLI/NACK back to the sender or answered from the cache, SRs on to the
 * receivers), last-N, dominant speaker and sender constraints. Endpoints are in endpoint.ts; the
 * periodic receiver reports, transport-cc feedback, ConnectionStats and bandwidth allocation in
 * periodic-feedback.ts.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { serializeBridgeMessage, type Colibri2MediaSource } from '@edgemeet/protocol';
import type { ConferenceControl, EndpointControl } from './conference-control.ts';
import type { Logger } from '../log.ts';
import { DominantSpeakerDetector, audioLevel, lastNSelection } from './dominant-speaker.ts';
import { SfuEndpoint, type SfuContext } from './endpoint.ts';
import { nackedSequences } from './packet-cache.ts';
import { PeriodicFeedback } from './periodic-feedback.ts';
import { ReceptionStats } from './receiver-reports.ts';
import {
  RTCP_PSFB, RTCP_RTPFB, RTCP_SR, headerExtensionAt, payloadOffset, pli, rembBitrate, rewriteRtp, senderInfoReport, seqOf, ssrcOf, stripHeaderExtensions, timestampOf,
} from './rtp.ts';
import { VideoSource, type LayerRef } from './simulcast.ts';


/** The audio-level header extension id the focus offers (focus/src/jingle/offer-template.ts). */
const AUDIO_LEVEL_EXT_ID = 1;
/** The transport-wide sequence number extension id the focus offers (Jicofo's 5). */
const TRANSPORT_CC_EXT_ID = 5;
/** Forwarded packets keep only the audio level: the sender's mid (and anything else about its own m-lines) goes. */
const keepForwardedExtension = (id: number): boolean => id === AUDIO_LEVEL_EXT_ID;

/** The tallest video a sender is ever asked for (JVB's limit). */
const MAX_SEND_HEIGHT = 2160;

export class SfuConference implements ConferenceControl {
  readonly id = randomBytes(8).toString('hex');
  readonly #endpoints = new Map<string, SfuEndpoint>();
  /** SSRC → owning endpoint, media type and, for video, its place in a (simulcast) source. */
  #owners = new Map<number, { endpoint: SfuEndpoint; type: 'audio' | 'video'; ref?: LayerRef }>();
  readonly #feedback: Colibri2MediaSource[];
  readonly #log: Logger;
  readonly #speakers = new DominantSpeakerDetector();
  readonly #dropPermille: number;
  /** Receiver reports, transport-cc feedback, ConnectionStats and the bandwidth allocation, on timers. */
  readonly periodic: PeriodicFeedback;
  /** Where a retransmission is put together before it is encrypted (sendRtp is synchronous). */
  readonly #scratch = Buffer.alloc(1500);
  /** NACKed packets the node sent again from its cache, and NACKs it had to pass to the sender. */
  retransmitted = 0;
  nacksForwarded = 0;
  forwardedPackets = 0;

  readonly meetingId: string;
  readonly name: string | undefined;
  readonly ctx: SfuContext;

  constructor(meetingId: string, name: string | undefined, ctx: SfuContext) {
    this.meetingId = meetingId;
    this.name = name;
    this.ctx = ctx;
    this.#log = ctx.log.child({ conference: this.id, meeting: meetingId });
    const ssrc = () => randomBytes(4).readUInt32BE(0) || 1;
    this.#feedback = [
      { type: 'audio', id: 'jvb-a0', sources: [{ ssrc: ssrc(), name: 'jvb-a0' }], groups: [] },
      { type: 'video', id: 'jvb-v0', sources: [{ ssrc: ssrc(), name: 'jvb-v0' }], groups: [] },
    ];
    this.#dropPermille = ctx.dropPermille ?? 0;
    this.periodic = new PeriodicFeedback(this, ctx.faults);
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

  createEndpoint(id: string): EndpointControl {
    const ep = new SfuEndpoint(id, this, this.ctx);
    this.#endpoints.set(id, ep);
    ep.transport.onStateChange.subscribe((state) => {
      this.#log.info('endpoint.transport', { endpoint: id, state });
      // A newcomer can only decode video from a keyframe: ask every video sender for one now,
      // instead of waiting for its next periodic keyframe (seconds away).
      if (state === 'connected') this.requestKeyframes(ep);
    });
    return ep;
  }

  /** Sends a PLI (RFC 4585 §6.3.1) for every video source of the others to their senders. */
  requestKeyframes(except: SfuEndpoint): void {
    for (const [ssrc, owner] of this.#owners) {
      if (owner.type !== 'video' || owner.ref?.rtx || owner.endpoint === except || owner.endpoint.transport.state !== 'connected') continue;
      owner.endpoint.transport.sendRtcp(pli(ssrc));
    }
  }

  expireEndpoint(id: string): void {
    const ep = this.#endpoints.get(id);
    if (!ep) return;
    ep.close();
    this.#endpoints.delete(id);
    this.#speakers.remove(id);
    this.reindex();
    this.updateForwarding();
  }

  /**
   * A receiver's video constraints changed (bridge channel): max heights keyed by source name or,
   * from older clients, endpoint id; `fallback` applies to everything else.
   */
  setConstraints(ep: SfuEndpoint, byKey: ReadonlyMap<string, number>, fallback: number): void {
    ep.constraints = { byKey, fallback };
    for (const fw of ep.forwarders.values()) fw.setMaxHeight(ep.effectiveMaxHeight(fw.source));
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
          if (r === sender || (r.forwarded !== null && !r.forwarded.has(sender.id))) continue;
          wanted = Math.max(wanted, Math.min(MAX_SEND_HEIGHT, r.maxHeightFor(source)));
        }
        if (wanted === source.toldSender || !sender.channel) continue;
        source.toldSender = wanted;
        sender.channel.send(serializeBridgeMessage({ colibriClass: 'SenderSourceConstraints', sourceName: source.id, maxHeight: wanted }));
        sender.channel.send(serializeBridgeMessage({ colibriClass: 'SenderVideoConstraints', videoConstraints: { idealHeight: wanted } }));
      }
    }
  }

  /** A receiver's last-N changed (bridge channel). */
  setLastN(ep: SfuEndpoint, lastN: number): void {
    ep.lastN = lastN;
    this.updateForwarding();
  }

  /** Recomputes every receiver's last-N selection; tells receivers whose forwarded sources changed. */
  updateForwarding(): void {
    const all = [...this.#endpoints.keys()];
    for (const ep of this.#endpoints.values()) {
      const next = ep.lastN < 0 ? null : lastNSelection(this.#speakers.order, all, ep.id, ep.lastN);
      const before = ep.forwarded;
      ep.forwarded = next;
      const same = before === next || (before !== null && next !== null && before.size === next.size && [...next].every((e) => before.has(e)));
      if (same) continue;
      const forwardedSources = [...(next ?? all.filter((e) => e !== ep.id))].flatMap((id) =>
        (this.#endpoints.get(id)?.sources ?? []).filter((s) => s.type === 'video').map((s) => s.id));
      const endpoints = [...(next ?? all.filter((e) => e !== ep.id))];
      ep.channel?.send(serializeBridgeMessage({ colibriClass: 'ForwardedSources', forwardedSources }));
      // Clients from before source names (lib-jitsi-meet up to 2022) listen to the endpoint-based form.
      ep.channel?.send(serializeBridgeMessage({ colibriClass: 'LastNEndpointsChangeEvent', lastNEndpoints: endpoints }));
    }
    this.updateSenderConstraints();
  }

  #speakerActivity(from: SfuEndpoint, rtp: Buffer): void {
    const level = audioLevel(rtp, AUDIO_LEVEL_EXT_ID);
    if (level === undefined) return;
    const change = this.#speakers.onLevel(from.id, level, performance.now());
    if (!change) return;
    const event = serializeBridgeMessage({
      colibriClass: 'DominantSpeakerEndpointChangeEvent', dominantSpeakerEndpoint: change.dominant, previousSpeakers: [...change.previous], silence: false,
    });
    for (const ep of this.#endpoints.values()) ep.channel?.send(event);
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

  reindex(): void {
    const owners = new Map<number, { endpoint: SfuEndpoint; type: 'audio' | 'video'; ref?: LayerRef }>();
    const live = new Set<VideoSource>();
    for (const ep of this.#endpoints.values()) {
      for (const ms of ep.sources) for (const s of ms.sources) owners.set(s.ssrc, { endpoint: ep, type: ms.type });
      // Keep a source's state (layer heights, forwarders) while its SSRCs stay the same.
      const kept = new Map(ep.videoSources.map((v) => [v.layers.map((l) => `${l.ssrc}/${l.rtx ?? ''}`).join(','), v]));
      ep.videoSources = ep.sources.filter((ms) => ms.type === 'video').flatMap((ms) => {
        const fresh = VideoSource.fromColibri(ep.id, ms);
        if (!fresh) return [];
        return [kept.get(fresh.layers.map((l) => `${l.ssrc}/${l.rtx ?? ''}`).join(',')) ?? fresh];
      });
      for (const v of ep.videoSources) {
        live.add(v);
        for (const [ssrc, ref] of v.refs()) owners.set(ssrc, { endpoint: ep, type: 'video', ref });
      }
    }
    for (const ep of this.#endpoints.values()) for (const v of ep.forwarders.keys()) if (!live.has(v)) ep.forwarders.delete(v);
    for (const ep of this.#endpoints.values()) for (const ssrc of ep.reception.keys()) if (owners.get(ssrc)?.endpoint !== ep) ep.reception.delete(ssrc);
    this.#owners = owners;
  }

  /** Records a packet's transport-wide sequence number and arrival time for the sender's transport-cc feedback. */
  noteArrival(from: SfuEndpoint, rtp: Buffer): void {
    const twcc = headerExtensionAt(rtp, TRANSPORT_CC_EXT_ID);
    if (twcc >= 0 && twcc + 2 <= rtp.length) from.transportFeedback.onPacket(rtp.readUInt16BE(twcc), from.transport.arrivalMs);
  }

  routeRtp(from: SfuEndpoint, rtp: Buffer): void {
    if (payloadOffset(rtp) < 0) return;
    this.noteArrival(from, rtp);
    const ssrc = ssrcOf(rtp);
    const owner = this.#owners.get(ssrc);
    // Only signalled sources are forwarded: an endpoint cannot inject a stream it did not announce.
    if (!owner || owner.endpoint !== from) return;
    if (!owner.ref?.rtx) {
      let stats = from.reception.get(ssrc);
      if (!stats) from.reception.set(ssrc, stats = new ReceptionStats(ssrc, owner.type === 'audio' ? 48_000 : 90_000));
      stats.onPacket(seqOf(rtp), timestampOf(rtp), performance.now());
    }
    if ((owner.type === 'audio' && from.audioMuted) || (owner.type === 'video' && from.videoMuted)) return;
    if (owner.type === 'audio') this.#speakerActivity(from, rtp);
    stripHeaderExtensions(rtp, keepForwardedExtension);
    if (owner.ref) {
      this.#routeVideo(from, rtp, owner.ref);
      return;
    }
    for (const ep of this.#endpoints.values()) {
      if (ep === from || ep.transport.state !== 'connected') continue;
      ep.transport.sendRtp(rtp);
      this.forwardedPackets += 1;
    }
  }

  /**
   * A packet of a video source (one of its simulcast layers, or its only one): each receiver gets
   * the layer it chose, rewritten onto the first layer's SSRC, starting at a keyframe.
   */
  #routeVideo(from: SfuEndpoint, rtp: Buffer, ref: LayerRef): void {
    const now = performance.now();
    const { source, layer } = ref;
    const keyframe = !ref.rtx && source.onPacket(layer, rtp, now);
    if (!ref.rtx) source.cache(layer).put(rtp, seqOf(rtp), now);
    source.expireLayers(now);
    const ssrc = ssrcOf(rtp);
    const seq = seqOf(rtp);
    const ts = timestampOf(rtp);
    const osnAt = ref.rtx ? payloadOffset(rtp) : -1;
    const osn = osnAt >= 0 && osnAt + 2 <= rtp.length ? rtp.readUInt16BE(osnAt) : -1;
    for (const ep of this.#endpoints.values()) {
      if (ep === from) continue;
      if (ep.transport.state !== 'connected' || (ep.forwarded !== null && !ep.forwarded.has(from.id))) {
        // Resuming later starts again at a keyframe.
        ep.forwarders.get(source)?.pause();
        continue;
      }
      const fw = ep.forwarderFor(source);
      const send = ref.rtx ? fw.forwardRtx(rtp, layer) : fw.forward(rtp, layer, keyframe, now);
      if (send && !ref.rtx && this.#dropPermille > 0 && Math.random() * 1000 < this.#dropPermille) {
        // Injected loss: the receiver sees a gap and NACKs it; the cache answers.
        rewriteRtp(rtp, ssrc, seq, ts);
      } else if (send) {
        ep.transport.sendRtp(rtp);
        this.forwardedPackets += 1;
        // The next receiver rewrites from the original fields.
        rewriteRtp(rtp, ssrc, seq, ts);
        if (osn >= 0) rtp.writeUInt16BE(osn, osnAt);
      }
      const wanted = fw.keyframeNeeded(now);
      if (wanted !== undefined && from.transport.state === 'connected') from.transport.sendRtcp(pli(wanted));
    }
  }

  /** Feedback about a media SSRC goes to the endpoint that sends it (PLI, FIR, NACK). */
  routeRtcp(from: SfuEndpoint, rtcp: Buffer): void {
    let offset = 0;
    while (offset + 12 <= rtcp.length) {
      const type = rtcp[offset + 1]!;
      const length = (rtcp.readUInt16BE(offset + 2) + 1) * 4;
      if (offset + length > rtcp.length) return;
      if (type === RTCP_SR) this.#forwardSenderReport(from, rtcp.subarray(offset, offset + length));
      if (type === RTCP_PSFB) {
        const remb = rembBitrate(rtcp.subarray(offset, offset + length));
        if (remb !== undefined) from.downlinkBps = remb;
      }
      if (type === RTCP_PSFB || type === RTCP_RTPFB) {
        const mediaSsrc = rtcp.readUInt32BE(offset + 8);
        const owner = this.#owners.get(mediaSsrc);
        if (owner && owner.endpoint !== from) {
          const packet = rtcp.subarray(offset, offset + length);
          const isNack = type === RTCP_RTPFB && (packet[0]! & 0x1f) === 1;
          if (isNack && this.#answerNack(from, owner.ref, packet)) {
            // Every packet asked for was sent again from the cache: the sender need not hear of it.
          } else if (owner.endpoint.transport.state === 'connected' && this.#toSenderLayer(from, owner.ref, packet)) {
            if (isNack) this.nacksForwarded++;
            owner.endpoint.transport.sendRtcp(packet);
          }
        }
      }
      offset += length;
    }
  }

  /**
   * Answers a receiver's NACK about a video source from the node's cache of the layer it gets.
   * True when every packet asked for was there and has been sent again.
   */
  #answerNack(from: SfuEndpoint, ref: LayerRef | undefined, nack: Buffer): boolean {
    if (!ref || ref.layer !== 0 || ref.rtx || from.transport.state !== 'connected') return false;
    const fw = from.forwarders.get(ref.source);
    if (!fw || fw.current < 0) return false;
    const cache = ref.source.cache(fw.current);
    const now = performance.now();
    let all = true;
    for (const seq of nackedSequences(nack)) {
      const kept = cache.get(fw.originalSeq(seq), now);
      if (!kept) {
        all = false;
        continue;
      }
      from.transport.sendRtp(fw.retransmission(kept, this.#scratch));
      this.retransmitted++;
    }
    return all;
  }

  /**
   * A sender's SR goes on to the receivers of that stream (sender info only), so that they can
   * synchronise audio and video and report round trips: for video, only to receivers that get
   * this layer, on the SSRC and timeline they know it by.
   */
  #forwardSenderReport(from: SfuEndpoint, sr: Buffer): void {
    const ssrc = sr.readUInt32BE(4);
    const owner = this.#owners.get(ssrc);
    if (!owner || owner.endpoint !== from || owner.ref?.rtx) return;
    if (sr.length >= 16) from.reception.get(ssrc)?.onSenderReport(sr.readUInt32BE(10), performance.now());
    const ref = owner.ref;
    const plain = ref ? null : senderInfoReport(sr, ssrc, 0);
    for (const ep of this.#endpoints.values()) {
      if (ep === from || ep.transport.state !== 'connected') continue;
      let report = plain;
      if (ref) {
        const fw = ep.forwarders.get(ref.source);
        if (!fw || fw.current !== ref.layer) continue;
        report = senderInfoReport(sr, ref.source.primary.ssrc, fw.timestampOffset);
      }
      if (report) ep.transport.sendRtcp(report);
    }
  }

  /**
   * Feedback a receiver sends about a simulcast source's signalled SSRC is about the layer it
   * actually gets: the media SSRC (and a NACK's sequence numbers) are mapped back, in place.
   * False when there is nothing to map to (no layer forwarded yet).
   */
  #toSenderLayer(from: SfuEndpoint, ref: LayerRef | undefined, packet: Buffer): boolean {
    if (!ref || ref.layer !== 0 || ref.rtx) return true;
    const fw = from.forwarders.get(ref.source);
    const ssrc = fw?.currentSsrc;
    if (!fw || ssrc === undefined) return false;
    packet.writeUInt32BE(ssrc >>> 0, 8);
    const fmt = packet[0]! & 0x1f;
    if (packet[1] === RTCP_RTPFB && fmt === 1) {
      for (let i = 12; i + 4 <= packet.length; i += 4) packet.writeUInt16BE(fw.originalSeq(packet.readUInt16BE(i)), i);
    }
    return true;
  }

  /** A (re)opened bridge channel learns who is speaking now, as JVB tells a newly connected endpoint. */
  greetChannel(ep: SfuEndpoint): void {
    const dominant = this.#speakers.dominant;
    if (!dominant || !ep.channel) return;
    ep.channel.send(serializeBridgeMessage({
      colibriClass: 'DominantSpeakerEndpointChangeEvent', dominantSpeakerEndpoint: dominant,
      previousSpeakers: this.#speakers.order.slice(1, 11), silence: false,
    }));
  }

  close(): void {
    this.periodic.stop();
    for (const ep of this.#endpoints.values()) ep.close();
    this.#endpoints.clear();
  }
}
