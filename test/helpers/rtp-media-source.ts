/**
 * Known, real media for recording tests: Debian's ffmpeg encodes VP8 + Opus RTP from lavfi sources
 * once (as fast as it can, captured from loopback UDP), and each source replays those packets in
 * real time into werift tracks (werift's sender gives them the negotiated SSRC and payload type),
 * looping with continuous sequence numbers and timestamps. Encoding live (`ffmpeg -re`, one per
 * participant) fell behind real time on a loaded machine — 10 s of media in 15 s — so what was
 * recorded could not be checked against the wall clock; a replay is cheap and its timestamps are
 * the capture clock, whatever the event loop's delays (packets late by a timer's lag still carry
 * the time they were captured).
 * Each track's capture clock is registered for werift-sender-reports.ts: its SRs then say when a
 * packet was captured, as a browser's do.
 * `marked`: a white flash (the first 100 ms of every second, on a grey picture) and a 1 kHz beep
 * over the same 100 ms; otherwise a moving test pattern and silence.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack } from 'werift';
import { setCaptureClock } from './werift-sender-reports.ts';

/** Length of the encoded loop: whole seconds, so that the marks (each second) loop seamlessly. */
const LOOP_S = 10;
const RATE = { audio: 48_000, video: 90_000 } as const;

export interface RtpMediaSource {
  readonly audio: MediaStreamTrack;
  readonly video: MediaStreamTrack;
  /** Packets written so far, per kind. */
  readonly packets: { audio: number; video: number };
  /** Wall-clock ms (Date.now() scale) of the media's time 0: the first flash and beep, when marked. */
  readonly startedAt: number;
  stop(): void;
}

interface Encoded { audio: Buffer[]; video: Buffer[] }

const encodings = new Map<string, Promise<Encoded>>();

async function bindCapture(): Promise<{ socket: Socket; port: number; rtcp: Socket; packets: Buffer[] }> {
  // RTP on an even port, ffmpeg's RTCP on the next one (bound too, so it is not refused).
  for (let attempt = 0; attempt < 50; attempt++) {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const port = socket.address().port;
    if (port % 2 !== 0) {
      socket.close();
      continue;
    }
    const rtcp = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      rtcp.once('error', () => r(false));
      rtcp.bind(port + 1, '127.0.0.1', () => r(true));
    });
    if (!ok) {
      socket.close();
      continue;
    }
    // ffmpeg sends as fast as it encodes: room for all of it.
    socket.setRecvBufferSize(4 << 20);
    const packets: Buffer[] = [];
    socket.on('message', (m) => packets.push(m));
    return { socket, port, rtcp, packets };
  }
  throw new Error('no UDP port pair');
}

/** Sequence numbers of `packets` run on without a gap (else the capture lost some). */
function checkContiguous(kind: string, packets: Buffer[]): void {
  for (let i = 1; i < packets.length; i++) {
    if (((packets[i - 1]!.readUInt16BE(2) + 1) & 0xffff) !== packets[i]!.readUInt16BE(2)) throw new Error(`encoding the test media: ${kind} packet ${i} of ${packets.length} lost on loopback`);
  }
}

function encode(o: { marked: boolean; width: number; height: number; fps: number }): Promise<Encoded> {
  const key = JSON.stringify(o);
  let p = encodings.get(key);
  if (!p) {
    p = (async () => {
      const [a, v] = [await bindCapture(), await bindCapture()];
      const { width: w, height: h, fps } = o;
      const picture = o.marked
        ? `color=c=0x303030:s=${w}x${h}:r=${fps},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t,1),0.1)'`
        : `testsrc2=s=${w}x${h}:r=${fps}`;
      const sound = o.marked ? "sine=f=1000:r=48000,volume=eval=frame:volume='lt(mod(t,1),0.1)'" : 'anullsrc=r=48000:cl=mono';
      const child = spawn('ffmpeg', [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-t', String(LOOP_S), '-f', 'lavfi', '-i', `${picture}[out0];${sound}[out1]`,
        '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', String(fps), '-auto-alt-ref', '0',
        '-f', 'rtp', '-payload_type', '100', `rtp://127.0.0.1:${v.port}?pkt_size=1100`,
        '-map', '0:a', '-c:a', 'libopus', '-b:a', '48k', '-application', 'lowdelay', '-frame_duration', '20', '-ac', '2',
        '-f', 'rtp', '-payload_type', '111', `rtp://127.0.0.1:${a.port}`,
      ], { stdio: ['ignore', 'ignore', 'inherit'] });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, 100));
      for (const s of [a.socket, a.rtcp, v.socket, v.rtcp]) s.close();
      if (code !== 0) throw new Error(`ffmpeg exited with ${code}`);
      checkContiguous('audio', a.packets);
      checkContiguous('video', v.packets);
      return { audio: a.packets, video: v.packets };
    })();
    encodings.set(key, p);
  }
  return p;
}

/** One kind's replay: packet i of loop n at its capture time, with sequence numbers and timestamps running on. */
class Replay {
  readonly #packets: Buffer[];
  readonly #rate: number;
  readonly #ts0: number;
  readonly #seq0: number;
  #next = 0;

  constructor(packets: Buffer[], rate: number) {
    this.#packets = packets;
    this.#rate = rate;
    this.#ts0 = packets[0]!.readUInt32BE(4);
    this.#seq0 = packets[0]!.readUInt16BE(2);
  }

  /** Media ms of a (sent) 32-bit timestamp. */
  mediaMs(ts32: number): number {
    return (((ts32 - this.#ts0) >>> 0) * 1000) / this.#rate;
  }

  /** Packets due at media time `ms`, rewritten for their loop. */
  *due(ms: number): Generator<Buffer> {
    const n = this.#packets.length;
    for (;;) {
      const loop = Math.floor(this.#next / n);
      const src = this.#packets[this.#next % n]!;
      const ts = (src.readUInt32BE(4) + loop * LOOP_S * this.#rate) >>> 0;
      if (this.mediaMs(ts) > ms) return;
      const out = Buffer.from(src);
      out.writeUInt32BE(ts, 4);
      out.writeUInt16BE((this.#seq0 + this.#next) & 0xffff, 2);
      this.#next++;
      yield out;
    }
  }
}

export async function startRtpMediaSource(o: { marked: boolean; width?: number; height?: number; fps?: number }): Promise<RtpMediaSource> {
  const enc = await encode({ marked: o.marked, width: o.width ?? 320, height: o.height ?? 240, fps: o.fps ?? 15 });
  const audio = new MediaStreamTrack({ kind: 'audio' });
  const video = new MediaStreamTrack({ kind: 'video' });
  const replays = { audio: new Replay(enc.audio, RATE.audio), video: new Replay(enc.video, RATE.video) };
  const startedAt = Date.now();
  const t0 = performance.now();
  // The capture clock: a sent timestamp → the wall-clock ms it was captured at.
  setCaptureClock(audio, (ts) => startedAt + replays.audio.mediaMs(ts));
  setCaptureClock(video, (ts) => startedAt + replays.video.mediaMs(ts));
  const packets = { audio: 0, video: 0 };
  const pump = () => {
    const ms = performance.now() - t0;
    for (const p of replays.audio.due(ms)) {
      packets.audio++;
      audio.writeRtp(p);
    }
    for (const p of replays.video.due(ms)) {
      packets.video++;
      video.writeRtp(p);
    }
  };
  const timer = setInterval(pump, 5);
  pump();
  return {
    audio, video, packets, startedAt,
    stop() {
      clearInterval(timer);
    },
  };
}
