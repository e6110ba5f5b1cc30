/**
 * Simulcast forwarding (JVB's AdaptiveSourceProjection, simplified for VP8): a sender's video
 * source has layers (a SIM group, lowest first, each with an optional RTX partner); receivers were
 * told only about the first layer's SSRC (the focus strips simulcast). Per receiver a
 * {@link LayerForwarder} picks the layer its constraints allow, switches only at a keyframe of the
 * new layer, and rewrites SSRC, sequence numbers and timestamps so the receiver sees one
 * continuous stream on the signalled SSRC. Time is passed in; nothing here does I/O.
 * @module
 */
import type { Colibri2MediaSource } from '@edgemeet/protocol';
import { Av1Structure, readAv1Descriptor } from './av1-dependency-descriptor.ts';
import { h264KeyframeHeight } from './h264.ts';
import { PacketCache } from './packet-cache.ts';
import type { RewritableSource } from './ssrc-rewriting.ts';
import { VP9_MAX_SPATIAL, Vp9Descriptor, payloadOffset, readVp9Descriptor, rewriteRtp, seqOf, timestampOf, vp8KeyframeHeight } from './rtp.ts';

/** A layer that sent nothing for this long is treated as off (the sender suspended it). */
export const LAYER_TIMEOUT_MS = 1000;
/** Minimum time between two keyframe requests for the same layer on behalf of one receiver. */
export const KEYFRAME_REQUEST_INTERVAL_MS = 300;

export interface Layer {
  readonly ssrc: number;
  readonly rtx: number | undefined;
  /** Frame height seen in this layer's last keyframe; 0 until one is seen. */
  height: number;
  /** When the last packet of this layer arrived; -Infinity before the first. */
  lastSeen: number;
  /** Bytes received since the last bitrate sample, and the layer's smoothed bitrate (bits/s). */
  bytes: number;
  bitrate: number;
}

/** The video codecs the node forwards. */
export type VideoCodec = 'vp8' | 'vp9' | 'av1' | 'h264';

/** Codecs sent as simulcast (one SSRC per encoding), forwarded by {@link LayerForwarder}; the others are SVC in one SSRC. */
export const isSimulcastCodec = (c: VideoCodec): boolean => c === 'vp8' || c === 'h264';

/** Where an SSRC sits in a video source. */
export interface LayerRef { readonly source: VideoSource; readonly layer: number; readonly rtx: boolean }

export class VideoSource {
  readonly id: string;
  readonly owner: string;
  /** The encodings (simulcast layers, lowest first), one SSRC each. */
  readonly layers: readonly Layer[];
  /** Bumped whenever a layer's height or on/off state changes (or the codec): forwarders then choose again. */
  generation = 0;
  /** The codec of the packets seen last (from their payload type). */
  codec: VideoCodec = 'vp8';
  /** The sender's VP9 payload type (from its Colibri2 media), -1 if none. */
  vp9PayloadType = -1;
  /** The sender's AV1 payload type, and the id of the dependency descriptor extension (-1 if none). */
  av1PayloadType = -1;
  /** The sender's H.264 payload type, -1 if none. */
  h264PayloadType = -1;
  av1DescriptorId = -1;
  /** AV1: the last template dependency structure the sender sent (keyframes carry it). */
  readonly av1Structure = new Av1Structure();
  #structureAskedAt = -Infinity;
  /** The VP9 payload descriptor of the packet {@link onPacket} saw last: forwarders read it. */
  readonly vp9 = new Vp9Descriptor();
  /**
   * VP9 spatial layers of the first encoding (all on its SSRC): heights from the scalability
   * structure; `bitrate` is what a receiver of that layer gets (the layer, and the frames below it
   * that it predicts from).
   */
  readonly spatial: readonly Layer[];
  #active: boolean[];
  readonly #spatialActive: boolean[] = [];
  /** Spatial layers in the last scalability structure (1 until one is seen). */
  #spatialCount = 1;
  /** Per spatial layer: bytes since the last sample, and of those the bytes layers above predict from. */
  readonly #ownBytes = new Float64Array(VP9_MAX_SPATIAL);
  readonly #refBytes = new Float64Array(VP9_MAX_SPATIAL);
  #choices: readonly Layer[];
  readonly #caches: Array<PacketCache | undefined> = [];

  /** Camera or screen share (the Colibri2 source's videoType), for receivers with SSRC rewriting. */
  readonly videoType: 'CAMERA' | 'DESKTOP';
  /** The source as a receiver with SSRC rewriting learns it: its first layer's SSRCs are what the forwarders write. */
  readonly rewritable: RewritableSource;

  constructor(owner: string, id: string, layers: Array<{ ssrc: number; rtx?: number }>, videoType: 'CAMERA' | 'DESKTOP' = 'CAMERA') {
    this.owner = owner;
    this.id = id;
    this.videoType = videoType;
    this.layers = layers.map((l) => ({ ssrc: l.ssrc, rtx: l.rtx, height: 0, lastSeen: -Infinity, bytes: 0, bitrate: 0 }));
    this.#active = this.layers.map(() => false);
    const first = this.layers[0];
    this.spatial = Array.from({ length: VP9_MAX_SPATIAL }, () => ({
      ssrc: first?.ssrc ?? 0, rtx: first?.rtx, height: 0, lastSeen: -Infinity, bytes: 0, bitrate: 0,
    }));
    for (let i = 0; i < VP9_MAX_SPATIAL; i++) this.#spatialActive.push(false);
    this.#choices = this.layers;
    this.rewritable = { name: id, owner, ssrc: this.layers[0]?.ssrc ?? 0, rtx: this.layers[0]?.rtx, videoType };
  }

  /**
   * What a receiver can be given, lowest first, each with its height and cost: the encodings
   * (VP8), or the spatial layers of the first encoding (VP9 SVC).
   */
  get choices(): readonly Layer[] {
    return this.#choices;
  }

  /** Whether choice `i` (see {@link choices}) is being sent. */
  isChoiceActive(i: number): boolean {
    return !isSimulcastCodec(this.codec) ? i < this.#spatialCount && (this.#spatialActive[i] ?? false) : this.isActive(i);
  }

  #setChoices(): void {
    this.#choices = !isSimulcastCodec(this.codec) ? this.spatial.slice(0, this.#spatialCount) : this.layers;
    this.generation++;
  }

  /** The SSRC (and RTX SSRC) receivers know this source by. */
  get primary(): Layer {
    return this.layers[0]!;
  }

  /** Builds the source from Colibri2: layers from the SIM group (else the single SSRC), RTX from FID groups. */
  static fromColibri(owner: string, ms: Colibri2MediaSource): VideoSource | null {
    const fid = new Map<number, number>();
    for (const g of ms.groups) if (g.semantics === 'FID' && g.ssrcs.length === 2) fid.set(g.ssrcs[0]!, g.ssrcs[1]!);
    const sim = ms.groups.find((g) => g.semantics === 'SIM');
    const rtxSsrcs = new Set(fid.values());
    const primaries = sim ? sim.ssrcs : ms.sources.map((s) => s.ssrc).filter((s) => !rtxSsrcs.has(s)).slice(0, 1);
    if (primaries.length === 0) return null;
    const desktop = ms.sources.some((s) => s.videoType === 'desktop');
    return new VideoSource(owner, ms.id, primaries.map((ssrc) => ({ ssrc, rtx: fid.get(ssrc) })), desktop ? 'DESKTOP' : 'CAMERA');
  }

  /** Every SSRC of the source with its layer. */
  *refs(): Generator<[number, LayerRef]> {
    for (const [layer, l] of this.layers.entries()) {
      yield [l.ssrc, { source: this, layer, rtx: false }];
      if (l.rtx !== undefined) yield [l.rtx, { source: this, layer, rtx: true }];
    }
  }

  /** The recent packets of `layer`, for answering NACKs (made on first use). */
  cache(layer: number): PacketCache {
    let c = this.#caches[layer];
    if (!c) this.#caches[layer] = c = new PacketCache();
    return c;
  }

  isActive(layer: number): boolean {
    return this.#active[layer] ?? false;
  }

  /**
   * Notes a media packet of `layer`; returns whether it starts a keyframe (with its height
   * learned). A VP9 packet's payload descriptor is left in {@link vp9}.
   */
  onPacket(layer: number, rtp: Buffer, now: number): boolean {
    const l = this.layers[layer]!;
    l.lastSeen = now;
    l.bytes += rtp.length;
    if (!this.#active[layer]) {
      this.#active[layer] = true;
      this.generation++;
    }
    const pt = rtp[1]! & 0x7f;
    const codec: VideoCodec = pt === this.vp9PayloadType ? 'vp9' : pt === this.av1PayloadType ? 'av1' : pt === this.h264PayloadType ? 'h264' : 'vp8';
    if (codec !== this.codec) {
      this.codec = codec;
      this.#setChoices();
    }
    if (!isSimulcastCodec(codec)) return this.#onSvc(layer, rtp, now);
    const height = codec === 'h264' ? h264KeyframeHeight(rtp) : vp8KeyframeHeight(rtp);
    if (height > 0 && height !== l.height) {
      l.height = height;
      this.generation++;
    }
    return height > 0;
  }

  /**
   * Reads an SVC packet's layer facts into `d` (VP9: its payload descriptor, `at` where the payload
   * starts; AV1: its dependency descriptor, with the structure known so far). `learn`: take a new
   * AV1 structure from it (not for packets sent again).
   */
  readDescriptor(rtp: Buffer, d: Vp9Descriptor, at = payloadOffset(rtp), learn = false): boolean {
    return this.codec === 'av1' ? readAv1Descriptor(rtp, this.av1DescriptorId, this.av1Structure, d, learn) : readVp9Descriptor(rtp, d, at);
  }

  /**
   * Whether to ask the sender for a keyframe now: its AV1 packets cannot be read without the
   * structure only a keyframe carries (missed: sent before the node knew the source, or lost).
   * At most once per keyframe request interval.
   */
  wantsKeyframe(now: number): boolean {
    if (this.codec !== 'av1' || this.av1Structure.known || now - this.#structureAskedAt < KEYFRAME_REQUEST_INTERVAL_MS) return false;
    this.#structureAskedAt = now;
    return true;
  }

  /** A VP9 or AV1 SVC packet: its layer frame's descriptor is left in {@link vp9}, layer heights and costs learned. */
  #onSvc(layer: number, rtp: Buffer, now: number): boolean {
    const d = this.vp9;
    if (!this.readDescriptor(rtp, d, payloadOffset(rtp), true) || layer !== 0) return false;
    if (d.ssLayers > 0) {
      if (d.ssLayers !== this.#spatialCount) {
        this.#spatialCount = d.ssLayers;
        this.#setChoices();
      }
      // The structure lists the layers being sent: the ones above arrive later in this picture.
      for (let s = 0; s < d.ssLayers; s++) {
        const l = this.spatial[s]!;
        const h = d.ssHeights[s]!;
        l.lastSeen = now;
        if (h !== l.height || !this.#spatialActive[s]) {
          l.height = h;
          this.#spatialActive[s] = true;
          this.generation++;
        }
      }
    }
    const sid = d.sid;
    const sl = this.spatial[sid]!;
    sl.lastSeen = now;
    this.#ownBytes[sid]! += rtp.length;
    if (!d.notUpperReference) this.#refBytes[sid]! += rtp.length;
    if (!this.#spatialActive[sid]) {
      this.#spatialActive[sid] = true;
      this.generation++;
    }
    return d.keyframeStart;
  }

  /** Folds the bytes since the last call (`elapsedMs` ago) into each layer's smoothed bitrate. */
  sampleBitrates(elapsedMs: number): void {
    if (elapsedMs <= 0) return;
    for (const l of this.layers) {
      const bps = (l.bytes * 8 * 1000) / elapsedMs;
      l.bitrate = l.bitrate === 0 ? bps : 0.5 * l.bitrate + 0.5 * bps;
      l.bytes = 0;
    }
    let below = 0;
    for (let s = 0; s < VP9_MAX_SPATIAL; s++) {
      const l = this.spatial[s]!;
      const bps = ((below + this.#ownBytes[s]!) * 8 * 1000) / elapsedMs;
      l.bitrate = l.bitrate === 0 ? bps : 0.5 * l.bitrate + 0.5 * bps;
      below += this.#refBytes[s]!;
      this.#ownBytes[s] = 0;
      this.#refBytes[s] = 0;
    }
  }

  /** Turns off layers that went quiet; called from time to time. */
  expireLayers(now: number): void {
    for (const [i, l] of this.layers.entries()) {
      if (this.#active[i] && now - l.lastSeen > LAYER_TIMEOUT_MS) {
        this.#active[i] = false;
        this.generation++;
      }
    }
    for (let s = 0; s < VP9_MAX_SPATIAL; s++) {
      if (this.#spatialActive[s] && now - this.spatial[s]!.lastSeen > LAYER_TIMEOUT_MS) {
        this.#spatialActive[s] = false;
        this.generation++;
      }
    }
  }
}

/**
 * The layer (of {@link VideoSource.choices}) to forward under `maxHeight`: the highest active layer not taller than it (a layer
 * whose height is not known yet counts as fitting), else the lowest active one; -1 when
 * `maxHeight` is 0 or no layer is on.
 */
export function chooseLayer(source: VideoSource, maxHeight: number): number {
  if (maxHeight <= 0) return -1;
  let best = -1;
  let lowest = -1;
  const choices = source.choices;
  for (let i = 0; i < choices.length; i++) {
    const l = choices[i]!;
    if (!source.isChoiceActive(i)) continue;
    if (lowest < 0) lowest = i;
    if (l.height <= maxHeight) best = i;
  }
  return best >= 0 ? best : lowest;
}

const SEQ_MOD = 0x10000;
const TS_MOD = 0x1_0000_0000;

/** One receiver's view of one sender's video source (VP8 or H.264 simulcast). */
export class LayerForwarder {
  readonly codec: VideoCodec;
  readonly source: VideoSource;
  /** The layer being forwarded (-1: none yet). */
  current = -1;
  /** The layer wanted; differs from `current` until a keyframe of it arrives. */
  target = -1;
  #maxHeight = Infinity;
  #seenGeneration = -1;
  #seqOffset = 0;
  #tsOffset = 0;
  #lastSeq = -1;
  #lastTs = 0;
  #lastAt = 0;
  #rtxSeq = 0;
  #keyframeAskedAt = -Infinity;

  /** `from`: where another forwarder of the source left the receiver's stream (a codec change): it continues from there. */
  constructor(source: VideoSource, from?: { readonly seq: number; readonly ts: number; readonly at: number }, codec: VideoCodec = 'vp8') {
    this.codec = codec;
    this.source = source;
    if (from) {
      this.#lastSeq = from.seq;
      this.#lastTs = from.ts;
      this.#lastAt = from.at;
    }
  }

  /** The encoding forwarded: the layer itself (simulcast). */
  get currentEncoding(): number {
    return this.current;
  }

  /** Where the receiver's stream stands. */
  handover(): { seq: number; ts: number; at: number } | undefined {
    return this.#lastSeq < 0 ? undefined : { seq: this.#lastSeq, ts: this.#lastTs, at: this.#lastAt };
  }

  /** The receiver's constraint for this source changed. */
  setMaxHeight(maxHeight: number): void {
    if (maxHeight === this.#maxHeight) return;
    this.#maxHeight = maxHeight;
    this.#seenGeneration = -1;
  }

  #retarget(): void {
    if (this.#seenGeneration === this.source.generation) return;
    this.#seenGeneration = this.source.generation;
    this.target = chooseLayer(this.source, this.#maxHeight);
  }

  /**
   * Decides whether a media packet of `layer` goes to this receiver and, if so, rewrites it in
   * place (SSRC → the first layer's, continuous sequence numbers and timestamps). `keyframe`: the
   * packet starts a keyframe. Call with the original packet for each receiver.
   */
  forward(rtp: Buffer, layer: number, keyframe: boolean, now: number): boolean {
    this.#retarget();
    if (this.target < 0) {
      this.current = -1;
      return false;
    }
    if (layer !== this.current) {
      if (layer !== this.target || !keyframe) return false;
      this.#switchTo(rtp, layer, now);
    }
    const seq = (seqOf(rtp) + this.#seqOffset) % SEQ_MOD;
    const ts = (timestampOf(rtp) + this.#tsOffset) % TS_MOD;
    if (this.#lastSeq < 0 || ((seq - this.#lastSeq + SEQ_MOD) % SEQ_MOD) < SEQ_MOD / 2) {
      this.#lastSeq = seq;
      this.#lastTs = ts;
      this.#lastAt = now;
    }
    rewriteRtp(rtp, this.source.primary.ssrc, seq, ts);
    return true;
  }

  #switchTo(rtp: Buffer, layer: number, now: number): void {
    if (this.#lastSeq < 0) {
      this.#seqOffset = 0;
      this.#tsOffset = 0;
    } else {
      // Continue right after the last packet sent, and move the clock on by the time that passed.
      this.#seqOffset = (this.#lastSeq + 1 - seqOf(rtp) + 2 * SEQ_MOD) % SEQ_MOD;
      const elapsed = Math.max(1, Math.round((now - this.#lastAt) * 90));
      this.#tsOffset = (this.#lastTs + elapsed - timestampOf(rtp) + 2 * TS_MOD) % TS_MOD;
    }
    this.current = layer;
  }

  /**
   * An RTX packet of `layer`: forwarded only for the current layer, onto the first layer's RTX
   * SSRC, with the original sequence number inside rewritten like the media stream's.
   */
  forwardRtx(rtp: Buffer, layer: number): boolean {
    const rtx = this.source.primary.rtx;
    if (layer !== this.current || rtx === undefined) return false;
    const at = payloadOffset(rtp);
    if (at >= 0 && at + 2 <= rtp.length) rtp.writeUInt16BE((rtp.readUInt16BE(at) + this.#seqOffset) % SEQ_MOD, at);
    this.#rtxSeq = (this.#rtxSeq + 1) % SEQ_MOD;
    rewriteRtp(rtp, rtx, this.#rtxSeq, timestampOf(rtp) + this.#tsOffset);
    return true;
  }

  /** Stops forwarding (last-N left this source out); forwarding resumes at the next keyframe, without a sequence gap. */
  pause(): void {
    this.current = -1;
  }

  /** The SSRC to ask for a keyframe now (the target layer while a switch waits), or undefined. */
  keyframeNeeded(now: number): number | undefined {
    this.#retarget();
    if (this.target < 0 || this.target === this.current || now - this.#keyframeAskedAt < KEYFRAME_REQUEST_INTERVAL_MS) return undefined;
    this.#keyframeAskedAt = now;
    return this.source.layers[this.target]!.ssrc;
  }

  /** Maps the sender's RTP timestamp of the current layer to the receiver's (for sender reports). */
  get timestampOffset(): number {
    return this.#tsOffset;
  }

  /** Copies a kept packet of the current layer into `scratch`, as this receiver saw it; returns the view. */
  retransmission(kept: Buffer, scratch: Buffer): Buffer {
    const out = scratch.subarray(0, kept.length);
    kept.copy(out);
    rewriteRtp(out, this.source.primary.ssrc, (seqOf(kept) + this.#seqOffset) % SEQ_MOD, (timestampOf(kept) + this.#tsOffset) % TS_MOD);
    return out;
  }

  /** Maps a sequence number the receiver saw (e.g. in a NACK) back to the current layer's. */
  originalSeq(seq: number): number {
    return (seq - this.#seqOffset + SEQ_MOD) % SEQ_MOD;
  }

  /** The SSRC of the layer this receiver gets (what its PLIs and NACKs are about). */
  get currentSsrc(): number | undefined {
    return this.current < 0 ? undefined : this.source.layers[this.current]!.ssrc;
  }
}
