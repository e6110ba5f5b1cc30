/**
 * Jitsi JWT logins (what Prosody's token authentication does): the client connects with
 * `?token=<JWT>` on the WebSocket URL and SASL ANONYMOUS. The token is verified by
 * {@link TokenVerifier} (auth/token-verifier.ts); `context.user` becomes the occupant's identity,
 * `moderator: true` (top level or in `context.user`) makes an owner, the `room` claim is checked
 * at join. The room policy (docs/login.md) decides who may log in without a token: anyone
 * (`anonymous`), nobody (`token`), or guests on the guest domain (`guests`, Jitsi's
 * `hosts.anonymousdomain`), who then join only rooms that exist.
 * @module
 */
// Internal: not exported from the package entry.
import { TokenRejectedError, type TokenVerifier } from '../auth/token-verifier.ts';
import type { AuthPolicy } from '../config-auth.ts';
import { AuthFailure, type AuthRequest, type Authenticator, type Principal } from './authenticator.ts';

export type { TokenContext } from '../auth/token-context.ts';

export interface JwtOptions {
  readonly verifier: TokenVerifier;
  readonly policy: AuthPolicy;
  /** The guest domain (policy `guests`): logins there are anonymous, tokens there are ignored. */
  readonly guestDomain?: string;
}

export class JwtAuthenticator implements Authenticator {
  readonly mechanisms = ['ANONYMOUS'] as const;
  readonly #o: JwtOptions;

  constructor(options: JwtOptions) {
    this.#o = options;
  }

  async authenticate(request: AuthRequest): Promise<Principal> {
    if (request.mechanism !== 'ANONYMOUS') throw new AuthFailure('invalid-mechanism', 'only ANONYMOUS is offered');
    const guest = this.#o.guestDomain !== undefined && request.domain === this.#o.guestDomain;
    if (guest) return { node: crypto.randomUUID() };
    if (!request.token) {
      if (this.#o.policy === 'anonymous') return { node: crypto.randomUUID() };
      throw new AuthFailure('not-authorized', this.#o.policy === 'guests'
        ? `a token is required on this domain; guests log in to ${this.#o.guestDomain}`
        : 'a token is required');
    }
    try {
      return { node: crypto.randomUUID(), token: await this.#o.verifier.verify(request.token) };
    } catch (err) {
      if (err instanceof TokenRejectedError) throw new AuthFailure('not-authorized', `invalid token: ${err.message}`);
      throw err;
    }
  }
}
