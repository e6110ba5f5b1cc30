/**
 * An endpoint of a conference on this media node (JVB's Endpoint): its transport, its bridge
 * channel, the sources it sends (with their simulcast layers and reception statistics) and, as a
 * receiver, its constraints, last-N selection, downlink estimate, bandwidth caps and one
 * forwarder per video source of the others. Its state changes only through its methods; it knows
 * its conference only as an {@link EndpointHost}.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { serializeBridgeMessage, type Colibri2Media, type Colibri2MediaSource, type IceUdpTransport } from '@edgemeet/protocol';
import { realClock } from '../clock.ts';
import { EndpointTransport } from '../transport/endpoint-transport.ts';
import type { EndpointControl } from './conference-control.ts';
import type { SfuContext } from './context.ts';
import { DEFAULT_HEADER_EXTENSION_IDS, headerExtensionIds, type HeaderExtensionIds } from './header-extensions.ts';
import type { MediaTransport } from './media-transport.ts';
import { ReceptionStats } from './receiver-reports.ts';
import { VideoSource } from './simulcast.ts';
import { SsrcRewriting } from './ssrc-rewriting.ts';
import { TransportFeedback } from './transport-cc.ts';
import { createVideoForwarder } from './forwarder-factory.ts';
import type { VideoForwarder } from './video-forwarder.ts';

/** An open bridge channel (colibri-ws), as the SFU uses it. */
export interface BridgeChannel {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** What an endpoint needs of its conference. */
export interface EndpointHost {
  /** The node's id of the conference (in colibri-ws URLs). */
  readonly conferenceId: string;
  /** Where the endpoint's decrypted packets go (the conference's router). */
  readonly packets: {
    routeRtp(from: SfuEndpoint, rtp: Buffer): void;
    routeRtcp(from: SfuEndpoint, rtcp: Buffer): void;
    /** RTP from a peer not verified yet: only its arrival is noted (transport-cc). */
    noteArrival(from: SfuEndpoint, rtp: Buffer): void;
  };
  /** The endpoint's Colibri2 sources changed. */
  sourcesChanged(endpoint: SfuEndpoint): void;
}

/** A receiver's ReceiverVideoConstraints: max heights by source name or endpoint id, and the rest. */
interface VideoConstraints { readonly byKey: ReadonlyMap<string, number>; readonly fallback: number }

const sourceKey = (v: VideoSource): string => v.layers.map((l) => `${l.ssrc}/${l.rtx ?? ''}`).join(',');

export class SfuEndpoint implements EndpointControl {
  readonly id: string;
  readonly transport: MediaTransport;
  /** Password of this endpoint's bridge channel (`?pwd=` of its colibri-ws URL). */
  readonly channelPassword = randomBytes(12).toString('hex');
  /** As a sender: arrival times of its packets, reported back as transport-cc feedback. */
  readonly transportFeedback = new TransportFeedback();
  readonly #host: EndpointHost;
  readonly #ctx: SfuContext;
  #channel: BridgeChannel | null = null;
  #lastN = -1;
  #forwarded: ReadonlySet<string> | null = null;
  #sources: readonly Colibri2MediaSource[] = [];
  #headerExtensions: HeaderExtensionIds = DEFAULT_HEADER_EXTENSION_IDS;
  /** The payload type of VP9 in this endpoint's Colibri2 media (-1: not offered). */
  #vp9PayloadType = -1;
  #av1PayloadType = -1;
  #h264PayloadType = -1;
  #videoSources: readonly VideoSource[] = [];
  #downlinkBps: number | null = null;
  /** As a sender: reception statistics per SSRC it sends, for the node's receiver reports. */
  readonly #reception = new Map<number, ReceptionStats>();
  /** As a sender: the tallest video its receivers want, per source, as last told to it. */
  readonly #toldSender = new Map<VideoSource, number>();
  /** As a receiver: one forwarder per video source of the others. */
  readonly #forwarders = new Map<VideoSource, VideoForwarder>();
  #bandwidthCaps: ReadonlyMap<VideoSource, number> = new Map();
  #capsUntil = 0;
  #constraints: VideoConstraints = { byKey: new Map(), fallback: Infinity };
  #audioMuted = false;
  #videoMuted = false;
  #rewriting: SsrcRewriting | null = null;

  /** `transport`: an in-process one (a recorder's); by default the node's ICE/DTLS transport on the shared port. */
  constructor(id: string, host: EndpointHost, ctx: SfuContext, transport?: MediaTransport) {
    this.id = id;
    this.#host = host;
    this.#ctx = ctx;
    this.transport = transport ?? new EndpointTransport({
      mux: ctx.mux, identity: ctx.identity, publicIp: ctx.publicIp, faults: ctx.faults, clock: ctx.clock ?? realClock,
    });
    this.transport.onRtp = (rtp) => host.packets.routeRtp(this, rtp);
    this.transport.onRtcp = (rtcp) => host.packets.routeRtcp(this, rtcp);
    this.transport.onEarlyRtp = (rtp) => host.packets.noteArrival(this, rtp);
  }

  /**
   * As a receiver: media on the node's own SSRCs, announced over the bridge channel (Colibri2
   * capability `ssrc-rewriting`); `taken`: SSRCs in use in the conference, which a slot must not reuse.
   */
  enableSsrcRewriting(audioSlots: number, videoSlots: number, taken: (ssrc: number) => boolean): void {
    this.#rewriting = new SsrcRewriting({ audioSlots, videoSlots, taken, send: (m) => this.#channel?.send(serializeBridgeMessage(m)) });
  }

  /** The receiver's SSRC slots, or null without SSRC rewriting. */
  get rewriting(): SsrcRewriting | null {
    return this.#rewriting;
  }

  get connected(): boolean {
    return this.transport.state === 'connected';
  }

  // Control (Colibri2)

  localTransport(): IceUdpTransport {
    const p = this.transport.localParameters();
    const ws = this.#ctx.channelUrl;
    return {
      ufrag: p.ufrag, pwd: p.pwd, rtcpMux: true,
      webSocketUrls: ws ? [`${ws}/${this.#host.conferenceId}/${this.id}?pwd=${this.channelPassword}`] : [],
      fingerprints: [{ hash: p.fingerprint.hash, value: p.fingerprint.value, setup: p.fingerprint.setup }],
      candidates: p.candidates.map((c) => ({ ...c })),
    };
  }

  setRemoteTransport(t: IceUdpTransport): void {
    const fp = t.fingerprints[0];
    if (fp) this.transport.setRemoteFingerprint(fp.hash, fp.value);
    if (t.ufrag && t.pwd) this.transport.setRemoteIce(t.ufrag, t.pwd);
  }

  setMedia(medias: readonly Colibri2Media[]): void {
    this.#headerExtensions = headerExtensionIds(medias);
    const vp9 = medias.find((m) => m.type === 'video')?.payloadTypes.find((pt) => pt.name.toUpperCase() === 'VP9');
    this.#vp9PayloadType = vp9?.id ?? -1;
    const av1 = medias.find((m) => m.type === 'video')?.payloadTypes.find((pt) => pt.name.toUpperCase() === 'AV1');
    this.#av1PayloadType = av1?.id ?? -1;
    const h264 = medias.find((m) => m.type === 'video')?.payloadTypes.find((pt) => pt.name.toUpperCase() === 'H264');
    this.#h264PayloadType = h264?.id ?? -1;
    for (const v of this.#videoSources) this.#codecsOf(v);
  }

  #codecsOf(v: VideoSource): void {
    v.vp9PayloadType = this.#vp9PayloadType;
    v.av1PayloadType = this.#av1PayloadType;
    v.h264PayloadType = this.#h264PayloadType;
    v.av1DescriptorId = this.#headerExtensions.av1DependencyDescriptor;
  }

  /** The ids of the header extensions the SFU reads in this endpoint's packets. */
  get headerExtensions(): HeaderExtensionIds {
    return this.#headerExtensions;
  }

  setSources(sources: readonly Colibri2MediaSource[]): void {
    this.#sources = sources;
    this.#host.sourcesChanged(this);
  }

  forceMute(audio: boolean | undefined, video: boolean | undefined): void {
    if (audio !== undefined) this.#audioMuted = audio;
    if (video !== undefined) this.#videoMuted = video;
  }

  get sources(): readonly Colibri2MediaSource[] {
    return this.#sources;
  }

  get audioMuted(): boolean {
    return this.#audioMuted;
  }

  get videoMuted(): boolean {
    return this.#videoMuted;
  }

  // Bridge channel

  /** A (re)opened channel replaces the old one and hears its sender constraints afresh. */
  attachChannel(channel: BridgeChannel): void {
    this.#channel?.close(1000, 'replaced');
    this.#channel = channel;
    this.#toldSender.clear();
    // A (re)opened channel learns every slot's source (JVB sends all mappings when its channel connects).
    for (const m of this.#rewriting?.allMappings() ?? []) channel.send(serializeBridgeMessage(m));
  }

  /** The channel closed (ignored if another has replaced it). */
  detachChannel(channel: BridgeChannel): void {
    if (this.#channel === channel) this.#channel = null;
  }

  get hasChannel(): boolean {
    return this.#channel !== null;
  }

  /** Sends a serialized bridge message, if a channel is open. */
  sendToChannel(text: string): void {
    this.#channel?.send(text);
  }

  // As a sender

  /** This endpoint's video sources with their simulcast layers. */
  get videoSources(): readonly VideoSource[] {
    return this.#videoSources;
  }

  /** Rebuilds the video sources from the Colibri2 ones; a source whose SSRCs stay the same keeps its state (layer heights, forwarders). */
  rebuildVideoSources(): readonly VideoSource[] {
    const kept = new Map(this.#videoSources.map((v) => [sourceKey(v), v]));
    this.#videoSources = this.#sources.filter((ms) => ms.type === 'video').flatMap((ms) => {
      const fresh = VideoSource.fromColibri(this.id, ms);
      if (!fresh) return [];
      const v = kept.get(sourceKey(fresh)) ?? fresh;
      this.#codecsOf(v);
      return [v];
    });
    for (const v of this.#toldSender.keys()) if (!this.#videoSources.includes(v)) this.#toldSender.delete(v);
    return this.#videoSources;
  }

  /** Reception statistics of an SSRC this endpoint sends, made on its first packet. */
  receptionFor(ssrc: number, clockRate: number): ReceptionStats {
    let stats = this.#reception.get(ssrc);
    if (!stats) this.#reception.set(ssrc, stats = new ReceptionStats(ssrc, clockRate));
    return stats;
  }

  receptionOf(ssrc: number): ReceptionStats | undefined {
    return this.#reception.get(ssrc);
  }

  receptionStats(): IterableIterator<ReceptionStats> {
    return this.#reception.values();
  }

  get receptionCount(): number {
    return this.#reception.size;
  }

  /** Forgets the statistics of SSRCs that are no longer this endpoint's. */
  dropReception(owned: (ssrc: number) => boolean): void {
    for (const ssrc of this.#reception.keys()) if (!owned(ssrc)) this.#reception.delete(ssrc);
  }

  /** Tells this sender (SenderSourceConstraints, and SenderVideoConstraints for older clients) the tallest video wanted from `source`, when that changes. */
  tellSenderConstraint(source: VideoSource, maxHeight: number): void {
    if (this.#toldSender.get(source) === maxHeight || !this.#channel) return;
    this.#toldSender.set(source, maxHeight);
    this.#channel.send(serializeBridgeMessage({ colibriClass: 'SenderSourceConstraints', sourceName: source.id, maxHeight }));
    this.#channel.send(serializeBridgeMessage({ colibriClass: 'SenderVideoConstraints', videoConstraints: { idealHeight: maxHeight } }));
  }

  // As a receiver

  /** Receiver's last-N from ReceiverVideoConstraints (-1: unlimited). */
  get lastN(): number {
    return this.#lastN;
  }

  setLastN(lastN: number): void {
    this.#lastN = lastN;
  }

  /** Endpoints whose video this receiver gets under last-N; null: everyone's. */
  get forwarded(): ReadonlySet<string> | null {
    return this.#forwarded;
  }

  /** Sets the last-N selection; true if it changed. */
  setForwarded(next: ReadonlySet<string> | null): boolean {
    const before = this.#forwarded;
    this.#forwarded = next;
    const same = before === next || (before !== null && next !== null && before.size === next.size && [...next].every((e) => before.has(e)));
    return !same;
  }

  /** Whether this receiver gets `endpoint`'s video under its last-N selection. */
  receivesVideoOf(endpoint: string): boolean {
    return this.#forwarded === null || this.#forwarded.has(endpoint);
  }

  /** New ReceiverVideoConstraints: max heights keyed by source name or, from older clients, endpoint id; `fallback` for the rest. */
  setConstraints(byKey: ReadonlyMap<string, number>, fallback: number): void {
    this.#constraints = { byKey, fallback };
    this.#refreshForwarders();
  }

  /** The tallest video this receiver wants from `source` (Infinity: no limit; 0: none). */
  maxHeightFor(source: VideoSource): number {
    return this.#constraints.byKey.get(source.id) ?? this.#constraints.byKey.get(source.owner) ?? this.#constraints.fallback;
  }

  /** The tallest video to forward from `source`: its constraint, lowered to what its downlink allows. */
  effectiveMaxHeight(source: VideoSource): number {
    return Math.min(this.maxHeightFor(source), this.#bandwidthCaps.get(source) ?? Infinity);
  }

  /** The bandwidth its browser last estimated for what it receives (its REMB), bits/s. */
  get downlinkBps(): number | null {
    return this.#downlinkBps;
  }

  setDownlinkEstimate(bps: number): void {
    this.#downlinkBps = bps;
  }

  /** Height caps from the bandwidth allocation, on top of the constraints, held until `until` (clock ms). */
  setBandwidthCaps(caps: ReadonlyMap<VideoSource, number>, until: number): void {
    this.#bandwidthCaps = caps;
    this.#capsUntil = until;
    this.#refreshForwarders();
  }

  liftBandwidthCaps(): void {
    this.#bandwidthCaps = new Map();
    this.#refreshForwarders();
  }

  get bandwidthCapped(): boolean {
    return this.#bandwidthCaps.size > 0;
  }

  /** Until when the caps hold (then the full constraints are tried again). */
  get capsUntil(): number {
    return this.#capsUntil;
  }

  /** The forwarder for a video source of another endpoint, made on first use. */
  forwarderFor(source: VideoSource): VideoForwarder {
    let fw = this.#forwarders.get(source);
    if (!fw || fw.codec !== source.codec) {
      // A new source, or its codec changed: the other codec's forwarder continues the stream.
      fw = createVideoForwarder(source, fw?.handover());
      fw.setMaxHeight(this.effectiveMaxHeight(source));
      this.#forwarders.set(source, fw);
    }
    return fw;
  }

  forwarderOf(source: VideoSource): VideoForwarder | undefined {
    return this.#forwarders.get(source);
  }

  forwarders(): IterableIterator<VideoForwarder> {
    return this.#forwarders.values();
  }

  /** The source is not forwarded to this receiver now (it left, or last-N left it out): it starts again at a keyframe. */
  pauseForwarder(source: VideoSource): void {
    this.#forwarders.get(source)?.pause();
  }

  /** Drops the forwarders of sources that are gone. */
  dropForwarders(live: ReadonlySet<VideoSource>): void {
    for (const v of this.#forwarders.keys()) if (!live.has(v)) this.#forwarders.delete(v);
  }

  /** The bitrate of the layers this receiver gets now, bits/s. */
  receivingBps(): number {
    let bps = 0;
    for (const fw of this.#forwarders.values()) if (fw.current >= 0) bps += fw.source.choices[fw.current]?.bitrate ?? 0;
    return bps;
  }

  #refreshForwarders(): void {
    for (const fw of this.#forwarders.values()) fw.setMaxHeight(this.effectiveMaxHeight(fw.source));
  }

  close(): void {
    this.transport.close();
    this.#channel?.close(1001, 'endpoint expired');
    this.#channel = null;
  }
}
