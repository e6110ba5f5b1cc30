/**
 * Known, real media for recording tests: Debian's ffmpeg encodes VP8 + Opus live (`-re`) from
 * lavfi sources and sends it as RTP to loopback UDP sockets, whose packets are written into werift
 * tracks (werift's sender gives them the negotiated SSRC, payload type and its own SRs).
 * `marked`: a white flash (the first 100 ms of every second, on a grey picture) and a 1 kHz beep
 * over the same 100 ms; otherwise a moving test pattern and silence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack } from 'werift';

export interface RtpMediaSource {
  readonly audio: MediaStreamTrack;
  readonly video: MediaStreamTrack;
  readonly process: ChildProcess;
  /** Packets written so far, per kind. */
  readonly packets: { audio: number; video: number };
  stop(): void;
}

async function bind(): Promise<{ socket: Socket; port: number; rtcp: Socket }> {
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
    if (ok) return { socket, port, rtcp };
    socket.close();
  }
  throw new Error('no UDP port pair');
}

export async function startRtpMediaSource(o: { marked: boolean; width?: number; height?: number; fps?: number }): Promise<RtpMediaSource> {
  const [w, h, fps] = [o.width ?? 320, o.height ?? 240, o.fps ?? 15];
  const audio = new MediaStreamTrack({ kind: 'audio' });
  const video = new MediaStreamTrack({ kind: 'video' });
  const a = await bind();
  const v = await bind();
  const packets = { audio: 0, video: 0 };
  a.socket.on('message', (m) => { packets.audio++; audio.writeRtp(m); });
  v.socket.on('message', (m) => { packets.video++; video.writeRtp(m); });
  const picture = o.marked
    ? `color=c=0x303030:s=${w}x${h}:r=${fps},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t,1),0.1)'`
    : `testsrc2=s=${w}x${h}:r=${fps}`;
  const sound = o.marked ? "sine=f=1000:r=48000,volume=eval=frame:volume='lt(mod(t,1),0.1)'" : 'anullsrc=r=48000:cl=mono';
  const child = spawn('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `${picture}[out0];${sound}[out1]`,
    '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', String(fps), '-auto-alt-ref', '0',
    '-f', 'rtp', '-payload_type', '100', `rtp://127.0.0.1:${v.port}?pkt_size=1100`,
    '-map', '0:a', '-c:a', 'libopus', '-b:a', '48k', '-application', 'lowdelay', '-frame_duration', '20', '-ac', '2',
    '-f', 'rtp', '-payload_type', '111', `rtp://127.0.0.1:${a.port}`,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    audio, video, process: child, packets,
    stop() {
      child.kill('SIGKILL');
      for (const s of [a.socket, a.rtcp, v.socket, v.rtcp]) s.close();
    },
  };
}
