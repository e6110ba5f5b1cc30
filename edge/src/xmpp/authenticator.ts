/**
 * The seam where a connection's identity is decided at SASL time: anonymous logins here, Jitsi
 * JWTs in jwt-authenticator.ts (the token arrives in the URL, `?token=`, while the client still
 * uses SASL ANONYMOUS, as lib-jitsi-meet does).
 * @module
 */
// Internal: not exported from the package entry.
import type { TokenContext } from './token-context.ts';

export interface AuthRequest {
  readonly mechanism: string;
  /** The JWT from the WebSocket URL, if any. */
  readonly token: string | null;
  /** The base64 initial response carried in `<auth/>` (RFC 6120 §6.4.2), empty if none. */
  readonly response: string;
}

export interface Principal {
  /** JID local part for this connection. */
  readonly node: string;
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
  authenticate(request: AuthRequest): Promise<Principal> | Principal;
}

/** SASL ANONYMOUS (RFC 4505): every login gets a fresh random local part. */
export class AnonymousAuthenticator implements Authenticator {
  readonly mechanisms = ['ANONYMOUS'] as const;
  authenticate(request: AuthRequest): Principal {
    if (request.mechanism !== 'ANONYMOUS') throw new AuthFailure('invalid-mechanism', 'only ANONYMOUS is offered');
    // lib-jitsi-meet takes the first 8 hex characters of the node as its endpoint id.
    return { node: crypto.randomUUID() };
  }
}
