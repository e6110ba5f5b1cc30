/**
 * The login in progress, between the redirect to the OpenID Provider and its callback: state,
 * nonce and PKCE verifier (RFC 7636, S256) with the room and return path they are bound to, in a
 * cookie signed with HMAC-SHA256 (OIDC_COOKIE_SECRET), HttpOnly, SameSite=Lax (sent on the
 * provider's top-level redirect back, not on cross-site subrequests), Path=/oidc, short-lived, and
 * cleared once used. Nothing of it is kept on the server.
 * @module
 */
// Internal: not exported from the package entry.
import { AppError } from '@edgemeet/protocol';

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** Lower-case room name the token will be for (`*` from the home page). */
  readonly room: string;
  readonly path: string;
  readonly search: string;
  readonly hash: string;
  readonly prompt: 'none' | 'login';
  /** The redirect_uri sent to the provider (repeated at the token endpoint). */
  readonly redirectUri: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

export const COOKIE_PATH = '/oidc';
const NAME = 'edgemeet_oidc';
const SECURE_NAME = '__Secure-edgemeet_oidc';

const enc = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function unb64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', enc.encode(`edgemeet-login-cookie\0${secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

/** The cookie's name: `__Secure-` prefixed on https (browsers then refuse it from plain http). */
export function cookieName(secure: boolean): string {
  return secure ? SECURE_NAME : NAME;
}

export async function sealLoginState(secret: string, s: LoginState): Promise<string> {
  const body = b64url(enc.encode(JSON.stringify(s)));
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(body)));
  return `${body}.${b64url(mac)}`;
}

/** Verifies and decodes the cookie; throws a 400 AppError saying what is wrong. */
export async function openLoginState(secret: string, value: string | undefined, nowMs = Date.now()): Promise<LoginState> {
  if (!value) throw new AppError('bad-request', 'no login in progress (the login cookie is missing: it expired, was used already, or cookies are blocked)');
  const [body, mac, extra] = value.split('.');
  if (!body || !mac || extra !== undefined) throw new AppError('bad-request', 'the login cookie is malformed');
  let ok = false;
  try {
    ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), unb64url(mac), enc.encode(body));
  } catch {
    ok = false; // not base64: a forged cookie
  }
  if (!ok) throw new AppError('bad-request', 'the login cookie has a bad signature (forged)');
  const s = JSON.parse(new TextDecoder().decode(unb64url(body))) as LoginState;
  if (typeof s.exp !== 'number' || s.exp * 1000 < nowMs) throw new AppError('bad-request', 'the login took too long; start again');
  return s;
}

export function setCookieHeader(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function clearCookieHeader(name: string, secure: boolean): string {
  return setCookieHeader(name, '', 0, secure);
}
