/**
 * Mints the Jitsi JWT a logged-in user joins with (jitsi-wire-protocol §8.1): `iss` the app id,
 * `aud` the first accepted audience (the app id when any is accepted), `sub` the XMPP domain,
 * `room`, `iat`/`nbf` now, `exp` after JWT_TOKEN_TTL_SECONDS, `context.user` {id, name, email,
 * avatar, moderator} and `context.features`. Signed with the first key of JWT_SIGNING_JWKS (its
 * kid in the header; every key's public part is published at `/.well-known/jwks.json`, so keys can
 * be rotated by putting the new one first and dropping the old one after a token lifetime), or
 * HS256 with the app secret.
 * @module
 */
// Internal: not exported from the package entry.
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { TokenAuthConfig } from '../config-auth.ts';
import type { TokenUser } from './token-context.ts';

export interface MintRequest {
  /** Lower-case room name, or `*`. */
  readonly room: string;
  readonly user: TokenUser;
  readonly moderator: boolean;
  readonly features: Readonly<Record<string, boolean>>;
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
const privateKeys = new WeakMap<TokenAuthConfig, Promise<CryptoKey>>();

/** The public JWK set of JWT_SIGNING_JWKS (private members dropped). */
export function publicJwks(config: TokenAuthConfig): { keys: JWK[] } {
  return {
    keys: config.signingKeys.map((k) => ({
      ...Object.fromEntries(Object.entries(k.jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name))),
      kid: k.kid, alg: k.alg, use: 'sig',
    }) as JWK),
  };
}

function signingKey(config: TokenAuthConfig): Promise<CryptoKey> {
  let key = privateKeys.get(config);
  if (!key) {
    const first = config.signingKeys[0]!;
    key = importJWK(first.jwk as JWK, first.alg) as Promise<CryptoKey>;
    privateKeys.set(config, key);
  }
  return key;
}

export async function mintJitsiToken(config: TokenAuthConfig, domain: string, request: MintRequest, now = Date.now()): Promise<string> {
  const appId = config.appId;
  if (appId === undefined) throw new TypeError('minting needs JWT_APP_ID');
  const audience = config.acceptedAudiences.find((a) => a !== '*') ?? appId;
  const iat = Math.floor(now / 1000);
  const user = Object.fromEntries(Object.entries({ ...request.user, moderator: request.moderator }).filter(([, v]) => v !== undefined));
  const jwt = new SignJWT({ room: request.room, context: { user, features: { ...request.features } } })
    .setIssuer(appId).setAudience(audience).setSubject(domain)
    .setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + config.tokenTtlSeconds);
  const first = config.signingKeys[0];
  if (first) return jwt.setProtectedHeader({ alg: first.alg, kid: first.kid, typ: 'JWT' }).sign(await signingKey(config));
  if (config.appSecret === undefined) throw new TypeError('minting needs JWT_APP_SECRET or JWT_SIGNING_JWKS');
  return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(config.appSecret));
}
