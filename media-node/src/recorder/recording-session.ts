/**
 * One recording: the recorder's occupant in the room (room-connection.ts), its receive-only media
 * endpoint (media-receiver.ts), a {@link TrackRecorder} per received SSRC and a
 * {@link ParticipantRecording} per participant, the live manifest, and the end (finish.ts).
 * Everything a session does is caught here: a failing session ends itself (status off, failure
 * `error`) and never touches another one or the call.
 * @module
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildJingle, type Jingle, type JingleContent, type PayloadType } from '@edgemeet/protocol';
import { RtcpSrPacket, type RtcpPacket, type RtpPacket } from 'werift';
import type { Logger } from '../log.ts';
import { finishRecording } from './finish.ts';
import { createAssembler } from './frame-assembler.ts';
import { LiveStream } from './live-stream.ts';
import { sessionDirName, writeManifest, type Manifest, type ManifestParticipant } from './manifest.ts';
import { MediaReceiver } from './media-receiver.ts';
import { ParticipantRecording } from './participant-recording.ts';
import type { RecorderConfig } from './recorder-config.ts';
import { RoomConnection, type Occupant } from './room-connection.ts';
import { roomLogin } from './room-login.ts';
import { SenderClock } from './sender-clock.ts';
import { liveStreamViewUrl, resolveStreamTarget } from './stream-target.ts';
import { TrackRecorder } from './track-recorder.ts';

export interface SessionRequest {
  readonly sessionId: string;
  /** `room@conference.<domain>`. */
  readonly roomJid: string;
  readonly mode: 'file' | 'stream';
  /** The jibri IQ's app_data (JSON text), if any. */
  readonly appData?: string;
  readonly initiator?: string;
  /** Stream mode: the jibri IQ's streamid (a YouTube key or an rtmp(s):// URL). */
  readonly streamId?: string;
  readonly youTubeBroadcastId?: string;
}

export interface SessionEnd {
  readonly reason: string;
  /** Set when the recording failed (Jibri's failure_reason). */
  readonly failure?: 'error';
}

export interface SessionListener {
  /** Media is being recorded (Jibri's status on). */
  on(): void;
  /** The session ended by itself (empty room, max duration, failure): status off. */
  ended(end: SessionEnd): void;
}

interface SourceInfo { owner: string; kind: 'audio' | 'video'; name?: string }

const TICK_MS = 50;
/** Status on once a file is being written, or this long after the media connected with nothing to write yet (Jibri: once its capture runs). */
const ON_WITHOUT_MEDIA_MS = 3000;
const MANIFEST_EVERY_MS = 2000;
/** Jibri leaves a call that has had nobody else in it for this long. */
export const EMPTY_CALL_MS = 30_000;

function parseAppData(appData: string | undefined): Record<string, unknown> | null {
  if (!appData) return null;
  try {
    const v = JSON.parse(appData) as { file_recording_metadata?: unknown };
    const m = v?.file_recording_metadata;
    return m && typeof m === 'object' && !Array.isArray(m) ? m as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

export class RecordingSession {
  readonly req: SessionRequest;
  readonly dir: string;
  readonly #config: RecorderConfig;
  readonly #log: Logger;
  readonly #listener: SessionListener;
  readonly #originLocal = performance.now();
  readonly #originWall = Date.now();
  readonly #manifest: Manifest;
  readonly #room: RoomConnection;
  readonly #media: MediaReceiver;
  readonly #sources = new Map<number, SourceInfo>();
  readonly #rtxToPrimary = new Map<number, number>();
  #payloadTypes = new Map<number, PayloadType>();
  readonly #tracks = new Map<number, TrackRecorder>();
  readonly #unsupported = new Set<number>();
  readonly #senders = new Map<string, SenderClock>();
  readonly #participants = new Map<string, ParticipantRecording>();
  #sid = '';
  #timer: ReturnType<typeof setInterval> | null = null;
  #maxTimer: ReturnType<typeof setTimeout> | null = null;
  #lastManifest = '';
  #lastManifestAt = 0;
  #emptySince: number | null = null;
  #on = false;
  #mediaConnectedAt: number | null = null;
  #stopping: Promise<Manifest | null> | null = null;
  /** Stream mode: the live composition pushed to RTMP, instead of files. */
  readonly #live: LiveStream | null = null;
  #liveOn = false;

  constructor(config: RecorderConfig, req: SessionRequest, log: Logger, listener: SessionListener) {
    this.#config = config;
    this.req = req;
    this.#log = log;
    this.#listener = listener;
    this.dir = join(config.recordingsDir, sessionDirName(req.sessionId));
    const room = req.roomJid.slice(0, req.roomJid.indexOf('@'));
    this.#manifest = {
      version: 1, recorder: config.recorderId, pid: process.pid, room, roomJid: req.roomJid, sessionId: req.sessionId, mode: req.mode,
      initiator: req.initiator ?? null, meetingUrl: `${config.edgeUrl.replace(/^ws/, 'http').replace(/\/$/, '')}/${room}`,
      startedAt: new Date(this.#originWall).toISOString(), endedAt: null, durationMs: null, ended: null, endReason: null,
      participants: [], composed: null, composeError: null, metadata: null, fileRecordingMetadata: parseAppData(req.appData),
    };
    if (req.mode === 'stream') {
      // Throws (StreamTargetError) for a target that is not allowed: the start is refused at once.
      const target = resolveStreamTarget(req.streamId, config.rtmpAllow);
      this.#live = new LiveStream({
        target, width: config.streamWidth, height: config.streamHeight, fps: config.streamFps, videoKbps: config.streamVideoKbps,
        ffmpegPath: config.ffmpegPath, fontFile: config.fontFile, log,
        requestKeyframe: (owner) => this.#requestKeyframe(owner),
        onStreaming: () => { this.#liveOn = true; },
        onFailed: (why) => void this.stop({ reason: `live stream failed: ${why}`, failure: 'error' }),
      });
    }
    const viewUrl = req.mode === 'stream' ? liveStreamViewUrl(req.youTubeBroadcastId) : undefined;
    this.#room = new RoomConnection({
      edgeUrl: config.edgeUrl, domain: config.domain, roomJid: req.roomJid, login: roomLogin(config), sessionId: req.sessionId, mode: req.mode, log,
      ...(viewUrl ? { liveStreamViewUrl: viewUrl } : {}),
      onOccupant: (o, present) => this.#onOccupant(o, present),
      onJingle: (j) => this.#onJingle(j),
      onLost: (why) => void this.stop({ reason: why, failure: 'error' }),
    });
    this.#media = new MediaReceiver({
      iceHost: config.iceHost, log,
      onRtp: (p) => this.#guard('rtp', () => this.#onRtp(p)),
      onRtcp: (p) => this.#guard('rtcp', () => this.#onRtcp(p)),
      onConnectionState: (s) => {
        log.info('recording.media_state', { state: s });
        if (s === 'connected') this.#mediaConnectedAt ??= this.#now();
        else if (s === 'failed') void this.stop({ reason: 'media connection failed', failure: 'error' });
      },
    });
  }

  get isOn(): boolean {
    return this.#on;
  }

  /** Makes the directory and joins the room; rejects (after cleaning up) if that fails. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    this.#writeManifest(true);
    this.#live?.start();
    this.#timer = setInterval(() => this.#guard('tick', () => this.#tick()), TICK_MS);
    if (this.#config.maxDurationMs > 0) this.#maxTimer = setTimeout(() => void this.stop({ reason: 'maximum duration reached' }), this.#config.maxDurationMs);
    try {
      await this.#room.join();
      this.#log.info('recording.joined', { room: this.req.roomJid, nick: this.#room.nick });
    } catch (err) {
      await this.stop({ reason: `joining failed: ${err instanceof Error ? err.message : String(err)}`, failure: 'error' }, false);
      throw err;
    }
  }

  /** One failing packet or timer never ends the process: it ends this session, logged. */
  #guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error('recording.failed', { in: what, err });
      void this.stop({ reason: `internal error in ${what}`, failure: 'error' });
    }
  }

  #now(): number {
    return performance.now();
  }

  #timeline(): number {
    return Math.round(this.#now() - this.#originLocal);
  }

  #participant(endpointId: string): ManifestParticipant {
    let p = this.#manifest.participants.find((x) => x.endpointId === endpointId);
    if (!p) {
      p = { endpointId, displayName: null, presence: [], files: [] };
      this.#manifest.participants.push(p);
    }
    return p;
  }

  #onOccupant(o: Occupant, present: boolean): void {
    if (o.hidden) return;
    const p = this.#participant(o.nick);
    if (o.displayName) p.displayName = o.displayName;
    const open = p.presence.find((r) => r.leftMs === null);
    if (present && !open) p.presence.push({ joinedMs: this.#timeline(), leftMs: null });
    if (present) this.#live?.join(o.nick, p.displayName ?? o.nick);
    if (!present) {
      this.#live?.leave(o.nick);
      if (open) open.leftMs = this.#timeline();
      this.#participants.get(o.nick)?.close(this.#now());
    }
  }

  async #onJingle(j: Jingle): Promise<void> {
    if (this.#stopping) return;
    if (j.action === 'session-initiate') {
      this.#sid = j.sid;
      this.#sources.clear();
      this.#rtxToPrimary.clear();
      this.#payloadTypes = MediaReceiver.payloadTypes(j);
      this.#applySources(j.contents, true);
      const answer = await this.#media.accept(j);
      await this.#room.iqToFocus(buildJingle({ action: 'session-accept', sid: j.sid, responder: this.#room.ownJid, contents: answer.contents, groups: answer.groups }));
    } else if ((j.action === 'source-add' || j.action === 'addsource') && j.sid === this.#sid) {
      this.#applySources(j.contents, true);
    } else if ((j.action === 'source-remove' || j.action === 'removesource') && j.sid === this.#sid) {
      this.#applySources(j.contents, false);
    } else if (j.action === 'session-terminate' && j.sid === this.#sid) {
      void this.stop({ reason: 'the focus ended the session', failure: 'error' });
    }
  }

  #applySources(contents: JingleContent[], add: boolean): void {
    for (const c of contents) {
      const d = c.description;
      if (!d || (d.media !== 'audio' && d.media !== 'video')) continue;
      for (const s of d.sources) {
        if (!add) {
          this.#sources.delete(s.ssrc);
          this.#tracks.delete(s.ssrc);
          continue;
        }
        if (!s.owner || s.owner === 'jvb') continue;
        this.#sources.set(s.ssrc, { owner: s.owner, kind: d.media, ...(s.name ? { name: s.name } : {}) });
      }
      for (const g of d.groups) {
        if (g.semantics !== 'FID' || g.ssrcs.length !== 2) continue;
        if (add) this.#rtxToPrimary.set(g.ssrcs[1]!, g.ssrcs[0]!);
        else this.#rtxToPrimary.delete(g.ssrcs[1]!);
      }
    }
    const video = [...this.#sources.values()].filter((s) => s.kind === 'video' && s.name).map((s) => s.name!);
    this.#media.setVideoSources([...new Set(video)]);
  }

  #onRtp(p: RtpPacket): void {
    if (this.#stopping) return;
    const now = this.#now();
    let { ssrc, payloadType, sequenceNumber } = p.header;
    let payload = p.payload;
    let pt = this.#payloadTypes.get(payloadType);
    if (pt?.name.toLowerCase() === 'rtx') {
      // RFC 4588: the original sequence number, then the original payload, on the FID group's SSRC.
      const apt = Number(pt.parameters.find((x) => x.name === 'apt')?.value);
      const primary = this.#rtxToPrimary.get(ssrc);
      if (primary === undefined || payload.length < 2 || !this.#payloadTypes.has(apt)) return;
      sequenceNumber = payload.readUInt16BE(0);
      payload = payload.subarray(2);
      ssrc = primary;
      pt = this.#payloadTypes.get(apt);
    }
    const source = this.#sources.get(ssrc);
    if (!source || !pt) return;
    let track = this.#tracks.get(ssrc);
    if (!track) {
      const assembler = createAssembler(pt.name);
      if (!assembler) {
        if (!this.#unsupported.has(ssrc)) this.#log.warn('recording.codec_unsupported', { ssrc, codec: pt.name, owner: source.owner });
        this.#unsupported.add(ssrc);
        return;
      }
      let sender = this.#senders.get(source.owner);
      if (!sender) this.#senders.set(source.owner, sender = new SenderClock());
      const owner = source.owner;
      track = new TrackRecorder({
        ssrc, owner, kind: source.kind, clockRate: pt.clockrate, assembler, sender, jitterMs: this.#config.jitterMs,
        feedback: { nack: (m, seqs) => this.#media.nack(m, seqs), pli: (m) => this.#media.pli(m) }, log: this.#log,
        onFrame: (f) => (this.#live ? this.#live.onFrame(owner, f) : this.#recordingOf(owner).onFrame(f, this.#now())),
      });
      this.#tracks.set(ssrc, track);
      this.#log.info('recording.track', { ssrc, kind: source.kind, codec: pt.name, owner });
    }
    // Held in the jitter buffer: a copy, not a view of werift's receive buffer.
    track.onRtp({ sequenceNumber, timestamp: p.header.timestamp, marker: p.header.marker, payload: Buffer.from(payload) }, now);
  }

  #requestKeyframe(owner: string): void {
    for (const [ssrc, s] of this.#sources) if (s.owner === owner && s.kind === 'video' && this.#tracks.has(ssrc)) this.#media.pli(ssrc);
  }

  #onRtcp(p: RtcpPacket): void {
    if (p instanceof RtcpSrPacket) this.#tracks.get(p.ssrc)?.onSenderReport(p.senderInfo.ntpTimestamp, p.senderInfo.rtpTimestamp);
  }

  #recordingOf(endpointId: string): ParticipantRecording {
    let r = this.#participants.get(endpointId);
    if (!r) {
      const manifest = this.#participant(endpointId);
      if (!manifest.presence.some((x) => x.leftMs === null)) manifest.presence.push({ joinedMs: this.#timeline(), leftMs: null });
      r = new ParticipantRecording({
        endpointId, dir: this.dir, originLocalMs: this.#originLocal, originWallMs: this.#originWall, clusterMs: this.#config.clusterMs, jitterMs: this.#config.jitterMs,
        signalled: () => {
          const kinds = [...this.#sources.values()].filter((s) => s.owner === endpointId).map((s) => s.kind);
          return { audio: kinds.includes('audio'), video: kinds.includes('video') };
        },
        title: () => `${this.#manifest.room}: ${manifest.displayName ?? endpointId}`,
      });
      this.#participants.set(endpointId, r);
    }
    return r;
  }

  #tick(): void {
    if (this.#stopping) return;
    const now = this.#now();
    for (const t of this.#tracks.values()) t.tick(now);
    for (const p of this.#participants.values()) p.tick(now);
    const on = this.#live ? this.#liveOn : [...this.#participants.values()].some((p) => p.parts.length > 0)
      || (this.#mediaConnectedAt !== null && now - this.#mediaConnectedAt >= ON_WITHOUT_MEDIA_MS);
    if (!this.#on && on) {
      this.#on = true;
      this.#log.info('recording.on', { files: [...this.#participants.values()].reduce((n, p) => n + p.parts.length, 0) });
      this.#listener.on();
    }
    const anyone = [...this.#room.occupants.values()].some((o) => !o.hidden);
    if (anyone) this.#emptySince = null;
    else if (this.#emptySince === null) this.#emptySince = now;
    else if (now - this.#emptySince >= EMPTY_CALL_MS) void this.stop({ reason: 'nobody left in the call' });
    if (now - this.#lastManifestAt >= MANIFEST_EVERY_MS) this.#writeManifest(false);
  }

  #syncFiles(): void {
    for (const [endpointId, r] of this.#participants) {
      const p = this.#participant(endpointId);
      p.files = r.parts.map((part) => ({ ...part, sha256: p.files.find((f) => f.file === part.file)?.sha256 ?? null }));
    }
  }

  #writeManifest(force: boolean): void {
    this.#lastManifestAt = this.#now();
    this.#syncFiles();
    const text = JSON.stringify(this.#manifest);
    if (!force && text === this.#lastManifest) return;
    this.#lastManifest = text;
    writeManifest(this.dir, this.#manifest);
  }

  /**
   * Ends the recording: leaves the room, closes every file, then composes and finalizes. Resolves
   * with the final manifest (null when nothing was recorded: the directory is removed, as Jibri
   * does). `notify` false: the caller reports the end itself. Safe to call twice.
   */
  stop(end: SessionEnd, notify = true): Promise<Manifest | null> {
    this.#stopping ??= this.#stop(end, notify);
    return this.#stopping;
  }

  async #stop(end: SessionEnd, notify: boolean): Promise<Manifest | null> {
    this.#log.info('recording.stopping', { reason: end.reason, failure: end.failure });
    if (this.#timer) clearInterval(this.#timer);
    if (this.#maxTimer) clearTimeout(this.#maxTimer);
    if (notify) this.#listener.ended(end);
    const now = this.#now();
    for (const t of this.#tracks.values()) t.tick(now + this.#config.jitterMs);
    for (const p of this.#participants.values()) p.close(now, true);
    this.#log.info('recording.tracks', { tracks: [...this.#tracks.values()].map((t) => t.toJSON()) });
    await Promise.allSettled([this.#media.close(), this.#room.leave(), this.#live?.close()]);
    const m = this.#manifest;
    const endMs = this.#timeline();
    for (const p of m.participants) for (const r of p.presence) r.leftMs ??= endMs;
    m.endedAt = new Date(this.#originWall + endMs).toISOString();
    m.durationMs = endMs;
    m.ended = 'cleanly';
    m.endReason = end.reason;
    this.#syncFiles();
    if (!m.participants.some((p) => p.files.length > 0)) {
      this.#log.info('recording.empty', { dir: this.dir });
      // Jibri: no media recorded → no directory, no metadata, no finalize.
      if (readdirSync(this.dir).every((f) => f.endsWith('.json') || f.startsWith('.'))) rmSync(this.dir, { recursive: true, force: true });
      return null;
    }
    await finishRecording(this.dir, m, { ...this.#config, width: this.#config.composeWidth, height: this.#config.composeHeight, fps: this.#config.composeFps }, this.#log);
    this.#log.info('recording.done', { dir: this.dir, durationMs: endMs, composed: m.composed?.file ?? null });
    return m;
  }

  toJSON(): Record<string, unknown> {
    return { sessionId: this.req.sessionId, room: this.req.roomJid, on: this.#on, tracks: [...this.#tracks.values()].map((t) => t.toJSON()), ...(this.#live ? { live: this.#live.toJSON() } : {}) };
  }
}
