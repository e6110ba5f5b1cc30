/**
 * A live stream (Jibri's recording_mode stream): the call composed as it happens and pushed as
 * H.264 + AAC in FLV to an RTMP/RTMPS target with Debian's ffmpeg.
 *
 * How: each participant's received frames (after the jitter buffer, as the file recording gets
 * them) are decoded by a small ffmpeg per track (live-decoder.ts), scaled to the participant's
 * tile; this module keeps each one's latest picture and queued sound, and at a steady pace (the
 * stream's frame rate, by the wall clock) draws the grid of those present and mixes their sound
 * (live-compositor.ts) into one encoder ffmpeg that reads raw video and audio from pipes and
 * pushes to the target. The encoder's input never stalls: a participant that stops sending (muted,
 * lost, gone) keeps its last picture or leaves the grid, and a join or leave only restarts that
 * grid's decoders (at their next keyframe, asked for), never the RTMP connection.
 * @module
 */
// Internal: not exported from the package entry
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from '../log.ts';
import { blitYuv, fillTile, fillYuv, gridLayout, mixPcm, PcmQueue, yuvBytes, type Tile } from './live-compositor.ts';
import { AudioDecoder, VideoDecoder } from './live-decoder.ts';
import { redactTarget } from './stream-target.ts';
import type { TimedFrame } from './track-recorder.ts';

export interface LiveStreamOptions {
  /** The RTMP(S) URL (resolved and allowed: stream-target.ts). */
  readonly target: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly videoKbps: number;
  readonly ffmpegPath: string;
  readonly fontFile: string;
  readonly log: Logger;
  /** Ask the participant's video sender for a keyframe (a decoder is (re)starting). */
  readonly requestKeyframe: (owner: string) => void;
  /** The encoder is pushing (Jibri's status on). */
  readonly onStreaming: () => void;
  /** The stream broke (the encoder exited, or cannot keep up): the session ends with an error. */
  readonly onFailed: (why: string) => void;
}

const SAMPLE_RATE = 48_000;
/** Stereo s16le. */
const BYTES_PER_SAMPLE = 4;
const TICK_MS = 20;
/** Keyframe requests per participant at most this often (as track-recorder.ts). */
const KEYFRAME_EVERY_MS = 1000;
/** The encoder's input may lag this much before the stream is given up. */
const MAX_BACKLOG_MS = 3000;
const CLOSE_WAIT_MS = 5000;
/**
 * Until the encoder has connected and pushes, the stream's clock waits: this much picture and
 * sound gets ffmpeg going (connect, headers, first packets), and the stream's time starts then,
 * so its length is the time it was on.
 */
const PRIME_MS = 250;
/** An encoder that has not started pushing after this long fails the stream. */
const START_TIMEOUT_MS = 15_000;

class LiveParticipant {
  name: string;
  tile: Tile | null = null;
  video: VideoDecoder | null = null;
  audio: AudioDecoder | null = null;
  readonly pcm = new PcmQueue();
  lastKeyRequest = -Infinity;
  readonly nameFile: string;

  constructor(name: string, nameFile: string) {
    this.name = name;
    this.nameFile = nameFile;
    writeFileSync(nameFile, name);
  }

  close(): void {
    this.video?.close();
    this.audio?.close();
    this.video = null;
    this.audio = null;
  }
}

export class LiveStream {
  readonly #o: LiveStreamOptions;
  readonly #participants = new Map<string, LiveParticipant>();
  readonly #work = mkdtempSync(join(tmpdir(), 'edgemeet-live-'));
  readonly #canvas: Buffer;
  readonly #frameBytes: number;
  #encoder: ChildProcess | null = null;
  #video: Writable | null = null;
  #audio: Writable | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #t0 = 0;
  #framesSent = 0;
  #samplesSent = 0;
  #streaming = false;
  #closing = false;
  #failed = false;
  #stderr: string[] = [];
  #outTimeMs = 0;
  #nameCount = 0;

  constructor(o: LiveStreamOptions) {
    this.#o = o;
    this.#frameBytes = yuvBytes(o.width, o.height);
    this.#canvas = Buffer.alloc(this.#frameBytes);
  }

  /** Starts the encoder and the pace; black and silent until someone sends. */
  start(): void {
    const o = this.#o;
    const args = [
      // info: ffmpeg says "Output #0" once it has connected and sent the stream's headers.
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
      // Raw inputs need no probing (ffmpeg would otherwise wait for megabytes of each before starting).
      '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${o.width}x${o.height}`, '-framerate', String(o.fps), '-probesize', '32', '-analyzeduration', '0', '-thread_queue_size', '64', '-i', 'pipe:0',
      '-f', 's16le', '-ar', String(SAMPLE_RATE), '-ac', '2', '-probesize', '32', '-analyzeduration', '0', '-thread_queue_size', '512', '-i', 'pipe:3',
      '-map', '0:v', '-map', '1:a',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', String(o.fps * 2), '-keyint_min', String(o.fps), '-sc_threshold', '0',
      '-b:v', `${o.videoKbps}k`, '-maxrate', `${o.videoKbps}k`, '-bufsize', `${o.videoKbps * 2}k`,
      '-c:a', 'aac', '-b:a', '128k', '-ar', String(SAMPLE_RATE), '-ac', '2',
      '-progress', 'pipe:1', '-stats_period', '0.5',
      '-f', 'flv', '-flvflags', 'no_duration_filesize', o.target,
    ];
    const child = spawn(o.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    this.#encoder = child;
    this.#video = child.stdin!;
    this.#audio = child.stdio[3] as Writable;
    for (const w of [this.#video, this.#audio]) w.on('error', () => undefined);
    child.stderr!.on('data', (c: Buffer) => {
      const text = String(c);
      this.#stderr.push(text);
      if (this.#stderr.length > 30) this.#stderr.shift();
      if (!this.#streaming && /^Output #0, flv/m.test(text)) this.#onPushing();
    });
    let line = '';
    child.stdout!.on('data', (c: Buffer) => {
      line += String(c);
      for (let i = line.indexOf('\n'); i >= 0; i = line.indexOf('\n')) {
        this.#onProgress(line.slice(0, i).trim());
        line = line.slice(i + 1);
      }
    });
    child.on('error', (err) => this.#fail(`ffmpeg could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (!this.#closing) this.#fail(`ffmpeg exited (${signal ?? code}): ${this.#stderr.join('').trim().slice(-600)}`);
    });
    this.#t0 = performance.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    o.log.info('live.start', { target: redactTarget(o.target), width: o.width, height: o.height, fps: o.fps, kbps: o.videoKbps });
  }

  #onProgress(kv: string): void {
    const m = /^out_time_us=(\d+)$/.exec(kv);
    if (!m) return;
    this.#outTimeMs = Number(m[1]) / 1000;
  }

  /** The encoder connected and wrote the stream's headers: its clock starts now. */
  #onPushing(): void {
    this.#streaming = true;
    this.#t0 = performance.now() - (this.#framesSent * 1000) / this.#o.fps;
    this.#o.log.info('live.streaming', { target: redactTarget(this.#o.target), primedMs: Math.round((this.#framesSent * 1000) / this.#o.fps) });
    this.#o.onStreaming();
  }

  #fail(why: string): void {
    if (this.#failed || this.#closing) return;
    this.#failed = true;
    this.#o.log.error('live.failed', { why });
    this.#o.onFailed(why);
  }

  /** A participant is in the call (shown from now on, in join order). */
  join(owner: string, name: string): void {
    const p = this.#participants.get(owner);
    if (p) {
      if (name !== p.name) {
        p.name = name;
        writeFileSync(p.nameFile, name);
      }
      return;
    }
    this.#participants.set(owner, new LiveParticipant(name, join(this.#work, `name-${++this.#nameCount}.txt`)));
    this.#relayout();
  }

  leave(owner: string): void {
    const p = this.#participants.get(owner);
    if (!p) return;
    p.close();
    this.#participants.delete(owner);
    this.#relayout();
  }

  #relayout(): void {
    const tiles = gridLayout(this.#participants.size, this.#o.width, this.#o.height);
    [...this.#participants.entries()].forEach(([owner, p], i) => {
      const t = tiles[i]!;
      const resized = !p.tile || p.tile.w !== t.w || p.tile.h !== t.h;
      p.tile = t;
      if (resized && p.video) {
        // Decoders scale to their tile: a new size is a new decoder, from the next keyframe.
        p.video.close();
        p.video = null;
        this.#keyframe(owner, p);
      }
    });
    this.#o.log.info('live.layout', { participants: [...this.#participants.keys()] });
  }

  #keyframe(owner: string, p: LiveParticipant): void {
    const now = performance.now();
    if (now - p.lastKeyRequest < KEYFRAME_EVERY_MS) return;
    p.lastKeyRequest = now;
    this.#o.requestKeyframe(owner);
  }

  /** A frame of `owner`'s, as placed by its track (track-recorder.ts). */
  onFrame(owner: string, f: TimedFrame): void {
    if (this.#closing) return;
    const p = this.#participants.get(owner);
    if (!p?.tile) return;
    if (f.kind === 'audio') {
      if (f.codec !== 'opus') return;
      if (!p.audio || p.audio.dead) p.audio = new AudioDecoder({ ffmpegPath: this.#o.ffmpegPath, log: this.#o.log }, (pcm) => p.pcm.push(pcm));
      p.audio.frame(f.localMs, f.data);
      return;
    }
    if (f.codec !== 'vp8' && f.codec !== 'vp9') return;
    if (p.video && (p.video.dead || p.video.codec !== f.codec)) {
      p.video.close();
      p.video = null;
    }
    if (!p.video) {
      if (!f.keyframe) {
        this.#keyframe(owner, p);
        return;
      }
      const startedAt = performance.now();
      this.#o.log.info('live.decoder_start', { owner, codec: f.codec, width: p.tile.w, height: p.tile.h });
      p.video = new VideoDecoder({
        ffmpegPath: this.#o.ffmpegPath, log: this.#o.log, codec: f.codec, width: p.tile.w, height: p.tile.h,
        firstPicture: () => this.#o.log.info('live.decoder_picture', { owner, afterMs: Math.round(performance.now() - startedAt) }),
        name: { text: p.name, fontFile: this.#o.fontFile, textFile: p.nameFile },
      }, { ...(f.width ? { width: f.width } : {}), ...(f.height ? { height: f.height } : {}) });
    }
    p.video.frame(f.localMs, f.data);
  }

  #tick(): void {
    if (this.#closing || this.#failed) return;
    const o = this.#o;
    let elapsed = performance.now() - this.#t0;
    if (!this.#streaming) {
      if (elapsed > START_TIMEOUT_MS) {
        this.#fail(`ffmpeg did not start pushing within ${START_TIMEOUT_MS} ms: ${this.#stderr.join('').trim().slice(-600)}`);
        return;
      }
      elapsed = Math.min(elapsed, PRIME_MS);
    }
    const backlog = (this.#video!.writableLength / this.#frameBytes) * (1000 / o.fps);
    if (backlog > MAX_BACKLOG_MS) {
      this.#fail(`the encoder is ${Math.round(backlog)} ms behind`);
      return;
    }
    const framesDue = Math.floor((elapsed * o.fps) / 1000);
    if (framesDue > this.#framesSent) {
      this.#draw();
      // A late tick repeats the picture rather than shortening the stream.
      for (; this.#framesSent < framesDue; this.#framesSent++) this.#video!.write(Buffer.from(this.#canvas));
    }
    const samplesDue = Math.floor((elapsed * SAMPLE_RATE) / 1000);
    const samples = samplesDue - this.#samplesSent;
    if (samples > 0) {
      const bytes = samples * BYTES_PER_SAMPLE;
      const sounds = [...this.#participants.values()].map((p) => p.pcm.take(bytes)).filter((b): b is Buffer => b !== null);
      this.#audio!.write(mixPcm(sounds, bytes));
      this.#samplesSent = samplesDue;
    }
  }

  #draw(): void {
    const { width, height } = this.#o;
    fillYuv(this.#canvas, width, height);
    for (const p of this.#participants.values()) {
      if (!p.tile) continue;
      const pic = p.video?.latest;
      if (pic && p.video!.width === p.tile.w && p.video!.height === p.tile.h) blitYuv(this.#canvas, width, height, p.tile, pic);
      else fillTile(this.#canvas, width, height, p.tile);
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      target: redactTarget(this.#o.target), streaming: this.#streaming, sentMs: Math.round((this.#framesSent * 1000) / this.#o.fps), outMs: Math.round(this.#outTimeMs),
      participants: [...this.#participants.entries()].map(([owner, p]) => ({ owner, pictures: p.video?.pictures ?? 0, audioMs: Math.round(p.pcm.received / 192), audioDroppedMs: Math.round(p.pcm.dropped / 192) })),
    };
  }

  /** Ends the stream: the encoder flushes and closes the RTMP connection; resolves when it exited. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#timer) clearInterval(this.#timer);
    const summary = this.toJSON();
    for (const p of this.#participants.values()) p.close();
    const child = this.#encoder;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      this.#video?.end();
      this.#audio?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_WAIT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#work, { recursive: true, force: true });
    this.#o.log.info('live.stop', { ...summary, outMs: Math.round(this.#outTimeMs) });
  }
}
