/**
 * Verifies a Jitsi JWT the way Prosody's token authentication does (jitsi-wire-protocol §8.1), and
 * more strictly: HS256 only with the app secret; asymmetric algorithms (an allow-list) only with
 * public keys from this edge's own signing keys, configured JWKS URLs (cached, fetched again on an
 * unknown kid at most every JWT_JWKS_COOLDOWN_SECONDS) or Jitsi's asap_key_server (`<url>/<sha256hex(kid)>.pem`);
 * never `none`, and never a public key used as an HMAC secret (HS/RS confusion), since the key
 * source is chosen by the algorithm family and the key type must match the algorithm.
 * Issuer and audience allow-lists, `exp` required, `nbf`/`exp` with a small clock skew.
 * @module
 */
// Internal: not exported from the package entry.
import {
  createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, importJWK, importSPKI, jwtVerify,
  type CryptoKey, type JWTPayload, type JWTVerifyGetKey,
} from 'jose';
import type { TokenAuthConfig } from '../config-auth.ts';
import { tokenContextOf, type TokenContext } from './token-context.ts';

/** A token that is not accepted; the message says why (it goes to the client's SASL failure text). */
export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
}

const ASAP_TTL_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5000;

// Per isolate: every room of this isolate shares the key caches.
const remoteSets = new Map<string, JWTVerifyGetKey>();
const asapKeys = new Map<string, { at: number; key: Promise<CryptoKey> }>();
const localKeys = new WeakMap<TokenAuthConfig, Map<string, Promise<CryptoKey>>>();

function remoteSet(url: URL, cooldownSeconds: number): JWTVerifyGetKey {
  const cacheKey = `${url.href}|${cooldownSeconds}`;
  let set = remoteSets.get(cacheKey);
  if (!set) {
    set = createRemoteJWKSet(url, { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: cooldownSeconds * 1000, cacheMaxAge: 10 * 60_000 });
    remoteSets.set(cacheKey, set);
  }
  return set;
}

async function sha256Hex(s: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchAsapKey(base: URL, kid: string, alg: string): Promise<CryptoKey> {
  const url = new URL(`${base.href.replace(/\/$/, '')}/${await sha256Hex(kid)}.pem`);
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new TokenRejectedError(`unknown kid: the key server has no key for it (${res.status})`);
  return importSPKI((await res.text()).trim(), alg);
}

function asapKey(base: URL, kid: string, alg: string, now: number): Promise<CryptoKey> {
  const cacheKey = `${base.href}|${kid}|${alg}`;
  const hit = asapKeys.get(cacheKey);
  if (hit && now - hit.at < ASAP_TTL_MS) return hit.key;
  const key = fetchAsapKey(base, kid, alg);
  asapKeys.set(cacheKey, { at: now, key });
  key.catch(() => asapKeys.delete(cacheKey)); // a failed fetch is not cached; the caller sees the rejection
  return key;
}

function localKey(config: TokenAuthConfig, kid: string, alg: string): Promise<CryptoKey> | undefined {
  const signing = config.signingKeys.find((k) => k.kid === kid && k.alg === alg);
  if (!signing) return undefined;
  let map = localKeys.get(config);
  if (!map) localKeys.set(config, map = new Map());
  let key = map.get(kid);
  if (!key) {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = signing.jwk;
    key = importJWK(pub, alg) as Promise<CryptoKey>;
    map.set(kid, key);
  }
  return key;
}

function describe(err: unknown): string {
  if (err instanceof TokenRejectedError) return err.message;
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'not yet valid';
    if (err.claim === 'iss') return 'issuer not accepted';
    if (err.claim === 'aud') return 'audience not accepted';
    return `claim ${err.claim}: ${err.reason}`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'unknown kid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWKSTimeout) return 'the key server did not answer in time';
  if (err instanceof joseErrors.JOSEError) return err.message;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'the key server did not answer in time';
  return 'unreadable';
}

export class TokenVerifier {
  readonly #config: TokenAuthConfig;
  readonly #domain: string;
  readonly #secret: Uint8Array | undefined;
  readonly #now: () => number;

  constructor(config: TokenAuthConfig, domain: string, now: () => number = Date.now) {
    this.#config = config;
    this.#domain = domain;
    this.#secret = config.appSecret === undefined ? undefined : new TextEncoder().encode(config.appSecret);
    this.#now = now;
  }

  /** The token's context, or a {@link TokenRejectedError} saying why it is refused. */
  async verify(token: string): Promise<TokenContext> {
    let payload: JWTPayload;
    try {
      payload = await this.#verify(token);
    } catch (err) {
      throw err instanceof TokenRejectedError ? err : new TokenRejectedError(describe(err));
    }
    const sub = payload.sub;
    if (sub !== undefined && sub !== '*' && sub.toLowerCase() !== this.#domain) throw new TokenRejectedError('sub is not this domain');
    const context = tokenContextOf(payload);
    if (!context) throw new TokenRejectedError('no room claim');
    return context;
  }

  async #verify(token: string): Promise<JWTPayload> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejectedError('not a JWT');
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || alg === 'none') throw new TokenRejectedError('unsigned tokens (alg none) are refused');
    const c = this.#config;
    const audience = c.acceptedAudiences.includes('*') ? undefined : [...c.acceptedAudiences];
    const options = {
      algorithms: [alg], issuer: [...c.acceptedIssuers], audience, clockTolerance: c.clockSkewSeconds,
      requiredClaims: ['exp'], currentDate: new Date(this.#now()),
    };
    if (alg.startsWith('HS')) {
      if (alg !== 'HS256' || this.#secret === undefined) throw new TokenRejectedError(`algorithm ${alg} is not accepted`);
      return (await jwtVerify(token, this.#secret, options)).payload;
    }
    if (!c.algorithms.includes(alg)) throw new TokenRejectedError(`algorithm ${alg} is not accepted`);
    const kid = header.kid;
    const local = typeof kid === 'string' ? localKey(c, kid, alg) : undefined;
    if (local) return (await jwtVerify(token, await local, options)).payload;
    for (const url of c.jwksUrls) {
      try {
        return (await jwtVerify(token, remoteSet(url, c.jwksCooldownSeconds), options)).payload;
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      }
    }
    if (c.asapKeyServer && typeof kid === 'string') {
      if (!/^[A-Za-z0-9._\-/:]{1,256}$/.test(kid)) throw new TokenRejectedError('unknown kid');
      return (await jwtVerify(token, await asapKey(c.asapKeyServer, kid, alg, this.#now()), options)).payload;
    }
    throw new TokenRejectedError('unknown kid');
  }
}
