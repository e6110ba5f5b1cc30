/**
 * Media node configuration: the only place that reads `process.env`. Every key has a documented
 * default (docs/configuration.md); bad values fail fast, all named at once.
 * @module
 */
import { hostname } from 'node:os';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface MediaNodeConfig {
  /** Edge base URL the node dials (`wss://…` in production; `ws://` only on loopback). */
  readonly edgeUrl: string;
  readonly region: string;
  /** The deployment's XMPP domain; the node logs in to `auth.<domain>`. */
  readonly domain: string;
  readonly nodeId: string;
  readonly secret: string;
  /** Address the media UDP socket binds. */
  readonly udpHost: string;
  /** One UDP port for every endpoint (Jitsi's 10000); 0 picks a free one. */
  readonly udpPort: number;
  /** Address announced in ICE candidates (defaults to udpHost). */
  readonly publicIp: string;
  readonly statsIntervalMs: number;
  /** Endpoints at which the node reports stress 1. */
  readonly capacityEndpoints: number;
  /** Fault injection for tests: forwarded video packets dropped per thousand (0: none). */
  readonly dropPermille: number;
  readonly logLevel: LogLevel;
  /** Address and port of the node's HTTP server (health, colibri-ws bridge channel; Jitsi's 9090). */
  readonly httpHost: string;
  readonly httpPort: number;
  /** Public base URL of that server as browsers reach it; default `ws://httpHost:port`. */
  readonly channelPublicUrl: string | undefined;
  /** SIGTERM: how long the node waits for its conferences to end before it asks for them to be moved. */
  readonly drainTimeoutMs: number;
  /** After asking for the move: how long it keeps forwarding while participants move, at most. */
  readonly shutdownMoveMs: number;
  /** SSRC rewriting: how many audio and video SSRCs a receiver gets at most (SSRC_LIMIT_AUDIO / SSRC_LIMIT_VIDEO, 50 each as JVB). */
  readonly ssrcLimits: { readonly audio: number; readonly video: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(source: Record<string, string | undefined> = process.env): MediaNodeConfig {
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
  const edgeUrl = str('EDGE_URL', 'ws://127.0.0.1:8787');
  if (!/^wss?:\/\//.test(edgeUrl)) problems.push('EDGE_URL: expected ws:// or wss://');
  else if (edgeUrl.startsWith('ws://') && !/^ws:\/\/(127\.|localhost|\[::1\])/.test(edgeUrl)) problems.push('EDGE_URL: plain ws:// is only allowed on loopback');
  const udpHost = str('MEDIA_UDP_HOST', '127.0.0.1');
  const logLevel = str('LOG_LEVEL', 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push('LOG_LEVEL: expected debug, info, warn or error');
  const nodeId = str('NODE_ID', hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 64));
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(nodeId)) problems.push('NODE_ID: lower-case letters, digits and dashes');
  const config: MediaNodeConfig = {
    edgeUrl, region: str('REGION', 'default'), domain: str('XMPP_DOMAIN', 'meet.jitsi'), nodeId, secret: str('BRIDGE_SECRET'),
    udpHost, udpPort: int('MEDIA_UDP_PORT', 10000, 0, 65535), publicIp: str('MEDIA_PUBLIC_IP', udpHost),
    statsIntervalMs: int('STATS_INTERVAL_MS', 5000, 100, 60_000), capacityEndpoints: int('CAPACITY_ENDPOINTS', 200, 1, 100_000), logLevel,
    dropPermille: int('MEDIA_DROP_PERMILLE', 0, 0, 500),
    httpHost: str('HTTP_HOST', '127.0.0.1'), httpPort: int('HTTP_PORT', 9090, 0, 65535),
    channelPublicUrl: source.BRIDGE_CHANNEL_PUBLIC_URL?.trim() || undefined,
    drainTimeoutMs: int('DRAIN_TIMEOUT_MS', 60_000, 0, 86_400_000), shutdownMoveMs: int('SHUTDOWN_MOVE_MS', 10_000, 0, 600_000),
    ssrcLimits: { audio: int('SSRC_LIMIT_AUDIO', 50, 1, 1000), video: int('SSRC_LIMIT_VIDEO', 50, 1, 1000) },
  };
  if (config.channelPublicUrl !== undefined && !/^wss?:\/\/[^/\s]+$/.test(config.channelPublicUrl)) problems.push('BRIDGE_CHANNEL_PUBLIC_URL: expected ws(s)://host[:port]');
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return Object.freeze(config);
}

/** One environment key of {@link loadConfig}: what an env file documents (scripts/media-node-env.mjs). */
export interface EnvKey {
  readonly key: string;
  /** The value loadConfig uses when the key is unset, as it would be written; null: derived or required. */
  readonly default: string | null;
  /** What the default is, when it is not a plain value. */
  readonly defaultNote?: string;
  readonly required?: boolean;
  readonly secret?: boolean;
  readonly doc: string;
}

/**
 * Every key loadConfig reads, in env-file order, with its default (docs/configuration.md, "Media
 * node"). scripts/media-node-env.test.ts checks it against loadConfig: same keys, same defaults.
 */
export const MEDIA_NODE_ENV: readonly EnvKey[] = Object.freeze([
  { key: 'EDGE_URL', default: 'ws://127.0.0.1:8787', doc: 'edge base URL the node dials; wss:// in production (plain ws:// only on loopback)' },
  { key: 'BRIDGE_SECRET', default: null, required: true, secret: true, doc: "the edge's BRIDGE_SECRET (media nodes' SASL PLAIN password)" },
  { key: 'NODE_ID', default: null, defaultNote: 'the host name, lower-cased, other characters as dashes', doc: 'node id (brewery nickname): lower-case letters, digits, dashes; unique per node' },
  { key: 'REGION', default: 'default', doc: 'Registry region to join, and the region announced in stats' },
  { key: 'XMPP_DOMAIN', default: 'meet.jitsi', doc: "the deployment's XMPP domain (the edge's XMPP_DOMAIN)" },
  { key: 'MEDIA_UDP_HOST', default: '127.0.0.1', doc: 'address of the single media UDP socket (0.0.0.0: every interface)' },
  { key: 'MEDIA_UDP_PORT', default: '10000', doc: 'the media UDP port for every endpoint; open it to browsers' },
  { key: 'MEDIA_PUBLIC_IP', default: null, defaultNote: 'MEDIA_UDP_HOST', doc: "address announced in ICE candidates: the node's public IP" },
  { key: 'MEDIA_DROP_PERMILLE', default: '0', doc: 'fault injection for tests: forwarded video packets dropped per thousand; never set in production' },
  { key: 'STATS_INTERVAL_MS', default: '5000', doc: 'how often stats presence is sent to the edge' },
  { key: 'CAPACITY_ENDPOINTS', default: '200', doc: 'endpoints at which the node reports stress 1' },
  { key: 'LOG_LEVEL', default: 'info', doc: 'debug, info, warn or error (JSON lines on stdout: the journal)' },
  { key: 'HTTP_HOST', default: '127.0.0.1', doc: 'address of the HTTP server: /about/health, /about/stats, the colibri-ws bridge channel' },
  { key: 'HTTP_PORT', default: '9090', doc: 'its port; put it behind a TLS proxy' },
  { key: 'BRIDGE_CHANNEL_PUBLIC_URL', default: null, defaultNote: 'ws://HTTP_HOST:HTTP_PORT', doc: "base URL browsers use for the bridge channel: the TLS proxy's wss://host[:port]" },
  { key: 'DRAIN_TIMEOUT_MS', default: '60000', doc: 'after SIGTERM, how long to wait for conferences to end before asking for them to be moved' },
  { key: 'SHUTDOWN_MOVE_MS', default: '10000', doc: 'then how long to keep forwarding while they move, at most (stop timeout: DRAIN_TIMEOUT_MS + SHUTDOWN_MOVE_MS + margin)' },
  { key: 'SSRC_LIMIT_AUDIO', default: '50', doc: 'SSRC rewriting: audio SSRCs a receiver gets at most (JVB ssrc-limit.audio)' },
  { key: 'SSRC_LIMIT_VIDEO', default: '50', doc: 'SSRC rewriting: video SSRCs a receiver gets at most (JVB ssrc-limit.video)' },
]);
