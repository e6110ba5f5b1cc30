/**
 * The recorder end to end (issue 14's "done when"): the real edge, a real media node process,
 * three participants sending known VP8 + Opus (encoded by ffmpeg, replayed in real time by
 * rtp-media-source.ts: participant A flashes white and beeps at the start of every second; their
 * werift senders' SRs carry the capture time, as a browser's do), a recording started through the recorder's session API, a fourth
 * participant joining and one leaving during it, then stop. ffprobe checks every per-participant
 * WebM and the composed MP4 (streams, codecs, durations), ffmpeg filters find A's flashes and
 * beeps in the composed file (within 80 ms of each other), and the manifest says what happened.
 * One recording, many assertions: the heavy part runs once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionDirName, type Manifest } from '../../media-node/src/recorder/manifest.ts';
import type { Element } from '@edgemeet/protocol';
import { xml } from '@xmpp/client';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { joinConference, type Participant } from '../helpers/jingle-participant.ts';
import { registeredBridges, startMediaNodeProcess, type MediaNodeProcess } from '../helpers/media-node-process.ts';
import { startRecorderProcess, type RecorderProcess } from '../helpers/recorder-process.ts';
import { startRtpMediaSource, type RtpMediaSource } from '../helpers/rtp-media-source.ts';

const SECRET = 'recorder-test-secret-0123456789';
const RECORDER_SECRET = 'recorder-test-recorder-secret-98765';
const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
const ROOM = 'recorded-room';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** expect.poll for hooks (vitest allows it only inside tests). */
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const haveFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!haveFfmpeg) console.warn('skipping recorder test: no ffmpeg (apt-get install ffmpeg)');

function ffprobe(path: string): { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>; format: { duration?: string } } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Decodes the whole file and returns the time of its last decoded audio and video frame (s). */
function lastDecoded(path: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return Math.max(0, ...r.stdout.split('\n').map(Number).filter(Number.isFinite));
}

/** Onsets (s) of A's flashes in the composed file: its tile (top-left) turning bright. */
function flashOnsets(path: string, tile: { w: number; h: number }): number[] {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-vf', `crop=${tile.w / 2}:${tile.h / 2}:${tile.w / 4}:${tile.h / 4},signalstats,metadata=print:key=lavfi.signalstats.YAVG`, '-an', '-f', 'null', '-'],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  const onsets: number[] = [];
  let t = 0;
  let bright = false;
  for (const line of r.stderr.split('\n')) {
    const pts = /pts_time:([\d.]+)/.exec(line);
    if (pts) t = Number(pts[1]);
    const y = /YAVG=([\d.]+)/.exec(line);
    if (y) {
      const now = Number(y[1]) > 150;
      if (now && !bright) onsets.push(t);
      bright = now;
    }
  }
  return onsets;
}

/** Onsets (s) of beeps in the composed file's mixed audio (the ends of silences). */
function beepOnsets(path: string): number[] {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-vn', '-af', 'silencedetect=noise=-35dB:d=0.3', '-f', 'null', '-'], { encoding: 'utf8' });
  return [...r.stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
}

describe.skipIf(!haveFfmpeg)('the recorder records a three-party call', () => {
  let edge: RunningEdge;
  let node: MediaNodeProcess;
  const people: Participant[] = [];
  const sources: RtpMediaSource[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'edgemeet-recordings-'));
  let statuses: string[] = [];
  let recorder: RecorderProcess;
  let sessionId = '';
  let manifest: Manifest;
  let recordedMs = 0;
  let sessionDir = '';
  let tracks: Array<{ owner: string; kind: string; clock: string | null; srDistrusted: boolean; frames: number; dropped: number }> = [];

  async function join3(nick: string, name: string, marked: boolean): Promise<Participant> {
    const media = await startRtpMediaSource({ marked });
    sources.push(media);
    const p = await joinConference(edge.wsUrl, ROOM, nick, edge.mucDomain, { media: { audio: media.audio, video: media.video, displayName: name } });
    people.push(p);
    return p;
  }

  /** A jibri IQ from `p` to the focus occupant; resolves with the answer. */
  async function jibriIq(p: Participant, attrs: Record<string, string>): Promise<Element> {
    const id = `rec-${Math.random().toString(36).slice(2, 8)}`;
    await p.xmpp.send(xml('iq', { type: 'set', id, to: `${ROOM}@${edge.mucDomain}/focus` }, xml('jibri', { xmlns: NS_JIBRI, ...attrs })));
    return p.xmpp.waitFor((s) => s.name === 'iq' && s.attrs.id === id, 15_000);
  }
  /** The focus's jibri-recording-status elements `p` has seen for session `sid`, in order. */
  function statusElements(p: Participant, sid: string): Element[] {
    return p.xmpp.stanzas
      .filter((s) => s.name === 'presence' && s.attrs.from === `${ROOM}@${edge.mucDomain}/focus`)
      .map((s) => s.getChild('jibri-recording-status', NS_JIBRI))
      .filter((st): st is Element => st !== undefined && st.attrs.session_id === sid);
  }
  /** The focus's jibri-recording-status values `p` has seen, in order, repeats folded. */
  function statusesSeen(p: Participant): string[] {
    const seen: string[] = [];
    for (const s of p.xmpp.stanzas) {
      if (s.name !== 'presence' || s.attrs.from !== `${ROOM}@${edge.mucDomain}/focus`) continue;
      const st = s.getChild('jibri-recording-status', NS_JIBRI);
      if (st && (!sessionId || st.attrs.session_id === sessionId) && seen.at(-1) !== st.attrs.status) seen.push(String(st.attrs.status));
    }
    return seen;
  }

  beforeAll(async () => {
    edge = await startEdge({ BRIDGE_SECRET: SECRET, RECORDER_SECRET, LOG_LEVEL: 'warn' });
    node = await startMediaNodeProcess({ edgeUrl: edge.url.replace(/^http/, 'ws'), secret: SECRET, nodeId: 'rec-node' });
    await until('the node to register', async () => (await registeredBridges(edge.url)).some((b) => b.id === 'rec-node' && b.connected), 10_000);
    await join3('alice001', 'Alice', true);
    await join3('bob00002', 'Bob', false);
    await join3('carol003', 'Carol', false);
    await until('every participant in the call', () => people.every((p) => p.accepted.length > 0), 15_000);
    recorder = await startRecorderProcess({
      EDGE_URL: edge.url.replace(/^http/, 'ws'), RECORDER_SECRET, RECORDER_ID: 'rec-test', RECORDINGS_DIR: dir,
      RECORDER_ICE_HOST: '127.0.0.1', RECORDER_COMPOSE_SIZE: '640x360', LOG_LEVEL: process.env.RECORDER_LOG_LEVEL ?? 'info',
    });

    // A moderator (Alice, first in) starts the recording through the focus, as lib-jitsi-meet does.
    const alice = people[0]!;
    const roomJid = `${ROOM}@${edge.mucDomain}`;
    const answer = await jibriIq(alice, { action: 'start', recording_mode: 'file', app_data: JSON.stringify({ file_recording_metadata: { share: true } }) });
    expect(answer.attrs.type).toBe('result');
    sessionId = String(answer.getChild('jibri', NS_JIBRI)?.attrs.session_id);
    sessionDir = join(dir, sessionDirName(sessionId));
    await until('status on', () => statusesSeen(alice).includes('on'), 20_000);
    const t0 = Date.now();
    await sleep(4000);
    await join3('dave0004', 'Dave', false);
    await sleep(3000);
    await people[1]!.leave();
    await sleep(3000);
    recordedMs = Date.now() - t0;
    const stop = await jibriIq(alice, { action: 'stop' });
    expect(stop.attrs.type).toBe('result');
    await until('status off', () => statusesSeen(alice).includes('off'), 10_000);
    statuses = statusesSeen(alice);
    await until('the recording finished', () => recorder.log.some((e) => e.event === 'recording.done' || e.event === 'recording.empty'), 60_000);
    tracks = (recorder.log.find((e) => e.event === 'recording.tracks')?.tracks ?? []) as typeof tracks;
    void roomJid;
    manifest = JSON.parse(readFileSync(join(sessionDir, 'manifest.json'), 'utf8')) as Manifest;
  }, 120_000);

  afterAll(async () => {
    for (const s of sources) s.stop();
    await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
    node?.kill('SIGKILL');
    recorder?.kill('SIGTERM');
    await Promise.all([node?.exited, recorder?.exited]);
    await edge?.stop();
    if (!process.env.KEEP_RECORDINGS) rmSync(dir, { recursive: true, force: true });
    else console.log(`recordings kept in ${dir}`);
  });

  it('is started and stopped through the focus: jibri-recording-status on → off', () => {
    // As Jicofo (JibriSession dispatches only ON and OFF to JibriRecorder's presence), the focus
    // publishes no pending: the starter's pending comes from the IQ result.
    expect(statuses.filter((s) => s !== 'pending')).toEqual(['on', 'off']);
    expect(recorder.log.filter((e) => e.event === 'jibri.status').map((e) => e.status)).toEqual(['on']);
  });

  it('writes a manifest that says who was there, when, with which files', () => {
    expect(manifest.ended).toBe('cleanly');
    expect(manifest.room).toBe(ROOM);
    expect(manifest.durationMs!).toBeGreaterThan(recordedMs - 500);
    const names = manifest.participants.map((p) => p.displayName).sort();
    expect(names).toEqual(['Alice', 'Bob', 'Carol', 'Dave']);
    const bob = manifest.participants.find((p) => p.displayName === 'Bob')!;
    const dave = manifest.participants.find((p) => p.displayName === 'Dave')!;
    expect(bob.presence[0]!.leftMs! - manifest.durationMs!).toBeLessThan(-2000);
    expect(dave.presence[0]!.joinedMs).toBeGreaterThan(3000);
    for (const p of manifest.participants) {
      expect(p.files.length, p.displayName!).toBeGreaterThan(0);
      for (const f of p.files) {
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(f.tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
        expect(f.tracks.find((t) => t.kind === 'video')).toMatchObject({ codec: 'vp8', width: 320, height: 240 });
      }
    }
    const metadata = JSON.parse(readFileSync(join(sessionDir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ share: true, meeting_url: expect.stringContaining(`/${ROOM}`) });
    expect(metadata.participants).toHaveLength(4);
  });

  it('writes per-participant WebMs with VP8 + Opus that last as long as each was recorded', () => {
    for (const p of manifest.participants) {
      for (const f of p.files) {
        const probe = ffprobe(join(sessionDir, f.file));
        expect(probe.streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort()).toEqual(['audio/opus', 'video/vp8']);
        const recorded = (f.endMs! - f.startMs) / 1000;
        expect(Math.abs(Number(probe.format.duration) - recorded), `${f.file} duration`).toBeLessThan(1);
        expect(Math.abs(lastDecoded(join(sessionDir, f.file)) - recorded), `${f.file} decodes to the end`).toBeLessThan(1);
      }
    }
  });

  it('composes an H.264 + AAC MP4 in which A flashes and beeps together', () => {
    expect(manifest.composeError).toBeNull();
    expect(manifest.composed!.file).toMatch(new RegExp(`^${ROOM}_\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}\\.mp4$`));
    const path = join(sessionDir, manifest.composed!.file);
    expect(existsSync(path)).toBe(true);
    const probe = ffprobe(path);
    expect(probe.streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort()).toEqual(['audio/aac', 'video/h264']);
    expect(Math.abs(Number(probe.format.duration) - manifest.durationMs! / 1000)).toBeLessThan(1);
    // Four at most at once: a 2×2 grid of 320×180 tiles; Alice, first in, is top left.
    const flashes = flashOnsets(path, { w: 320, h: 180 });
    const beeps = beepOnsets(path);
    expect(flashes.length).toBeGreaterThan(5);
    expect(beeps.length).toBeGreaterThan(5);
    const gaps = flashes.map((f) => Math.min(...beeps.map((b) => Math.abs(b - f))));
    console.log(`A/V offsets of A's flashes to beeps (ms): ${gaps.map((g) => Math.round(g * 1000)).join(' ')}`);
    expect(gaps.filter((g) => g <= 0.08).length).toBeGreaterThanOrEqual(gaps.length - 1);
    // …because A's audio and video were placed through its sender reports (not by arrival alone).
    expect(tracks.filter((t) => t.owner === 'alice001').map((t) => `${t.kind}:${t.clock}`).sort()).toEqual(['audio:sr', 'video:sr']);
    expect(tracks.every((t) => !t.srDistrusted)).toBe(true);
  });

  // Last, in the same call (the heavy setup runs once): a second recording whose recorder is killed.
  it('survives kill -9 of the recorder: status off with a failure reason, the call goes on, the restarted recorder repairs the cut recording', async () => {
    const alice = people[0]!;
    const answer = await jibriIq(alice, { action: 'start', recording_mode: 'file' });
    expect(answer.attrs.type).toBe('result');
    const sid = String(answer.getChild('jibri', NS_JIBRI)?.attrs.session_id);
    expect(sid).not.toBe(sessionId);
    await expect.poll(() => statusElements(alice, sid).some((st) => st.attrs.status === 'on'), { timeout: 20_000 }).toBe(true);
    const t0 = Date.now();
    await sleep(7000);
    const recordedBeforeKill = Date.now() - t0;
    const oldPid = recorder.process.pid;
    recorder.kill('SIGKILL');
    expect(await recorder.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    // The room is told: the focus's status goes off for that session, with a failure_reason.
    await expect.poll(() => statusElements(alice, sid).some((st) => st.attrs.status === 'off'), { timeout: 15_000 }).toBe(true);
    const off = statusElements(alice, sid).find((st) => st.attrs.status === 'off')!;
    expect(off.attrs.failure_reason).toBeTruthy();
    console.log(`status off ${Date.now() - killedAt} ms after the kill, failure_reason=${off.attrs.failure_reason}`);

    // The call goes on: everyone still in it keeps receiving media through the node.
    const inCall = people.filter((p) => p !== people[1]);
    const before = inCall.map((p) => [...p.received.values()].reduce((a, b) => a + b, 0));
    await sleep(2000);
    inCall.forEach((p, i) => expect([...p.received.values()].reduce((a, b) => a + b, 0) - before[i]!, `${p.nick} receives`).toBeGreaterThan(100));

    // Restarted (same id, same directory), the recorder repairs the cut recording before it goes online.
    recorder = await startRecorderProcess({
      EDGE_URL: edge.url.replace(/^http/, 'ws'), RECORDER_SECRET, RECORDER_ID: 'rec-test', RECORDINGS_DIR: dir,
      RECORDER_ICE_HOST: '127.0.0.1', RECORDER_COMPOSE_SIZE: '640x360', LOG_LEVEL: process.env.RECORDER_LOG_LEVEL ?? 'info',
    });
    expect(recorder.process.pid).not.toBe(oldPid);
    expect(recorder.log.some((e) => e.event === 'recording.cut' && e.session === sid)).toBe(true);
    const cutDir = join(dir, sessionDirName(sid));
    const cut = JSON.parse(readFileSync(join(cutDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(cut.ended).toBe('cut');
    expect(cut.sessionId).toBe(sid);
    // Alice, Carol and Dave were in the call.
    expect(cut.participants.map((p) => p.displayName).sort()).toEqual(['Alice', 'Carol', 'Dave']);
    for (const p of cut.participants) {
      expect(p.files.length, p.displayName!).toBeGreaterThan(0);
      for (const f of p.files) {
        const path = join(cutDir, f.file);
        const probe = ffprobe(path);
        expect(probe.streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort()).toEqual(['audio/opus', 'video/vp8']);
        const played = lastDecoded(path) * 1000;
        console.log(`${f.file}: ${Math.round(played)} ms playable of ${recordedBeforeKill} ms recorded before the kill (duration ${probe.format.duration})`);
        expect(played, `${f.file} plays up to at most 5 s before the kill`).toBeGreaterThan(recordedBeforeKill - 5000);
        expect(played, `${f.file} holds nothing after the kill`).toBeLessThan(recordedBeforeKill + 1500);
        expect(Math.abs(Number(probe.format.duration) * 1000 - played), `${f.file} duration`).toBeLessThan(1000);
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
    }
    expect(cut.composeError).toBeNull();
    const composed = join(cutDir, cut.composed!.file);
    expect(existsSync(composed)).toBe(true);
    expect(ffprobe(composed).streams.map((s) => `${s.codec_type}/${s.codec_name}`).sort()).toEqual(['audio/aac', 'video/h264']);
  }, 90_000);
});
