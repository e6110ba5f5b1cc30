/**
 * An endpoint of a conference on this media node (JVB's Endpoint): its transport, its bridge
 * channel, the sources it sends (with their simulcast layers and reception statistics) and, as a
 * receiver, its constraints, last-N selection and one forwarder per video source of the others.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Colibri2MediaSource, IceUdpTransport } from '@edgemeet/protocol';
import type { EndpointControl } from './conference-control.ts';
import type { Faults } from '../faults.ts';
import type { Logger } from '../log.ts';
import type { DtlsIdentity } from '../transport/certificate.ts';
import { EndpointTransport } from '../transport/endpoint-transport.ts';
import type { UdpMux } from '../transport/udp-mux.ts';
import type { SfuConference } from './conference.ts';
import type { ReceptionStats } from './receiver-reports.ts';
import { LayerForwarder, type VideoSource } from './simulcast.ts';
import { TransportFeedback } from './transport-cc.ts';

export interface SfuContext {
  readonly mux: UdpMux;
  readonly identity: DtlsIdentity;
  readonly publicIp: string;
  readonly log: Logger;
  /** Where handlers that throw are reported (counted in /about/stats); the node's own in production. */
  readonly faults: Faults;
  /** Base of bridge-channel URLs, `ws(s)://host:port/colibri-ws/<node>`; unset: no bridge channel. Set once the server listens. */
  channelUrl?: string;
  /** Fault injection for tests (MEDIA_DROP_PERMILLE): forwarded video packets dropped per thousand. */
  readonly dropPermille?: number;
}

export class SfuEndpoint implements EndpointControl {
  readonly transport: EndpointTransport;
  /** Password of this endpoint's bridge channel (`?pwd=` of its colibri-ws URL). */
  readonly channelPassword = randomBytes(12).toString('hex');
  /** The open bridge channel, if any (a new one replaces the old). */
  channel: { send(text: string): void; close(code?: number, reason?: string): void } | null = null;
  /** Receiver's last-N from ReceiverVideoConstraints (-1: unlimited). */
  lastN = -1;
  /** Endpoints whose video this receiver gets under last-N; null: everyone's. */
  forwarded: Set<string> | null = null;
  sources: readonly Colibri2MediaSource[] = [];
  /** This endpoint's video sources with their simulcast layers (rebuilt by the conference's reindex). */
  videoSources: VideoSource[] = [];
  /** As a receiver: the bandwidth its browser last estimated for what it receives (its REMB), bits/s. */
  downlinkBps: number | null = null;
  /** As a sender: reception statistics per SSRC it sends, for the node's receiver reports. */
  readonly reception = new Map<number, ReceptionStats>();
  /** As a sender: arrival times of its packets, reported back as transport-cc feedback. */
  readonly transportFeedback = new TransportFeedback();
  /** As a receiver: one forwarder per simulcast source of the others. */
  readonly forwarders = new Map<VideoSource, LayerForwarder>();
  /** As a receiver: height caps from the bandwidth allocation (its downlink estimate), on top of its constraints. */
  bandwidthCaps: ReadonlyMap<VideoSource, number> = new Map();
  /** Until when the caps hold (then the full constraints are tried again). */
  capsUntil = 0;
  /** As a receiver: max heights from ReceiverVideoConstraints, by source name or endpoint id. */
  constraints: { byKey: ReadonlyMap<string, number>; fallback: number } = { byKey: new Map(), fallback: Infinity };
  audioMuted = false;
  videoMuted = false;

  readonly id: string;
  readonly conference: SfuConference;

  constructor(id: string, conference: SfuConference, ctx: SfuContext) {
    this.id = id;
    this.conference = conference;
    this.transport = new EndpointTransport({ mux: ctx.mux, identity: ctx.identity, publicIp: ctx.publicIp, faults: ctx.faults });
    this.transport.onRtp = (rtp) => conference.routeRtp(this, rtp);
    this.transport.onRtcp = (rtcp) => conference.routeRtcp(this, rtcp);
    this.transport.onEarlyRtp = (rtp) => conference.noteArrival(this, rtp);
  }

  localTransport(): IceUdpTransport {
    const p = this.transport.localParameters();
    const ws = this.conference.ctx.channelUrl;
    return {
      ufrag: p.ufrag, pwd: p.pwd, rtcpMux: true,
      webSocketUrls: ws ? [`${ws}/${this.conference.id}/${this.id}?pwd=${this.channelPassword}`] : [],
      fingerprints: [{ hash: p.fingerprint.hash, value: p.fingerprint.value, setup: p.fingerprint.setup }],
      candidates: p.candidates.map((c) => ({ ...c })),
    };
  }

  setRemoteTransport(t: IceUdpTransport): void {
    const fp = t.fingerprints[0];
    if (fp) this.transport.setRemoteFingerprint(fp.hash, fp.value);
    if (t.ufrag && t.pwd) this.transport.setRemoteIce(t.ufrag, t.pwd);
  }

  setSources(sources: readonly Colibri2MediaSource[]): void {
    this.sources = sources;
    this.conference.reindex();
    this.conference.updateForwarding();
  }

  /** The tallest video this receiver wants from `source` (Infinity: no limit; 0: none). */
  maxHeightFor(source: VideoSource): number {
    return this.constraints.byKey.get(source.id) ?? this.constraints.byKey.get(source.owner) ?? this.constraints.fallback;
  }

  /** The tallest video to forward from `source`: its constraint, lowered to what its downlink allows. */
  effectiveMaxHeight(source: VideoSource): number {
    return Math.min(this.maxHeightFor(source), this.bandwidthCaps.get(source) ?? Infinity);
  }

  /** The forwarder for a simulcast source, made on first use. */
  forwarderFor(source: VideoSource): LayerForwarder {
    let fw = this.forwarders.get(source);
    if (!fw) {
      fw = new LayerForwarder(source);
      fw.setMaxHeight(this.effectiveMaxHeight(source));
      this.forwarders.set(source, fw);
    }
    return fw;
  }

  forceMute(audio: boolean | undefined, video: boolean | undefined): void {
    if (audio !== undefined) this.audioMuted = audio;
    if (video !== undefined) this.videoMuted = video;
  }

  close(): void {
    this.transport.close();
    this.channel?.close(1001, 'endpoint expired');
    this.channel = null;
  }
}
