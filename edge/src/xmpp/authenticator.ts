/**
 * The seam where a connection's identity is decided at SASL time: anonymous logins here, Jitsi
 * JWTs in jwt-authenticator.ts (the token arrives in the URL, `?token=`, while the client still
 * uses SASL ANONYMOUS, as lib-jitsi-meet does).
 * @module
 */
// Internal: not exported from the package entry.
import type { TokenContext } from '../auth/token-context.ts';

export interface AuthRequest {
  readonly mechanism: string;
  /** The domain the client opened its stream to (the main domain or the guest domain). */
  readonly domain: string;
  /** The JWT from the WebSocket URL, if any. */
  readonly token: string | null;
  /** The base64 initial response carried in `<auth/>` (RFC 6120 §6.4.2), empty if none. */
  readonly response: string;
}

/** Who logged in to the Registry: a media node (`BRIDGE_SECRET`) or a recorder (`RECORDER_SECRET`). */
export type LoginKind = 'bridge' | 'recorder';

export interface Principal {
  /** JID local part for this connection. */
  readonly node: string;
  /** Registry logins: which credential verified. */
  readonly kind?: LoginKind;
  /** What a verified token said; none for anonymous logins. */
  readonly token?: TokenContext;
}

export class AuthFailure extends Error {
  override name = 'AuthFailure';
  /** RFC 6120 §6.5 SASL failure condition. */
  readonly condition: 'not-authorized' | 'invalid-mechanism' | 'malformed-request' | 'aborted';
  constructor(condition: AuthFailure['condition'], message: string) {
    super(message);
    this.condition = condition;
  }
}

export interface Authenticator {
  readonly mechanisms: readonly string[];
  /** The mechanisms offered on a stream to `domain`, when they differ by domain (the hidden domain offers PLAIN). */
  mechanismsFor?(domain: string): readonly string[];
  authenticate(request: AuthRequest): Promise<Principal> | Principal;
}

/** Constant-time comparison of two secrets (their lengths leak, their contents do not). */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The authcid and password of a SASL PLAIN initial response (RFC 4616: authzid NUL authcid NUL passwd). */
export function readPlain(response: string): { user: string; password: string } {
  let decoded: string;
  try {
    decoded = atob(response.trim());
  } catch {
    throw new AuthFailure('malformed-request', 'the PLAIN response is not base64');
  }
  const [, user = '', password = ''] = decoded.split('\0');
  return { user, password };
}

/** Ids of media nodes and recorders: their JID local part and brewery nickname. */
export const SERVICE_ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** SASL ANONYMOUS (RFC 4505): every login gets a fresh random local part. */
export class AnonymousAuthenticator implements Authenticator {
  readonly mechanisms = ['ANONYMOUS'] as const;
  authenticate(request: AuthRequest): Principal {
    if (request.mechanism !== 'ANONYMOUS') throw new AuthFailure('invalid-mechanism', 'only ANONYMOUS is offered');
    // lib-jitsi-meet takes the first 8 hex characters of the node as its endpoint id.
    return { node: crypto.randomUUID() };
  }
}
