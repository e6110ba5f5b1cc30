/**
 * Encoded frames from ordered RTP payloads, per codec, as pure processors: Opus (one packet, one
 * frame), VP8 (RFC 7741) and VP9 (RFC 9628; the spatial layers of one picture joined into a
 * superframe, as WebM stores them). A loss makes the video assembler drop frames until the next
 * keyframe, which it reports it needs (the track asks the sender for one). Frames keep their
 * 32-bit RTP timestamps; mapping them to the wall clock is sender-clock.ts's job.
 * @module
 */
// Internal: not exported from the package entry
import type { RecordedCodec } from './webm-writer.ts';

export interface RtpIn { readonly timestamp: number; readonly marker: boolean; readonly payload: Buffer }

export interface EncodedFrame {
  readonly rtpTimestamp: number;
  readonly data: Buffer;
  readonly keyframe: boolean;
  /** Keyframes: the coded size when the bitstream or descriptor says it. */
  readonly width?: number;
  readonly height?: number;
}

export interface FrameAssembler {
  readonly codec: RecordedCodec;
  /** Frames completed by this packet (packets come in sequence order). */
  push(p: RtpIn): EncodedFrame[];
  /** Packets were given up as lost before the next one pushed. */
  lost(): void;
  /** True while frames are dropped until a keyframe (at the start, and after a loss). */
  readonly waitingForKeyframe: boolean;
}

class OpusAssembler implements FrameAssembler {
  readonly codec = 'opus' as const;
  readonly waitingForKeyframe = false;
  push(p: RtpIn): EncodedFrame[] {
    return p.payload.length > 0 ? [{ rtpTimestamp: p.timestamp, data: p.payload, keyframe: true }] : [];
  }
  lost(): void {
    // Opus frames stand alone: a lost one is a gap, which the decoder conceals.
  }
}

/** What a video payload descriptor says about one packet (`end`: the last of a layer frame, when the codec says so; the marker bit always ends the picture). */
interface VideoPacketInfo { start: boolean; end: boolean; keyframe: boolean; payloadAt: number; width?: number; height?: number }

/** Frames (and, for VP9, pictures of several layer frames) from packets, shared by VP8 and VP9. */
abstract class VideoAssembler implements FrameAssembler {
  abstract readonly codec: RecordedCodec;
  #waiting = true;
  #parts: Buffer[] = [];
  #layerFrames: Buffer[] = [];
  #ts = -1;
  #broken = true;
  #key = false;
  #size: { width?: number; height?: number } = {};

  get waitingForKeyframe(): boolean {
    return this.#waiting;
  }

  /** Null: not a packet of this codec (too short, bad descriptor). */
  protected abstract describe(payload: Buffer): VideoPacketInfo | null;
  protected abstract joinLayers(frames: Buffer[]): Buffer;

  push(p: RtpIn): EncodedFrame[] {
    const d = this.describe(p.payload);
    if (!d) {
      this.#broken = true;
      return [];
    }
    if (p.timestamp !== this.#ts) {
      // A new picture: whatever of the last one is still open never got its end.
      this.#parts = [];
      this.#layerFrames = [];
      this.#ts = p.timestamp;
      this.#broken = !d.start;
      this.#key = d.keyframe;
      this.#size = {};
    }
    if (d.start) {
      if (this.#parts.length > 0) this.#broken = true;
      this.#parts = [];
      if (d.width) this.#size = { width: d.width, height: d.height };
    } else if (this.#parts.length === 0) {
      this.#broken = true;
    }
    this.#parts.push(p.payload.subarray(d.payloadAt));
    if ((d.end || p.marker) && !this.#broken) {
      this.#layerFrames.push(Buffer.concat(this.#parts));
      this.#parts = [];
    }
    if (!p.marker) return [];
    const frames = this.#layerFrames;
    const complete = !this.#broken && frames.length > 0 && this.#parts.length === 0;
    this.#layerFrames = [];
    this.#parts = [];
    this.#ts = -1;
    if (!complete) {
      this.#waiting = true;
      return [];
    }
    if (this.#waiting && !this.#key) return [];
    this.#waiting = false;
    return [{ rtpTimestamp: p.timestamp, data: this.joinLayers(frames), keyframe: this.#key, ...(this.#key ? this.#size : {}) }];
  }

  lost(): void {
    this.#broken = true;
    this.#waiting = true;
  }
}

/** VP8 (RFC 7741 §4.2): the descriptor, then the frame; a keyframe's first bytes hold its size. */
class Vp8Assembler extends VideoAssembler {
  readonly codec = 'vp8' as const;
  protected describe(b: Buffer): VideoPacketInfo | null {
    if (b.length < 2) return null;
    let at = 1;
    const x = b[0]! & 0x80;
    const start = (b[0]! & 0x10) !== 0 && (b[0]! & 0x07) === 0;
    if (x) {
      const ext = b[at++]!;
      if (ext & 0x80) at += b[at]! & 0x80 ? 2 : 1; // I: PictureID, 7 or 15 bits
      if (ext & 0x40) at++; // L: TL0PICIDX
      if (ext & 0x30) at++; // T/K: TID, KEYIDX
    }
    if (at >= b.length) return null;
    // The frame tag's P bit (RFC 6386 §9.1) is 0 on keyframes; their start code, then 14-bit sizes.
    const keyframe = start && (b[at]! & 0x01) === 0;
    const sized = keyframe && b.length >= at + 10 && b[at + 3] === 0x9d && b[at + 4] === 0x01 && b[at + 5] === 0x2a;
    return {
      start, end: false, keyframe, payloadAt: at,
      ...(sized ? { width: b.readUInt16LE(at + 6) & 0x3fff, height: b.readUInt16LE(at + 8) & 0x3fff } : {}),
    };
  }
  protected joinLayers(frames: Buffer[]): Buffer {
    return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
  }
}

/** VP9 (RFC 9628 §4.2): B/E mark a layer frame's packets; the scalability structure gives sizes. */
class Vp9Assembler extends VideoAssembler {
  readonly codec = 'vp9' as const;
  protected describe(b: Buffer): VideoPacketInfo | null {
    if (b.length < 2) return null;
    const h = b[0]!;
    const [i, p, l, f, start, end, v] = [h & 0x80, h & 0x40, h & 0x20, h & 0x10, (h & 0x08) !== 0, (h & 0x04) !== 0, h & 0x02];
    let at = 1;
    if (i) at += b[at]! & 0x80 ? 2 : 1;
    let sid = 0;
    if (l) {
      sid = (b[at]! >> 1) & 0x07;
      at += f ? 1 : 2;
    }
    if (f && p) {
      for (let n = 0; n < 3 && at < b.length; n++) if ((b[at++]! & 0x01) === 0) break;
    }
    let width: number | undefined;
    let height: number | undefined;
    if (v && at < b.length) {
      const ss = b[at++]!;
      const layers = (ss >> 5) + 1;
      if (ss & 0x10) {
        for (let s = 0; s < layers && at + 4 <= b.length; s++, at += 4) {
          // The largest layer's size is the picture's.
          width = b.readUInt16BE(at);
          height = b.readUInt16BE(at + 2);
        }
      }
      if (ss & 0x08 && at < b.length) {
        const groups = b[at++]!;
        for (let g = 0; g < groups && at < b.length; g++) at += 1 + ((b[at]! >> 2) & 0x03);
      }
    }
    if (at > b.length) return null;
    return { start, end, keyframe: start && !p && sid === 0, payloadAt: at, ...(width ? { width, height } : {}) };
  }
  /** One frame as is; several (spatial layers) as a superframe with its index (VP9 bitstream Annex B). */
  protected joinLayers(frames: Buffer[]): Buffer {
    if (frames.length === 1) return frames[0]!;
    const largest = Math.max(...frames.map((x) => x.length));
    const mag = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : largest < 0x1000000 ? 3 : 4;
    const marker = 0xc0 | ((mag - 1) << 3) | (frames.length - 1);
    const index = Buffer.alloc(2 + mag * frames.length);
    index[0] = marker;
    frames.forEach((x, n) => index.writeUIntLE(x.length, 1 + n * mag, mag));
    index[index.length - 1] = marker;
    return Buffer.concat([...frames, index]);
  }
}

/** The assembler for an SDP codec name, or null when the recorder does not record it. */
export function createAssembler(codecName: string): FrameAssembler | null {
  switch (codecName.toLowerCase()) {
    case 'opus': return new OpusAssembler();
    case 'vp8': return new Vp8Assembler();
    case 'vp9': return new Vp9Assembler();
    default: return null;
  }
}
