/**
 * The live stream's picture and sound, built in the recorder (pure, no processes): a grid of the
 * participants present (composer.ts's {@link gridOf}, centred) into one yuv420p canvas from each
 * participant's latest decoded tile, and everyone's decoded PCM mixed (s16le stereo 48 kHz).
 * Composing here instead of in one ffmpeg filter graph is what keeps the stream going whoever
 * stalls: ffmpeg's filters wait for every input, the canvas does not.
 * @module
 */
// Internal: not exported from the package entry
import { gridOf } from './composer.ts';

export interface Tile { readonly x: number; readonly y: number; readonly w: number; readonly h: number }

/** Where each of `n` participants (in order) is drawn on a `width`×`height` canvas; even coordinates. */
export function gridLayout(n: number, width: number, height: number): Tile[] {
  if (n === 0) return [];
  const g = gridOf(n, width, height);
  const x0 = Math.floor((width - g.cols * g.tileW) / 4) * 2;
  const y0 = Math.floor((height - g.rows * g.tileH) / 4) * 2;
  return Array.from({ length: n }, (_, i) => ({ x: x0 + (i % g.cols) * g.tileW, y: y0 + Math.floor(i / g.cols) * g.tileH, w: g.tileW, h: g.tileH }));
}

/** Bytes of one yuv420p picture. */
export const yuvBytes = (w: number, h: number) => w * h * 3 / 2;

/** Fills a yuv420p canvas with one colour (BT.601 limited range values). */
export function fillYuv(canvas: Buffer, width: number, height: number, y = 16, u = 128, v = 128): void {
  const luma = width * height;
  canvas.fill(y, 0, luma);
  canvas.fill(u, luma, luma + luma / 4);
  canvas.fill(v, luma + luma / 4, luma + luma / 2);
}

/** Copies a `tile.w`×`tile.h` yuv420p picture into the canvas at the tile's place. */
export function blitYuv(canvas: Buffer, width: number, height: number, tile: Tile, picture: Buffer): void {
  if (picture.length !== yuvBytes(tile.w, tile.h)) throw new RangeError('picture size does not match its tile');
  const { x, y, w, h } = tile;
  for (let r = 0; r < h; r++) picture.copy(canvas, (y + r) * width + x, r * w, r * w + w);
  const cw = width / 2;
  const tw = w / 2;
  const uCanvas = width * height;
  const vCanvas = uCanvas + uCanvas / 4;
  const uPic = w * h;
  const vPic = uPic + uPic / 4;
  for (let r = 0; r < h / 2; r++) {
    const at = (y / 2 + r) * cw + x / 2;
    picture.copy(canvas, uCanvas + at, uPic + r * tw, uPic + r * tw + tw);
    picture.copy(canvas, vCanvas + at, vPic + r * tw, vPic + r * tw + tw);
  }
}

/** A participant without a picture (yet): its tile in dark grey. */
export function fillTile(canvas: Buffer, width: number, height: number, t: Tile): void {
  const luma = width * height;
  for (let r = 0; r < t.h; r++) canvas.fill(0x28, (t.y + r) * width + t.x, (t.y + r) * width + t.x + t.w);
  for (let r = 0; r < t.h / 2; r++) {
    const at = (t.y / 2 + r) * (width / 2) + t.x / 2;
    canvas.fill(128, luma + at, luma + at + t.w / 2);
    canvas.fill(128, luma + luma / 4 + at, luma + luma / 4 + at + t.w / 2);
  }
}

/** Sums s16le buffers of the same length, clipped. */
export function mixPcm(inputs: readonly Buffer[], bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  if (inputs.length === 0) return out;
  if (inputs.length === 1) {
    inputs[0]!.copy(out, 0, 0, bytes);
    return out;
  }
  for (let i = 0; i + 1 < bytes; i += 2) {
    let s = 0;
    for (const b of inputs) s += i + 1 < b.length ? b.readInt16LE(i) : 0;
    out.writeInt16LE(s > 32767 ? 32767 : s < -32768 ? -32768 : s, i);
  }
  return out;
}

/**
 * One participant's decoded sound waiting to be mixed: played out once `startMs` of it is queued
 * (and again after it ran dry), never more than `maxMs` behind (older sound is dropped).
 */
export class PcmQueue {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #playing = false;
  readonly #startBytes: number;
  readonly #maxBytes: number;
  dropped = 0;
  received = 0;

  constructor(startMs = 100, maxMs = 400, bytesPerMs = 192) {
    this.#startBytes = Math.round(startMs * bytesPerMs / 4) * 4;
    this.#maxBytes = Math.round(maxMs * bytesPerMs / 4) * 4;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  push(pcm: Buffer): void {
    this.#chunks.push(pcm);
    this.#bytes += pcm.length;
    this.received += pcm.length;
    while (this.#bytes > this.#maxBytes) {
      const extra = this.#bytes - this.#startBytes;
      const first = this.#chunks[0]!;
      const cut = Math.min(first.length, Math.floor(extra / 4) * 4);
      if (cut <= 0) break;
      this.dropped += cut;
      this.#bytes -= cut;
      if (cut === first.length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(cut);
    }
  }

  /** `bytes` of sound, or null while buffering / dry (silence). */
  take(bytes: number): Buffer | null {
    if (!this.#playing) {
      if (this.#bytes < this.#startBytes) return null;
      this.#playing = true;
    }
    if (this.#bytes < bytes) {
      this.#playing = false;
      return null;
    }
    const out = Buffer.alloc(bytes);
    let at = 0;
    while (at < bytes) {
      const first = this.#chunks[0]!;
      const n = Math.min(first.length, bytes - at);
      first.copy(out, at, 0, n);
      at += n;
      if (n === first.length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    }
    this.#bytes -= bytes;
    return out;
  }
}
