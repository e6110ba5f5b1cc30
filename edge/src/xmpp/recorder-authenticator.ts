/**
 * Logins to the hidden domain (`recorder.<domain>`, Jitsi's `hiddenDomain`): recorders join a
 * room's media from there with SASL PLAIN, their id as the username and `RECORDER_SECRET` as the
 * password, and become `<id>@recorder.<domain>/<resource>` (contract point 4, as Jibri's
 * `call_login` does against Prosody's recorder virtual host). Streams to every other domain are
 * the inner authenticator's (anonymous or JWT).
 * @module
 */
// Internal: not exported from the package entry.
import {
  AuthFailure, SERVICE_ID_RE, readPlain, timingSafeEqual, type Authenticator, type AuthRequest, type Principal,
} from './authenticator.ts';

const PLAIN = ['PLAIN'] as const;

export class HiddenDomainAuthenticator implements Authenticator {
  readonly #inner: Authenticator;
  readonly #domain: string;
  readonly #secret: string | undefined;

  constructor(inner: Authenticator, hiddenDomain: string, secret: string | undefined) {
    this.#inner = inner;
    this.#domain = hiddenDomain;
    this.#secret = secret;
  }

  get mechanisms(): readonly string[] {
    return this.#inner.mechanisms;
  }

  mechanismsFor(domain: string): readonly string[] {
    if (domain === this.#domain) return PLAIN;
    return this.#inner.mechanismsFor?.(domain) ?? this.#inner.mechanisms;
  }

  authenticate(request: AuthRequest): Promise<Principal> | Principal {
    if (request.domain !== this.#domain) return this.#inner.authenticate(request);
    if (request.mechanism !== 'PLAIN') throw new AuthFailure('invalid-mechanism', `recorders log in to ${this.#domain} with PLAIN`);
    if (!this.#secret) throw new AuthFailure('not-authorized', 'no RECORDER_SECRET is configured on this edge');
    const { user, password } = readPlain(request.response);
    if (!SERVICE_ID_RE.test(user)) throw new AuthFailure('not-authorized', 'recorder ids are lower-case letters, digits and dashes');
    if (!timingSafeEqual(password, this.#secret)) throw new AuthFailure('not-authorized', 'wrong recorder credential');
    return { node: user, kind: 'recorder' };
  }
}
