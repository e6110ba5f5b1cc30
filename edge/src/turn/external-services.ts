/**
 * STUN/TURN servers for clients through XEP-0215 external service discovery
 * (`urn:xmpp:extdisco:2`), as Prosody's `mod_external_services` / `mod_turncredentials` answer
 * Jitsi's clients: each TURN service carries a short-lived credential in coturn's REST API scheme
 * (`use-auth-secret` + `static-auth-secret`): username = `<expiry epoch seconds>:<user>`,
 * password = base64(HMAC-SHA1(secret, username)). coturn recomputes the password from the shared
 * secret and refuses the username once its expiry has passed, so nothing is stored anywhere.
 *
 * Config: `TURN_URIS` (RFC 7064/7065 URIs, comma-separated), `TURN_SECRET` (a Worker secret),
 * `TURN_TTL_SECONDS`; parsed once with the rest of the edge's config ({@link parseTurnConfig}).
 * @module
 */
import { NS_EXTDISCO, xml, type Element } from '@edgemeet/protocol';
import { str, intOf, type ConfigProblems, type Raw } from '../config-values.ts';

export type ExternalServiceType = 'stun' | 'turn' | 'turns';

/** One service from `TURN_URIS`. */
export interface ExternalService {
  readonly type: ExternalServiceType;
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
}

export interface TurnConfig {
  /** Services announced, in `TURN_URIS` order; empty: the edge announces none. */
  readonly services: readonly ExternalService[];
  /** coturn's `static-auth-secret`; required when a `turn:`/`turns:` URI is listed. */
  readonly secret: string | undefined;
  /** Lifetime of a credential, from the moment it is issued. */
  readonly ttlSeconds: number;
}

const HOST_RE = /^(?:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/;
const URI_RE = /^(stun|stuns|turn|turns):([^:?]+|\[[^\]]+\])(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i;

/** Parses one RFC 7064 (`stun:`) or RFC 7065 (`turn:`, `turns:`) URI; undefined when it is not one. */
export function parseServiceUri(uri: string): ExternalService | undefined {
  const m = URI_RE.exec(uri.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'stuns') return undefined; // no client of ours speaks STUN over TLS
  const type = scheme as ExternalServiceType;
  const host = m[2]!.toLowerCase();
  if (!HOST_RE.test(host)) return undefined;
  const port = m[3] === undefined ? (type === 'turns' ? 5349 : 3478) : Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const transport = (m[4]?.toLowerCase() ?? (type === 'turns' ? 'tcp' : 'udp')) as 'udp' | 'tcp';
  if (type === 'turns' && transport === 'udp') return undefined; // TURN over DTLS: not offered by browsers
  if (type === 'stun' && m[4] !== undefined) return undefined; // RFC 7064 has no transport parameter
  return Object.freeze({ type, host, port, transport });
}

/** `TURN_URIS`, `TURN_SECRET`, `TURN_TTL_SECONDS` (docs/configuration.md). */
export function parseTurnConfig(raw: Raw, p: ConfigProblems): TurnConfig {
  const uris = (str(raw, 'TURN_URIS') ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const services: ExternalService[] = [];
  for (const uri of uris) {
    const s = parseServiceUri(uri);
    if (s) services.push(s);
    else p.add('TURN_URIS', `not a stun:, turn: or turns: URI (host[:port][?transport=udp|tcp]): ${JSON.stringify(uri)}`);
  }
  const secret = str(raw, 'TURN_SECRET');
  if (secret !== undefined && secret.length < 16) p.add('TURN_SECRET', 'must be at least 16 characters');
  if (secret === undefined && services.some((s) => s.type !== 'stun')) p.add('TURN_SECRET', 'required with turn: or turns: URIs in TURN_URIS');
  if (secret !== undefined && !services.some((s) => s.type !== 'stun')) p.add('TURN_URIS', 'TURN_SECRET is set but no turn: or turns: URI is listed');
  return Object.freeze({ services: Object.freeze(services), secret, ttlSeconds: intOf(raw, 'TURN_TTL_SECONDS', 86_400, 60, 604_800, p) });
}

/** base64(HMAC-SHA1(secret, username)): coturn's REST API password for `username`. */
export async function turnPassword(secret: string, username: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(username)));
  let bin = '';
  for (const b of mac) bin += String.fromCharCode(b);
  return btoa(bin);
}

export interface TurnCredential {
  readonly username: string;
  readonly password: string;
  /** Expiry, epoch seconds (the username's prefix). */
  readonly expires: number;
}

/** A credential for `user` (a JID's local part, for coturn's logs), valid `ttlSeconds` from `nowMs`. */
export async function turnCredential(secret: string, ttlSeconds: number, user: string, nowMs: number): Promise<TurnCredential> {
  const expires = Math.floor(nowMs / 1000) + ttlSeconds;
  // coturn splits at the first ':' (its rest-api-separator) and reads the expiry before it.
  const tag = user.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64);
  const username = tag ? `${expires}:${tag}` : String(expires);
  return { username, password: await turnPassword(secret, username), expires };
}

/** What a client asked for: `<services [type=…]/>` or `<credentials><service host=… type=…/></credentials>`. */
export interface ServiceQuery {
  readonly type?: string;
  /** For `<credentials/>`: the services named (host and optionally type and port). */
  readonly wanted?: ReadonlyArray<{ host?: string; type?: string; port?: number }>;
}

export function queryOf(payload: Element): ServiceQuery {
  if (payload.getName() === 'credentials') {
    return {
      wanted: payload.getChildren('service').map((s) => ({
        host: s.attrs.host === undefined ? undefined : String(s.attrs.host).toLowerCase(),
        type: s.attrs.type === undefined ? undefined : String(s.attrs.type),
        port: s.attrs.port === undefined ? undefined : Number(s.attrs.port),
      })),
    };
  }
  return payload.attrs.type === undefined ? {} : { type: String(payload.attrs.type) };
}

function matches(s: ExternalService, q: ServiceQuery): boolean {
  if (q.type !== undefined && s.type !== q.type) return false;
  if (q.wanted === undefined) return true;
  return q.wanted.some((w) => (w.host === undefined || w.host === s.host) && (w.type === undefined || w.type === s.type)
    && (w.port === undefined || w.port === s.port));
}

/**
 * The `<services/>` (or `<credentials/>`) answer for `user`: every configured service that matches
 * the query, TURN ones with a fresh credential (one per answer, shared by its services), its
 * expiry (XEP-0082 date-time) and `restricted="1"` as XEP-0215 asks for time-limited ones.
 */
export async function externalServices(turn: TurnConfig, query: ServiceQuery, name: 'services' | 'credentials', user: string, nowMs: number): Promise<Element> {
  const chosen = turn.services.filter((s) => matches(s, query));
  const needsCredential = chosen.some((s) => s.type !== 'stun');
  const cred = needsCredential && turn.secret !== undefined ? await turnCredential(turn.secret, turn.ttlSeconds, user, nowMs) : undefined;
  return xml(name, { xmlns: NS_EXTDISCO }, ...chosen.map((s) => xml('service', {
    type: s.type, host: s.host, port: String(s.port), transport: s.transport,
    ...(s.type !== 'stun' && cred ? {
      username: cred.username, password: cred.password, expires: new Date(cred.expires * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), restricted: '1',
    } : {}),
  })));
}
