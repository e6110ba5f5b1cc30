/**
 * The recorder under N concurrent 3-party recordings on this machine: the real edge (wrangler dev),
 * a real media node process and a real recorder process (media-node/src/recorder-main.ts), N rooms
 * of three participants sending VP8 + Opus (test/helpers/rtp-media-source.ts, 320×240 at 15 fps),
 * each recording started by its moderator's jibri IQ to the focus, as a client does.
 * While all N are on, it samples the recorder process's CPU (utime + stime from /proc/<pid>/stat)
 * and RSS (/proc/<pid>/status) over --seconds, and the media node's CPU beside it; per recording =
 * the recorder's total / N (its RSS above its idle RSS before the first start, / N). Composition
 * is timed apart: the recorder runs with RECORDER_COMPOSE=false, and after the stops one recording
 * is composed with the recorder's composer (composer.ts, RECORDER_COMPOSE_SIZE) and timed; its speed
 * is the recording's length / the time ffmpeg took (a multiple of real time).
 *   npm exec -- node bench/recording.ts [--recordings 1] [--seconds 20] [--compose-size 1280x720] [--timeout-s 120] [--json]
 * Bounded: it ends its child processes and exits with an error after --timeout-s (at most 120 s).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { xml } from '@xmpp/client';
import { compose } from '../media-node/src/recorder/composer.ts';
import { sessionDirName, type Manifest } from '../media-node/src/recorder/manifest.ts';
import { loadRecorderConfig } from '../media-node/src/recorder/recorder-config.ts';
import { startEdge, type RunningEdge } from '../test/helpers/edge.ts';
import { joinConference, type Participant } from '../test/helpers/jingle-participant.ts';
import { registeredBridges, startMediaNodeProcess, type MediaNodeProcess } from '../test/helpers/media-node-process.ts';
import { startRecorderProcess, type RecorderProcess } from '../test/helpers/recorder-process.ts';
import { startRtpMediaSource, type RtpMediaSource } from '../test/helpers/rtp-media-source.ts';

const { values: o } = parseArgs({ options: {
  recordings: { type: 'string', default: '1' }, seconds: { type: 'string', default: '20' },
  'compose-size': { type: 'string', default: '1280x720' }, 'timeout-s': { type: 'string', default: '120' }, json: { type: 'boolean', default: false },
} });
const N = Number(o.recordings), S = Number(o.seconds);
if (!Number.isInteger(N) || N < 1 || N > 20) throw new Error('--recordings: 1 to 20');
if (!(S >= 5 && S <= 60)) throw new Error('--seconds: 5 to 60');
const TIMEOUT_S = Number(o['timeout-s']);
if (!(TIMEOUT_S >= 5 && TIMEOUT_S <= 120)) throw new Error('--timeout-s: 5 to 120');

const SECRET = 'bench-recording-bridge-secret-0123';
const RECORDER_SECRET = 'bench-recording-recorder-secret-456';
const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64
const started = performance.now();
const step = (what: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of stat(5)
}
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'edgemeet-bench-recordings-'));
let edge: RunningEdge | undefined;
let node: MediaNodeProcess | undefined;
let recorder: RecorderProcess | undefined;
const people: Participant[] = [];
const deadline = setTimeout(() => {
  console.error(`bench/recording.ts: over ${TIMEOUT_S} s, giving up`);
  // process.exit skips the finally below: end the child processes here.
  recorder?.kill('SIGKILL');
  node?.kill('SIGKILL');
  void edge?.stop().finally(() => process.exit(2));
  setTimeout(() => process.exit(2), 3000).unref();
}, TIMEOUT_S * 1000);
const sources: RtpMediaSource[] = [];

async function jibriIq(p: Participant, room: string, attrs: Record<string, string>) {
  const id = `rec-${Math.random().toString(36).slice(2, 8)}`;
  await p.xmpp.send(xml('iq', { type: 'set', id, to: `${room}@${edge!.mucDomain}/focus` }, xml('jibri', { xmlns: NS_JIBRI, ...attrs })));
  return p.xmpp.waitFor((s) => s.name === 'iq' && s.attrs.id === id, 20_000);
}

try {
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  edge = await startEdge({ BRIDGE_SECRET: SECRET, RECORDER_SECRET, LOG_LEVEL: 'error' });
  step('edge up');
  node = await startMediaNodeProcess({ edgeUrl: edge.url.replace(/^http/, 'ws'), secret: SECRET, nodeId: 'bench-rec-node' });
  await until('the node to register', async () => (await registeredBridges(edge!.url)).some((b) => b.id === 'bench-rec-node' && b.connected), 15_000);
  step('node registered');
  const rooms = Array.from({ length: N }, (_, i) => `bench-rec-${i}`);
  const moderators: Participant[] = [];
  await Promise.all(rooms.map(async (room, r) => {
    for (let k = 0; k < 3; k++) {
      const media = await startRtpMediaSource({ marked: k === 0 });
      sources.push(media);
      const p = await joinConference(edge!.wsUrl, room, `r${r}p${k}xxxx`, edge!.mucDomain, { media: { audio: media.audio, video: media.video, displayName: `P${k} of ${room}` } });
      people.push(p);
      if (k === 0) moderators[r] = p;
    }
  }));
  step('participants joining started');
  await until('every participant in its call', () => people.every((p) => p.accepted.length > 0), 30_000);
  step('everyone in the calls');
  recorder = await startRecorderProcess({
    EDGE_URL: edge.url.replace(/^http/, 'ws'), RECORDER_SECRET, RECORDER_ID: 'bench-recorder', RECORDINGS_DIR: dir,
    RECORDER_ICE_HOST: '127.0.0.1', RECORDER_COMPOSE: 'false', RECORDER_MAX_SESSIONS: String(N), LOG_LEVEL: 'info',
  });
  step('recorder in the brewery');
  const rpid = recorder.process.pid!, npid = node.process.pid!;
  await sleep(1000);
  const idleRss = rssMiB(rpid);

  // One start at a time, 300 ms apart: selection (JibriDetector's) skips a recorder picked in the
  // last 200 ms, so starts in the same instant would find the one recorder "busy".
  const sessions: string[] = [];
  for (const [i, p] of moderators.entries()) {
    const answer = await jibriIq(p, rooms[i]!, { action: 'start', recording_mode: 'file' });
    if (answer.attrs.type !== 'result') throw new Error(`start in ${rooms[i]}: ${answer.toString()}`);
    sessions.push(String(answer.getChild('jibri', NS_JIBRI)?.attrs.session_id));
    await sleep(300);
  }
  await until(`${N} recordings on`, () => recorder!.log.filter((e) => e.event === 'jibri.status' && e.status === 'on').length >= N, 30_000);
  step('recordings on');
  const setupS = (performance.now() - t0) / 1000;
  await sleep(2000); // past every track's start (keyframe wait, first clusters)

  const sent = () => sources.reduce((a, x) => a + x.packets.audio + x.packets.video, 0);
  const received = () => people.reduce((a, p) => a + [...p.received.values()].reduce((x, y) => x + y, 0), 0);
  const s0 = sent(), r0 = received(), b0 = process.cpuUsage();
  const c0 = cpuSeconds(rpid), n0 = cpuSeconds(npid), w0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - w0 < S * 1000) {
    await sleep(1000);
    rss.push(rssMiB(rpid));
  }
  const wallS = (performance.now() - w0) / 1000;
  const recorderCpu = (cpuSeconds(rpid) - c0) / wallS, nodeCpu = (cpuSeconds(npid) - n0) / wallS;
  const peakRss = Math.max(...rss);
  // Whether the load generator (this process: every participant's sender and receiver) kept up:
  // what its sources sent and its participants received per second, and its own CPU.
  const b = process.cpuUsage(b0);
  const generator = {
    sentPacketsPerS: Math.round((sent() - s0) / wallS), receivedPacketsPerS: Math.round((received() - r0) / wallS),
    cpuCores: Number(((b.user + b.system) / 1e6 / wallS).toFixed(3)),
  };

  step('sampled; stopping');
  await Promise.all(moderators.map((p, i) => jibriIq(p, rooms[i]!, { action: 'stop' })));
  await until('every recording finished', () => recorder!.log.filter((e) => e.event === 'recording.done' || e.event === 'recording.empty').length >= N, 30_000);
  const framesPerRecording = recorder.log.filter((e) => e.event === 'recording.tracks')
    .map((e) => (e.tracks as Array<{ frames: number }>).reduce((a, t) => a + t.frames, 0));
  const framesDropped = recorder.log.filter((e) => e.event === 'recording.tracks')
    .flatMap((e) => (e.tracks as Array<{ frames: number; dropped: number }>)).reduce((a, t) => ({ frames: a.frames + t.frames, dropped: a.dropped + t.dropped }), { frames: 0, dropped: 0 });

  step('recordings finished; composing');
  // Composition of one recording, timed, with the recorder's own composer and config.
  const sessionDir = join(dir, sessionDirName(sessions[0]!));
  const m = JSON.parse(readFileSync(join(sessionDir, 'manifest.json'), 'utf8')) as Manifest;
  const cfg = loadRecorderConfig({ RECORDER_COMPOSE_SIZE: o['compose-size'], RECORDER_SECRET, RECORDINGS_DIR: dir });
  const k0 = performance.now();
  await compose(sessionDir, m, 'bench.mp4', { width: cfg.composeWidth, height: cfg.composeHeight, fps: cfg.composeFps, fontFile: cfg.fontFile, ffmpegPath: cfg.ffmpegPath });
  const composeS = (performance.now() - k0) / 1000;
  const recordedS = (m.durationMs ?? 0) / 1000;

  const result = {
    bench: 'recording', recordings: N, participantsEach: 3, sampledSeconds: Number(wallS.toFixed(1)), setupSeconds: Number(setupS.toFixed(1)),
    recorderCpuCores: Number(recorderCpu.toFixed(3)), recorderCpuPerRecording: Number((recorderCpu / N).toFixed(3)),
    recorderRssIdleMiB: Math.round(idleRss), recorderRssPeakMiB: Math.round(peakRss), recorderRssPerRecordingMiB: Number(((peakRss - idleRss) / N).toFixed(1)),
    nodeCpuCores: Number(nodeCpu.toFixed(3)), generator, framesPerRecording, frames: framesDropped.frames, framesDropped: framesDropped.dropped,
    compose: { size: o['compose-size'], participants: m.participants.length, recordedSeconds: Number(recordedS.toFixed(1)), seconds: Number(composeS.toFixed(1)), speedX: Number((recordedS / composeS).toFixed(2)) },
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Number((totalmem() / 2 ** 30).toFixed(1)), loadavg1AtStart: Number(load0.toFixed(2)), loadavg1AtEnd: Number(loadavg()[0]!.toFixed(2)) },
    at: new Date().toISOString(),
  };
  if (o.json) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
} finally {
  for (const s of sources) s.stop();
  await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
  recorder?.kill('SIGKILL');
  node?.kill('SIGKILL');
  await Promise.all([recorder?.exited, node?.exited]);
  await edge?.stop();
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(deadline);
}
