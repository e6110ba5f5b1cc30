/**
 * VP9 SVC forwarding (the behaviour of JVB's Vp9AdaptiveSourceProjection, written afresh): Chrome
 * sends VP9 as one encoding on one SSRC with up to three spatial layers (lib-jitsi-meet asks for
 * scalabilityMode L3T3_KEY, k-SVC: the layers of a keyframe predict from the one below, later frames
 * only from their own layer). Per receiver a {@link Vp9Forwarder} picks the spatial layer its
 * constraints (and bandwidth caps) allow from the heights in the scalability structure, and passes
 * on, per layer frame (one spatial layer of one picture, read from the payload descriptor): the
 * frames of that layer, and those below it that it predicts from (Z bit clear). A layer is
 * switched to only where it can be decoded: up or down at a keyframe, or down at once when the
 * lower layer's chain is intact (full SVC, where lower layers keep being forwarded). It asks for a
 * keyframe (PLI) when a switch waits for one. Sequence numbers are made continuous over the
 * dropped frames (the marker bit is set on the last packet of the top layer forwarded), and a map
 * of recent sequence numbers lets NACKs and RTX be translated both ways. Nothing here allocates
 * per packet.
 * @module
 */
import { Vp9Descriptor, payloadOffset, rewriteRtp, seqOf, timestampOf } from './rtp.ts';
import { chooseLayer, KEYFRAME_REQUEST_INTERVAL_MS, type VideoCodec, type VideoSource } from './simulcast.ts';
import type { ForwarderState, VideoForwarder } from './video-forwarder.ts';

const SEQ_MOD = 0x10000;
const TS_MOD = 0x1_0000_0000;
/** Sequence numbers remembered in each direction (a power of two). */
const MAP_SIZE = 2048;
const MAP_MASK = MAP_SIZE - 1;
/** Flags in the in→out map: the packet went out with the marker bit set; its place was kept for a packet lost on the way in. */
const MARKED = 0x10000;
const RESERVED = 0x20000;

export class Vp9Forwarder implements VideoForwarder {
  readonly codec: VideoCodec;
  readonly source: VideoSource;
  /** The spatial layer being forwarded (-1: none; it starts again at a keyframe). */
  current = -1;
  /** The spatial layer wanted. */
  target = -1;
  #maxHeight = Infinity;
  #seenGeneration = -1;
  /** Per spatial layer: whether this receiver has its frames since the last keyframe (it can decode the next). */
  readonly #layerOn = new Uint8Array(8);
  #needKeyframe = false;
  #keyframeAskedAt = -Infinity;
  /** The layer frame being passed or dropped: its timestamp and spatial layer, and the decision. */
  #frameTs = -1;
  #frameSid = -1;
  #frameAccepted = false;
  /** Highest sequence number decided on (-1: none yet); out = in - offset. */
  #highIn = -1;
  #seqOffset = 0;
  #tsOffset = 0;
  /** Last packet sent: its sequence number and timestamp as the receiver saw them, and when. */
  #lastOut = -1;
  #lastTs = 0;
  #lastAt = 0;
  /** The next packet sent continues from the last one (after a pause, or from another codec's forwarder). */
  #resync = false;
  #rtxSeq = 0;
  readonly #inTag = new Int32Array(MAP_SIZE).fill(-1);
  readonly #inOut = new Int32Array(MAP_SIZE);
  readonly #outTag = new Int32Array(MAP_SIZE).fill(-1);
  readonly #outIn = new Int32Array(MAP_SIZE);
  #fromOtherForwarder = false;
  /** The descriptor of a packet sent again (RTX, cache), read here rather than in the source's. */
  readonly #again = new Vp9Descriptor();

  /** `from`: what another forwarder of the same source sent this receiver last (a codec change): the stream continues from it. */
  constructor(source: VideoSource, from?: ForwarderState, codec: VideoCodec = 'vp9') {
    this.source = source;
    this.codec = codec;
    if (from) {
      this.#lastOut = from.seq;
      this.#lastTs = from.ts;
      this.#lastAt = from.at;
      this.#resync = true;
      this.#fromOtherForwarder = true;
    }
  }

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

  /** Always the first encoding: VP9 SVC carries its layers on one SSRC. */
  get currentEncoding(): number {
    return this.current < 0 ? -1 : 0;
  }

  get currentSsrc(): number | undefined {
    return this.current < 0 ? undefined : this.source.layers[0]!.ssrc;
  }

  get timestampOffset(): number {
    return this.#tsOffset;
  }

  /**
   * A media packet of encoding `layer` (its payload descriptor is in `source.vp9`, read by
   * `source.onPacket`): whether it goes to this receiver; if so it was rewritten in place
   * (sequence number, timestamp, SSRC, marker bit).
   */
  forward(rtp: Buffer, layer: number, _keyframe: boolean, now: number): boolean {
    if (layer !== 0) return false;
    this.#retarget();
    const d = this.source.vp9;
    const seq = seqOf(rtp);
    const ahead = this.#highIn < 0 ? 1 : (seq - this.#highIn + SEQ_MOD) % SEQ_MOD;
    if (ahead === 0 || ahead >= SEQ_MOD / 2) return this.#forwardLate(rtp, d, seq);
    if (ahead > 1 && !this.#resync) {
      // Packets lost on the way in keep their place: the receiver sees the gap and NACKs it.
      const gap = Math.min(ahead - 1, MAP_SIZE);
      for (let k = ahead - gap; k < ahead; k++) this.#map((this.#highIn + k) % SEQ_MOD, (this.#highIn + k - this.#seqOffset + SEQ_MOD) % SEQ_MOD, RESERVED);
    }
    this.#highIn = seq;
    if (!this.#decide(rtp, d)) {
      this.#seqOffset = (this.#seqOffset + 1) % SEQ_MOD;
      return false;
    }
    if (this.#resync) {
      this.#resync = false;
      if (this.#lastOut >= 0) {
        this.#seqOffset = (seq - this.#lastOut - 1 + 2 * SEQ_MOD) % SEQ_MOD;
        const elapsed = Math.max(1, Math.round((now - this.#lastAt) * 90));
        if (this.#fromOtherForwarder) this.#tsOffset = (this.#lastTs + elapsed - timestampOf(rtp) + 2 * TS_MOD) % TS_MOD;
      }
      this.#fromOtherForwarder = false;
    }
    const out = (seq - this.#seqOffset + SEQ_MOD) % SEQ_MOD;
    const mark = this.#markerFor(d);
    this.#map(seq, out, mark ? MARKED : 0);
    const ts = (timestampOf(rtp) + this.#tsOffset) % TS_MOD;
    this.#lastOut = out;
    this.#lastTs = ts;
    this.#lastAt = now;
    rewriteRtp(rtp, this.source.layers[0]!.ssrc, out, ts);
    if (mark) rtp[1] = rtp[1]! | 0x80;
    return true;
  }

  /** A packet older than the newest one decided on: sent only into a gap kept for it, if its layer is wanted. */
  #forwardLate(rtp: Buffer, d: Vp9Descriptor, seq: number): boolean {
    const entry = this.#sendable(seq, d);
    if (entry < 0) return false;
    const out = entry & 0xffff;
    const mark = (entry & MARKED) !== 0 || (d.end && d.sid === this.current);
    this.#inOut[seq & MAP_MASK] = out | (mark ? MARKED : 0);
    rewriteRtp(rtp, this.source.layers[0]!.ssrc, out, (timestampOf(rtp) + this.#tsOffset) % TS_MOD);
    if (mark) rtp[1] = rtp[1]! | 0x80;
    return true;
  }

  /**
   * The in→out entry of a packet sent again or late (`d`: its descriptor), or -1 when it must not
   * go to this receiver: it was never given that place, or the place was kept for a lost packet
   * that turns out to be of a layer the receiver does not get.
   */
  #sendable(seq: number, d: Vp9Descriptor): number {
    const slot = seq & MAP_MASK;
    if (this.#inTag[slot] !== seq) return -1;
    const entry = this.#inOut[slot]!;
    if (this.#outTag[entry & MAP_MASK] !== (entry & 0xffff)) return -1;
    if ((entry & RESERVED) === 0) return entry;
    if (!d.valid || this.current < 0 || d.sid > this.current || (d.sid < this.current && d.notUpperReference)) return -1;
    return entry;
  }

  #map(inSeq: number, out: number, flags: number): void {
    const i = inSeq & MAP_MASK;
    this.#inTag[i] = inSeq;
    this.#inOut[i] = out | flags;
    const o = out & MAP_MASK;
    this.#outTag[o] = out;
    this.#outIn[o] = inSeq;
  }

  /** Whether the layer frame this packet belongs to is passed on (decided at its first packet). */
  #decide(rtp: Buffer, d: Vp9Descriptor): boolean {
    if (this.target < 0) {
      this.current = -1;
      return false;
    }
    if (!d.valid) return false;
    const ts = timestampOf(rtp);
    if (!d.start) return this.#frameAccepted && ts === this.#frameTs && d.sid === this.#frameSid;
    this.#frameTs = ts;
    this.#frameSid = d.sid;
    this.#frameAccepted = this.#decideFrame(d);
    return this.#frameAccepted;
  }

  #decideFrame(d: Vp9Descriptor): boolean {
    const s = d.sid;
    if (d.keyframeStart) {
      // A keyframe resets what this receiver can decode: its base layer, then the layers above as they come.
      this.#layerOn.fill(0);
      this.#layerOn[0] = 1;
      this.current = 0;
      this.#needKeyframe = false;
      return true;
    }
    if (this.current < 0) {
      this.#needKeyframe = true;
      return false;
    }
    const canDecode = (!d.interPicture || this.#layerOn[s] === 1) && (!d.interLayer || (s > 0 && this.#layerOn[s - 1] === 1));
    const target = this.target;
    const switching = (s > this.current && s <= target) || (s < this.current && s >= target);
    if (switching) {
      if (canDecode) this.current = s;
      else this.#needKeyframe = true;
    }
    const wanted = s === this.current || (s < this.current && !d.notUpperReference);
    const accept = wanted && canDecode;
    // A layer's chain is intact while its base temporal layer frames get through.
    if (d.tid === 0) this.#layerOn[s] = accept ? 1 : 0;
    return accept;
  }

  /** The marker bit ends the picture at the top layer forwarded (within a keyframe: the layer being climbed to). */
  #markerFor(d: Vp9Descriptor): boolean {
    if (!d.end) return false;
    return d.sid === (d.interPicture ? this.current : this.target);
  }

  forwardRtx(rtp: Buffer, layer: number): boolean {
    const rtx = this.source.layers[0]!.rtx;
    if (layer !== 0 || this.current < 0 || rtx === undefined) return false;
    const at = payloadOffset(rtp);
    if (at < 0 || at + 2 > rtp.length) return false;
    const osn = rtp.readUInt16BE(at);
    const reserved = this.#inTag[osn & MAP_MASK] === osn && (this.#inOut[osn & MAP_MASK]! & RESERVED) !== 0;
    if (reserved) this.source.readDescriptor(rtp, this.#again, at + 2);
    const out = this.#sendable(osn, this.#again);
    if (out < 0) return false;
    rtp.writeUInt16BE(out & 0xffff, at);
    this.#rtxSeq = (this.#rtxSeq + 1) % SEQ_MOD;
    rewriteRtp(rtp, rtx, this.#rtxSeq, (timestampOf(rtp) + this.#tsOffset) % TS_MOD);
    if ((out & MARKED) !== 0) rtp[1] = rtp[1]! | 0x80;
    return true;
  }

  pause(): void {
    if (this.current < 0) return;
    this.current = -1;
    this.#resync = true;
  }

  keyframeNeeded(now: number): number | undefined {
    this.#retarget();
    if (this.target < 0 || !(this.#needKeyframe || this.current < 0) || now - this.#keyframeAskedAt < KEYFRAME_REQUEST_INTERVAL_MS) return undefined;
    this.#keyframeAskedAt = now;
    return this.source.layers[0]!.ssrc;
  }

  retransmission(kept: Buffer, scratch: Buffer): Buffer | undefined {
    const seq = seqOf(kept);
    this.source.readDescriptor(kept, this.#again);
    const mapped = this.#sendable(seq, this.#again);
    if (mapped < 0) return undefined;
    const out = scratch.subarray(0, kept.length);
    kept.copy(out);
    rewriteRtp(out, this.source.layers[0]!.ssrc, mapped & 0xffff, (timestampOf(kept) + this.#tsOffset) % TS_MOD);
    if ((mapped & MARKED) !== 0) out[1] = out[1]! | 0x80;
    return out;
  }

  /** The sender's sequence number of a packet the receiver saw as `seq`; -1 if the receiver was never given one by that number. */
  originalSeq(seq: number): number {
    const o = seq & MAP_MASK;
    return this.#outTag[o] === seq ? this.#outIn[o]! : -1;
  }

  handover(): ForwarderState | undefined {
    return this.#lastOut < 0 ? undefined : { seq: this.#lastOut, ts: this.#lastTs, at: this.#lastAt };
  }
}
