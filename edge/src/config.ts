/**
 * Edge configuration: parsed once per isolate from the Worker's environment into a frozen,
 * typed object. Every key has a documented default (docs/configuration.md lists them); a bad value
 * fails fast with one error naming every bad key.
 * @module
 */
import { authDomain, breweryJid, focusJid, hiddenDomain, isRegion, jibriBreweryJid } from '@edgemeet/protocol';
import { parseLoginConfig, parseTokenAuthConfig, type LoginConfig, type TokenAuthConfig } from './config-auth.ts';
import { ConfigProblems, intOf, listOf, str, type Raw } from './config-values.ts';
import { parseTurnConfig, type TurnConfig } from './turn/external-services.ts';
import { parseUserRegions, type UserRegions } from './user-regions.ts';
import type { OccupantLimit } from './room/muc/occupant-limit.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EdgeConfig {
  /** XMPP virtual host; client JIDs are `uuid@domain/resource`. */
  readonly domain: string;
  /** MUC service; room JIDs are `room@mucDomain`. */
  readonly mucDomain: string;
  /** Address of the focus component (Jicofo's `focus.<domain>`). */
  readonly focusDomain: string;
  /** Address of the AV moderation component (Jitsi's `avmoderation.<domain>`). */
  readonly avModerationDomain: string;
  /** Address of the speaker stats component (Jitsi's `speakerstats.<domain>`). */
  readonly speakerStatsDomain: string;
  /** Address of the end-conference component (Jitsi's `endconference.<domain>`). */
  readonly endConferenceDomain: string;
  /** Address of the room metadata component (Jitsi's `metadata.<domain>`). */
  readonly roomMetadataDomain: string;
  /** Address of the conference duration component (Jitsi's `conferenceduration.<domain>`, for older clients). */
  readonly conferenceDurationDomain: string;
  /** The lobby MUC (Jitsi's `lobby.<domain>`): a room's lobby is `<room>@lobbyDomain`. */
  readonly lobbyDomain: string;
  /** Address of the polls component (Jitsi's `polls.<domain>`). */
  readonly pollsDomain: string;
  /** WebSocket URL published in /config.js; derived from the request's host when empty. */
  readonly websocketUrl: string | undefined;
  /** Largest accepted stanza, in UTF-8 bytes (RFC 7395 message). */
  readonly maxStanzaBytes: number;
  /** Stanzas per second a connection may send, sustained. */
  readonly rateLimitPerSecond: number;
  /** Stanzas a connection may send in one burst. */
  readonly rateLimitBurst: number;
  /** How long a XEP-0198 session waits for its client to resume after the socket drops. */
  readonly resumeTimeoutSeconds: number;
  /** Unacknowledged stanzas kept per session before the session is ended. */
  readonly smMaxQueue: number;
  /** Occupants per room (XEP-0045 maxusers). */
  readonly maxOccupants: number;
  /** Jitsi's room size limit (`muc_max_occupants`, `muc_access_whitelist`; muc/occupant-limit.ts). */
  readonly occupantLimit: OccupantLimit;
  readonly logLevel: LogLevel;
  /** Shared secret media nodes present (SASL PLAIN password) to register; none: no node may register. */
  readonly bridgeSecret: string | undefined;
  /** Region of this edge's Registry (the brewery media nodes join by default). */
  readonly region: string;
  /** Regions whose Registries rooms take media nodes from (region-aware selection); REGION by default. */
  readonly bridgeRegions: readonly string[];
  /** Clients' regions by where Cloudflare says they are (`USER_REGIONS`), published in /config.js. */
  readonly userRegions: UserRegions;
  /** XMPP domain media nodes log in to (Jitsi's `auth.<domain>`). */
  readonly nodeDomain: string;
  /** The brewery MUC media nodes join (Jitsi's `jvbbrewery@internal.auth.<domain>`). */
  readonly breweryJid: string;
  /** How long a node whose control connection dropped keeps its conferences before it is dropped. */
  readonly bridgeGraceSeconds: number;
  /** A node that sent no presence for this long is considered gone. */
  readonly bridgeStaleSeconds: number;
  /** Shared secret recorders present (SASL PLAIN password) to register and to join rooms; none: no recorder may. */
  readonly recorderSecret: string | undefined;
  /** The hidden domain recorders join rooms from (Jitsi's `hiddenDomain`, `recorder.<domain>`). */
  readonly hiddenDomain: string;
  /** The brewery MUC recorders join (Jicofo's `jicofo.jibri.brewery-jid`, `jibribrewery@internal.auth.<domain>`). */
  readonly jibriBreweryJid: string;
  /** Recording sessions: Jicofo's jibri settings and our maximum duration (focus/src/jibri/). */
  readonly recording: RecordingConfig;
  /** How long the Registry waits for a node's health URL when its control connection drops. */
  readonly bridgeProbeTimeoutMs: number;
  /** How long the focus waits for a Colibri2 answer from a node. */
  readonly colibriTimeoutMs: number;
  /** How long the focus waits for a participant's session-accept before it invites it again. */
  readonly sessionAcceptTimeoutMs: number;
  /**
   * Origins whose pages may read `/config.js` and `/xmpp-websocket` (CORS) and open XMPP WebSockets:
   * `'*'` any, otherwise these (lower-case `scheme://host[:port]`; empty: same-origin only).
   */
  readonly corsAllowedOrigins: '*' | readonly string[];
  /** Bearer token for `/about/bridges`; unset: the listing is open (development). */
  readonly statusToken: string | undefined;
  /** STUN/TURN services announced through XEP-0215, with the TURN shared secret (turn/external-services.ts). */
  readonly turn: TurnConfig;
  /** Which tokens rooms accept, the room policy, and the tokens the edge mints (config-auth.ts). */
  readonly auth: TokenAuthConfig;
  /** OIDC login at the edge (`/oidc/*`); undefined when OIDC_ISSUER_URL is unset. */
  readonly login: LoginConfig | undefined;
}

export interface RecordingConfig {
  /** How long a recording may stay pending before another recorder is tried (Jicofo `pending-timeout`, 90 s); 0: forever. */
  readonly pendingTimeoutSeconds: number;
  /** Retries on other recorders per session (Jicofo `num-retries`, 5); -1: no limit. */
  readonly numRetries: number;
  /** A recording that has been on this long is stopped; 0: no limit. */
  readonly maxDurationSeconds: number;
  /** How long the focus waits for a recorder's answer to a start (Smack's reply timeout, 15 s). */
  readonly requestTimeoutMs: number;
}

const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function domainOf(raw: Raw, key: string, fallback: string, p: ConfigProblems): string {
  const v = (str(raw, key) ?? fallback).toLowerCase();
  if (!DOMAIN_RE.test(v)) p.add(key, `not a valid domain name: ${JSON.stringify(v)}`);
  return v;
}

const ORIGIN_RE = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/;

/** `CORS_ALLOWED_ORIGINS`: `*` (default), `none`, or comma-separated origins. */
function corsOriginsOf(raw: Raw, p: ConfigProblems): '*' | readonly string[] {
  const v = str(raw, 'CORS_ALLOWED_ORIGINS') ?? '*';
  if (v === '*') return '*';
  if (v.toLowerCase() === 'none') return Object.freeze([]);
  const origins = v.split(',').map((o) => o.trim().toLowerCase()).filter((o) => o.length > 0);
  const bad = origins.filter((o) => !ORIGIN_RE.test(o));
  if (bad.length || origins.length === 0) p.add('CORS_ALLOWED_ORIGINS', `expected *, none, or comma-separated origins like https://meet.example.com (no path), got ${JSON.stringify(bad.join(',') || v)}`);
  return Object.freeze(origins);
}

/** `BRIDGE_REGIONS`: comma-separated regions, default the edge's own; duplicates dropped. */
function bridgeRegionsOf(raw: Raw, region: string, p: ConfigProblems): readonly string[] {
  const v = str(raw, 'BRIDGE_REGIONS');
  if (v === undefined) return Object.freeze([region]);
  const list = [...new Set(v.split(',').map((r) => r.trim()).filter((r) => r.length > 0))];
  const bad = list.filter((r) => !isRegion(r));
  if (bad.length > 0 || list.length === 0 || list.length > 16) p.add('BRIDGE_REGIONS', `expected 1 to 16 comma-separated regions (lower-case letters, digits, dashes), got ${JSON.stringify(v)}`);
  return Object.freeze(list);
}

/**
 * `MUC_MAX_OCCUPANTS` (unset or `none`: unlimited) and `MUC_ACCESS_WHITELIST` (comma-separated
 * domains or bare JIDs, exempt besides the focus, which every Jitsi deployment lists).
 */
function occupantLimitOf(raw: Raw, domain: string, p: ConfigProblems): OccupantLimit {
  const v = str(raw, 'MUC_MAX_OCCUPANTS');
  const max = v === undefined || v.toLowerCase() === 'none' ? null : intOf(raw, 'MUC_MAX_OCCUPANTS', 0, 1, 100_000, p);
  const listed = listOf(raw, 'MUC_ACCESS_WHITELIST', []).map((e) => e.toLowerCase());
  const bad = listed.filter((e) => e.includes('/') || !DOMAIN_RE.test(e.slice(e.indexOf('@') + 1)) || e.indexOf('@') !== e.lastIndexOf('@'));
  if (bad.length > 0) p.add('MUC_ACCESS_WHITELIST', `expected comma-separated domains or bare JIDs, got ${JSON.stringify(bad.join(','))}`);
  return Object.freeze({ max, exempt: Object.freeze([...new Set([focusJid(domain), ...listed])]) });
}

function regionOf(raw: Raw, p: ConfigProblems): string {
  const v = str(raw, 'REGION') ?? 'default';
  if (!isRegion(v)) p.add('REGION', 'expected lower-case letters, digits and dashes');
  return v;
}

/** Thrown when configuration is invalid; the message names every bad key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * Parses the Worker environment (vars and secrets) into an {@link EdgeConfig}.
 * @example
 * const config = parseEdgeConfig({ XMPP_DOMAIN: 'meet.example.com' });
 * config.mucDomain; // 'conference.meet.example.com'
 */
export function parseEdgeConfig(raw: Raw): EdgeConfig {
  const p = new ConfigProblems();
  const domain = domainOf(raw, 'XMPP_DOMAIN', 'meet.jitsi', p);
  const websocketUrl = str(raw, 'WEBSOCKET_URL');
  if (websocketUrl !== undefined && !/^wss?:\/\/[^\s]+$/.test(websocketUrl)) {
    p.add('WEBSOCKET_URL', 'expected a ws:// or wss:// URL');
  }
  const logLevel = (str(raw, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) p.add('LOG_LEVEL', 'expected debug, info, warn or error');
  const auth = parseTokenAuthConfig(raw, domain, (key, fallback) => domainOf(raw, key, fallback, p), p);
  const region = regionOf(raw, p);
  const config: EdgeConfig = {
    domain,
    mucDomain: domainOf(raw, 'XMPP_MUC_DOMAIN', `conference.${domain}`, p),
    focusDomain: domainOf(raw, 'XMPP_FOCUS_DOMAIN', `focus.${domain}`, p),
    avModerationDomain: `avmoderation.${domain}`,
    speakerStatsDomain: `speakerstats.${domain}`,
    endConferenceDomain: `endconference.${domain}`,
    roomMetadataDomain: `metadata.${domain}`,
    conferenceDurationDomain: `conferenceduration.${domain}`,
    lobbyDomain: `lobby.${domain}`,
    pollsDomain: `polls.${domain}`,
    websocketUrl,
    maxStanzaBytes: intOf(raw, 'MAX_STANZA_BYTES', 262_144, 1024, 1_000_000, p),
    rateLimitPerSecond: intOf(raw, 'RATE_LIMIT_STANZAS_PER_SECOND', 200, 1, 1_000_000, p),
    rateLimitBurst: intOf(raw, 'RATE_LIMIT_BURST', 400, 1, 1_000_000, p),
    resumeTimeoutSeconds: intOf(raw, 'SM_RESUME_TIMEOUT_SECONDS', 60, 0, 3600, p),
    smMaxQueue: intOf(raw, 'SM_MAX_QUEUE', 1000, 10, 100_000, p),
    maxOccupants: intOf(raw, 'MAX_OCCUPANTS', 100, 1, 10_000, p),
    occupantLimit: occupantLimitOf(raw, domain, p),
    logLevel,
    bridgeSecret: str(raw, 'BRIDGE_SECRET'),
    region,
    bridgeRegions: bridgeRegionsOf(raw, region, p),
    userRegions: parseUserRegions(raw, p),
    nodeDomain: authDomain(domain),
    breweryJid: breweryJid(domain),
    recorderSecret: str(raw, 'RECORDER_SECRET'),
    hiddenDomain: hiddenDomain(domain),
    jibriBreweryJid: jibriBreweryJid(domain),
    recording: Object.freeze({
      pendingTimeoutSeconds: intOf(raw, 'RECORDING_PENDING_TIMEOUT_SECONDS', 90, 0, 3600, p),
      numRetries: intOf(raw, 'RECORDING_NUM_RETRIES', 5, -1, 100, p),
      maxDurationSeconds: intOf(raw, 'RECORDING_MAX_DURATION_SECONDS', 0, 0, 7 * 24 * 3600, p),
      requestTimeoutMs: intOf(raw, 'RECORDER_REQUEST_TIMEOUT_MS', 15_000, 100, 120_000, p),
    }),
    bridgeGraceSeconds: intOf(raw, 'BRIDGE_GRACE_SECONDS', 10, 0, 3600, p),
    bridgeStaleSeconds: intOf(raw, 'BRIDGE_STALE_SECONDS', 30, 5, 3600, p),
    bridgeProbeTimeoutMs: intOf(raw, 'BRIDGE_PROBE_TIMEOUT_MS', 1500, 100, 30_000, p),
    colibriTimeoutMs: intOf(raw, 'COLIBRI_TIMEOUT_MS', 10_000, 100, 120_000, p),
    sessionAcceptTimeoutMs: intOf(raw, 'SESSION_ACCEPT_TIMEOUT_MS', 15_000, 500, 300_000, p),
    corsAllowedOrigins: corsOriginsOf(raw, p),
    statusToken: str(raw, 'STATUS_TOKEN'),
    turn: parseTurnConfig(raw, p),
    auth,
    login: parseLoginConfig(raw, auth, p),
  };
  const secret = config.bridgeSecret;
  if (secret !== undefined && secret.length < 16) p.add('BRIDGE_SECRET', 'must be at least 16 characters');
  const recorderSecret = config.recorderSecret;
  if (recorderSecret !== undefined && recorderSecret.length < 16) p.add('RECORDER_SECRET', 'must be at least 16 characters');
  // The Registry tells a recorder's login from a node's by which secret verifies: they must differ.
  if (recorderSecret !== undefined && recorderSecret === secret) p.add('RECORDER_SECRET', 'must differ from BRIDGE_SECRET');
  if (p.problems.length > 0) throw new ConfigError(p.problems);
  return Object.freeze(config);
}

const cache = new WeakMap<object, EdgeConfig>();

/** {@link parseEdgeConfig} memoised per env object (once per isolate in practice). */
export function configFromEnv(env: object): EdgeConfig {
  let config = cache.get(env);
  if (!config) {
    config = parseEdgeConfig(env as Raw);
    cache.set(env, config);
  }
  return config;
}
