/**
 * The live stream's decoders: one ffmpeg per received track, fed through its stdin (IVF for
 * VP8/VP9, Ogg for Opus: live-containers.ts), answering on stdout with yuv420p pictures scaled
 * to the participant's tile (with its name drawn on) or s16le stereo 48 kHz sound. A decoder
 * that dies ends only itself (the participant's tile or voice stops until it is restarted).
 * @module
 */
// Internal: not exported from the package entry
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.ts';
import { OggOpusWriter, ivfFrame, ivfHeader } from './live-containers.ts';
import { yuvBytes } from './live-compositor.ts';

export interface DecoderOptions {
  readonly ffmpegPath: string;
  readonly log: Logger;
}

/** Filter option values: ffmpeg's filtergraph escaping. */
const esc = (v: string) => v.replace(/[\\':,;[\]]/g, (c) => `\\${c}`);

abstract class Decoder {
  protected readonly child: ChildProcess;
  #dead = false;
  readonly #log: Logger;
  readonly #stderr: string[] = [];

  constructor(o: DecoderOptions, what: string, args: string[]) {
    this.#log = o.log;
    this.child = spawn(o.ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => { this.#dead = true; });
    this.child.stderr!.on('data', (c: Buffer) => {
      this.#stderr.push(String(c));
      if (this.#stderr.length > 20) this.#stderr.shift();
    });
    this.child.on('error', (err) => {
      this.#dead = true;
      this.#log.error('live.decoder_failed', { what, err });
    });
    this.child.on('exit', (code, signal) => {
      this.#dead = true;
      if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') this.#log.warn('live.decoder_exited', { what, code, signal, stderr: this.#stderr.join('').slice(-500) });
    });
  }

  get dead(): boolean {
    return this.#dead;
  }

  protected write(b: Buffer): void {
    if (!this.#dead && this.child.stdin!.writable) this.child.stdin!.write(b);
  }

  close(): void {
    this.#dead = true;
    this.child.stdin!.destroy();
    this.child.kill('SIGKILL');
  }
}

/** VP8/VP9 frames in, the latest picture (w×h yuv420p) out. Starts with a keyframe. */
export class VideoDecoder extends Decoder {
  readonly codec: 'vp8' | 'vp9';
  readonly width: number;
  readonly height: number;
  /** The latest complete picture. */
  latest: Buffer | null = null;
  pictures = 0;
  readonly #frameBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #t0: number | null = null;
  #firstPicture: (() => void) | undefined;

  constructor(o: DecoderOptions & { firstPicture?: () => void; codec: 'vp8' | 'vp9'; width: number; height: number; name?: { text: string; fontFile: string; textFile: string } }, first: { width?: number; height?: number }) {
    const { width: w, height: h } = o;
    const size = Math.max(12, Math.round(h / 14));
    const name = o.name ? `,drawtext=fontfile='${esc(o.name.fontFile)}':textfile='${esc(o.name.textFile)}':fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=${Math.round(size / 3)}:x=${size}:y=h-th-${size}` : '';
    super(o, `video ${o.codec}`, [
      '-f', 'ivf', '-i', 'pipe:0',
      '-vf', `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=0x1e1e1e,setsar=1,format=yuv420p${name}`,
      '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-flush_packets', '1', 'pipe:1',
    ]);
    this.codec = o.codec;
    this.width = w;
    this.height = h;
    this.#frameBytes = yuvBytes(w, h);
    this.#firstPicture = o.firstPicture;
    this.write(ivfHeader(o.codec, first.width ?? w, first.height ?? h));
    this.child.stdout!.on('data', (c: Buffer) => this.#onData(c));
  }

  #onData(c: Buffer): void {
    this.#pending.push(c);
    this.#pendingBytes += c.length;
    while (this.#pendingBytes >= this.#frameBytes) {
      const all = Buffer.concat(this.#pending);
      const whole = Math.floor(all.length / this.#frameBytes) * this.#frameBytes;
      this.latest = Buffer.from(all.subarray(whole - this.#frameBytes, whole));
      if (this.pictures === 0) this.#firstPicture?.();
      this.pictures += whole / this.#frameBytes;
      const rest = all.subarray(whole);
      this.#pending = rest.length ? [rest] : [];
      this.#pendingBytes = rest.length;
    }
  }

  frame(localMs: number, data: Buffer): void {
    this.#t0 ??= localMs;
    this.write(ivfFrame(localMs - this.#t0, data));
  }
}

/** Opus packets in, s16le stereo 48 kHz out (to `onPcm`). */
export class AudioDecoder extends Decoder {
  readonly #ogg = new OggOpusWriter();
  #t0: number | null = null;

  constructor(o: DecoderOptions, onPcm: (pcm: Buffer) => void) {
    super(o, 'audio opus', ['-f', 'ogg', '-i', 'pipe:0', '-f', 's16le', '-ac', '2', '-ar', '48000', '-flush_packets', '1', 'pipe:1']);
    this.write(this.#ogg.header());
    // Whole stereo samples only (4 bytes), whatever the pipe's chunks.
    let rest = Buffer.alloc(0);
    this.child.stdout!.on('data', (c: Buffer) => {
      const all = rest.length ? Buffer.concat([rest, c]) : c;
      const whole = all.length - (all.length % 4);
      rest = Buffer.from(all.subarray(whole));
      if (whole > 0) onPcm(all.subarray(0, whole));
    });
  }

  frame(localMs: number, data: Buffer): void {
    this.#t0 ??= localMs;
    // The granule position is where the packet ends; WebRTC's Opus frames are 20 ms.
    this.write(this.#ogg.packet(data, (localMs - this.#t0) * 48 + 960));
  }
}
