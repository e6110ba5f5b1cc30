/**
 * Recorder configuration: the only place the recorder process reads `process.env`. Every key has
 * a documented default (docs/configuration.md, "Recorder"); bad values fail fast, all named at once.
 * @module
 */
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { ConfigError, type EnvKey, type LogLevel } from '../config.ts';
import { parseRtmpAllow, type AllowedTarget } from './stream-target.ts';

/** How the recorder logs in to a room's XMPP WebSocket (see room-login.ts). */
export type RoomLoginMode = 'hidden' | 'anonymous';

export interface RecorderConfig {
  readonly edgeUrl: string;
  readonly region: string;
  readonly domain: string;
  readonly recorderId: string;
  readonly secret: string;
  /** Where each recording's directory (`<session_id>/`) is made. */
  readonly recordingsDir: string;
  /** Concurrent recordings this process takes; at that many it reports busy. */
  readonly maxSessions: number;
  /** Run on a finished recording's directory (its path as the one argument), as Jibri's finalize script; '' for none. */
  readonly finalizeCommand: string;
  /** How long the jitter buffer waits for a missing packet (NACKed meanwhile) before it is given up. */
  readonly jitterMs: number;
  /** Longest span of one WebM cluster: what a kill -9 loses at most, on top of jitterMs. */
  readonly clusterMs: number;
  /** A recording stops by itself after this long (0: no limit), as Jibri's max usage. */
  readonly maxDurationMs: number;
  /** Compose the grid MP4 when a recording ends. */
  readonly compose: boolean;
  readonly composeWidth: number;
  readonly composeHeight: number;
  readonly composeFps: number;
  /** TrueType font for the names in the grid (Debian fonts-dejavu-core). */
  readonly fontFile: string;
  readonly ffmpegPath: string;
  readonly roomLogin: RoomLoginMode;
  /** Live streaming: the hosts (host[:port]) a stream may be pushed to (Jibri's RTMP allow-list). */
  readonly rtmpAllow: readonly AllowedTarget[];
  readonly streamWidth: number;
  readonly streamHeight: number;
  readonly streamFps: number;
  readonly streamVideoKbps: number;
  /** Local address ICE uses (undefined: every interface). */
  readonly iceHost: string | undefined;
  /** Repair (mark `cut`, compose, finalize) this recorder's unfinished directories when it starts. */
  readonly repairOnStart: boolean;
  readonly logLevel: LogLevel;
}

/** Every key loadRecorderConfig reads, in env-file order, with its default. */
export const RECORDER_ENV: readonly EnvKey[] = Object.freeze([
  { key: 'EDGE_URL', default: 'ws://127.0.0.1:8787', doc: 'edge base URL the recorder dials; wss:// in production (plain ws:// only on loopback)' },
  { key: 'RECORDER_SECRET', default: null, required: true, secret: true, doc: "the edge's RECORDER_SECRET (the recorder's SASL PLAIN password)" },
  { key: 'RECORDER_ID', default: null, defaultNote: 'recorder-<host name>', doc: 'recorder id (jibri brewery nickname and login): lower-case letters, digits, dashes' },
  { key: 'REGION', default: 'default', doc: 'Registry region to join' },
  { key: 'XMPP_DOMAIN', default: 'meet.jitsi', doc: "the deployment's XMPP domain (the edge's XMPP_DOMAIN)" },
  { key: 'RECORDINGS_DIR', default: '/var/lib/edgemeet/recordings', doc: 'absolute directory that holds one sub-directory per recording (its session_id)' },
  { key: 'RECORDER_MAX_SESSIONS', default: '10', doc: 'concurrent recordings this process takes; at that many it reports busy' },
  { key: 'RECORDER_FINALIZE_COMMAND', default: '', doc: "command run with a finished recording's directory as its argument (Jibri's finalize script); empty: none" },
  { key: 'RECORDER_JITTER_MS', default: '400', doc: 'how long a missing packet is waited for (and NACKed) before it is given up' },
  { key: 'RECORDER_CLUSTER_MS', default: '1000', doc: 'longest WebM cluster; a kill -9 loses at most this plus RECORDER_JITTER_MS' },
  { key: 'RECORDER_MAX_DURATION_MS', default: '0', doc: 'a recording stops by itself after this long; 0: no limit' },
  { key: 'RECORDER_COMPOSE', default: 'true', doc: 'compose the grid MP4 (H.264 + AAC) when a recording ends: true or false' },
  { key: 'RECORDER_COMPOSE_SIZE', default: '1280x720', doc: 'size of the composed video, WIDTHxHEIGHT (even numbers)' },
  { key: 'RECORDER_COMPOSE_FPS', default: '25', doc: 'frame rate of the composed video' },
  { key: 'RECORDER_FONT_FILE', default: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', doc: 'font for the names in the grid (Debian fonts-dejavu-core)' },
  { key: 'RECORDER_FFMPEG', default: 'ffmpeg', doc: "ffmpeg to compose with (Debian's)" },
  { key: 'RECORDER_RTMP_ALLOW', default: 'a.rtmp.youtube.com', doc: "live streaming: hosts (host or host:port, comma-separated) a stream may be pushed to; a bare stream id goes to YouTube's rtmp://a.rtmp.youtube.com/live2/<id>" },
  { key: 'RECORDER_STREAM_SIZE', default: '1280x720', doc: 'size of a live stream, WIDTHxHEIGHT (even numbers)' },
  { key: 'RECORDER_STREAM_FPS', default: '25', doc: 'frame rate of a live stream' },
  { key: 'RECORDER_STREAM_VIDEO_KBPS', default: '2500', doc: "a live stream's H.264 bit rate (kbit/s; YouTube suggests 1500-4000 for 720p)" },
  { key: 'RECORDER_ROOM_LOGIN', default: 'hidden', doc: 'hidden: log in to recorder.<domain> with RECORDER_ID/RECORDER_SECRET (a hidden occupant); anonymous: join as a plain guest (development only)' },
  { key: 'RECORDER_ICE_HOST', default: null, defaultNote: 'every interface', doc: 'the one local address ICE gathers candidates on (127.0.0.1 for a node on the same host)' },
  { key: 'RECORDER_REPAIR_ON_START', default: 'true', doc: "on start, mark this recorder's unfinished recordings cut, compose and finalize them: true or false" },
  { key: 'LOG_LEVEL', default: 'info', doc: 'debug, info, warn or error (JSON lines on stdout: the journal)' },
]);

export function loadRecorderConfig(source: Record<string, string | undefined> = process.env): RecorderConfig {
  const problems: string[] = [];
  const str = (key: string, fallback?: string): string => {
    const v = source[key]?.trim();
    if (v) return v;
    if (fallback === undefined) problems.push(`${key}: required`);
    return fallback ?? '';
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const v = source[key]?.trim();
    if (!v) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${key}: expected an integer from ${min} to ${max}`);
    return n;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = source[key]?.trim();
    if (!v) return fallback;
    if (v !== 'true' && v !== 'false') problems.push(`${key}: expected true or false`);
    return v === 'true';
  };
  const edgeUrl = str('EDGE_URL', 'ws://127.0.0.1:8787');
  if (!/^wss?:\/\//.test(edgeUrl)) problems.push('EDGE_URL: expected ws:// or wss://');
  else if (edgeUrl.startsWith('ws://') && !/^ws:\/\/(127\.|localhost|\[::1\])/.test(edgeUrl)) problems.push('EDGE_URL: plain ws:// is only allowed on loopback');
  const secret = str('RECORDER_SECRET');
  if (secret && secret.length < 16) problems.push('RECORDER_SECRET: at least 16 characters');
  const recorderId = str('RECORDER_ID', `recorder-${hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 64));
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(recorderId)) problems.push('RECORDER_ID: lower-case letters, digits and dashes');
  const recordingsDir = str('RECORDINGS_DIR', '/var/lib/edgemeet/recordings');
  if (!isAbsolute(recordingsDir)) problems.push('RECORDINGS_DIR: an absolute path');
  const size = /^(\d{2,4})x(\d{2,4})$/.exec(str('RECORDER_COMPOSE_SIZE', '1280x720'));
  const [w, h] = size ? [Number(size[1]), Number(size[2])] : [0, 0];
  if (!size || w % 2 || h % 2 || w < 64 || h < 64) problems.push('RECORDER_COMPOSE_SIZE: WIDTHxHEIGHT, even numbers from 64');
  const streamSize = /^(\d{2,4})x(\d{2,4})$/.exec(str('RECORDER_STREAM_SIZE', '1280x720'));
  const [sw, sh] = streamSize ? [Number(streamSize[1]), Number(streamSize[2])] : [0, 0];
  if (!streamSize || sw % 2 || sh % 2 || sw < 64 || sh < 64) problems.push('RECORDER_STREAM_SIZE: WIDTHxHEIGHT, even numbers from 64');
  const rtmpAllow = parseRtmpAllow(str('RECORDER_RTMP_ALLOW', 'a.rtmp.youtube.com'));
  if (typeof rtmpAllow === 'string') problems.push(`RECORDER_RTMP_ALLOW: ${rtmpAllow}`);
  const roomLogin = str('RECORDER_ROOM_LOGIN', 'hidden') as RoomLoginMode;
  if (roomLogin !== 'hidden' && roomLogin !== 'anonymous') problems.push('RECORDER_ROOM_LOGIN: hidden or anonymous');
  const logLevel = str('LOG_LEVEL', 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push('LOG_LEVEL: expected debug, info, warn or error');
  const config: RecorderConfig = {
    edgeUrl, region: str('REGION', 'default'), domain: str('XMPP_DOMAIN', 'meet.jitsi'), recorderId, secret, recordingsDir,
    maxSessions: int('RECORDER_MAX_SESSIONS', 10, 1, 1000),
    finalizeCommand: source.RECORDER_FINALIZE_COMMAND?.trim() ?? '',
    jitterMs: int('RECORDER_JITTER_MS', 400, 20, 5000),
    clusterMs: int('RECORDER_CLUSTER_MS', 1000, 100, 5000),
    maxDurationMs: int('RECORDER_MAX_DURATION_MS', 0, 0, 7 * 86_400_000),
    compose: bool('RECORDER_COMPOSE', true),
    composeWidth: w, composeHeight: h,
    composeFps: int('RECORDER_COMPOSE_FPS', 25, 1, 60),
    fontFile: str('RECORDER_FONT_FILE', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
    ffmpegPath: str('RECORDER_FFMPEG', 'ffmpeg'),
    roomLogin,
    rtmpAllow: typeof rtmpAllow === 'string' ? [] : Object.freeze(rtmpAllow),
    streamWidth: sw, streamHeight: sh,
    streamFps: int('RECORDER_STREAM_FPS', 25, 1, 60),
    streamVideoKbps: int('RECORDER_STREAM_VIDEO_KBPS', 2500, 100, 50_000),
    iceHost: source.RECORDER_ICE_HOST?.trim() || undefined,
    repairOnStart: bool('RECORDER_REPAIR_ON_START', true),
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(`invalid recorder configuration: ${problems.join('; ')}`);
  return Object.freeze(config);
}
