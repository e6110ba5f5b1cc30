/**
 * SASL PLAIN (RFC 4616) at the Registry: the username is the node's or recorder's id, the password
 * the deployment's `BRIDGE_SECRET` (a media node) or `RECORDER_SECRET` (a recorder). Which secret
 * verifies tells the two apart; neither is ever anonymous.
 * @module
 */
// Internal: not exported from the package entry.
import {
  AuthFailure, SERVICE_ID_RE, readPlain, timingSafeEqual, type Authenticator, type AuthRequest, type Principal,
} from '../xmpp/authenticator.ts';

export class NodeAuthenticator implements Authenticator {
  readonly mechanisms = ['PLAIN'] as const;
  readonly #secret: string | undefined;
  readonly #recorderSecret: string | undefined;

  constructor(secret: string | undefined, recorderSecret?: string) {
    this.#secret = secret;
    this.#recorderSecret = recorderSecret;
  }

  authenticate(request: AuthRequest): Principal {
    if (request.mechanism !== 'PLAIN') throw new AuthFailure('invalid-mechanism', 'media nodes and recorders log in with PLAIN');
    if (!this.#secret && !this.#recorderSecret) throw new AuthFailure('not-authorized', 'no BRIDGE_SECRET or RECORDER_SECRET is configured on this edge');
    const { user, password } = readPlain(request.response);
    if (!SERVICE_ID_RE.test(user)) throw new AuthFailure('not-authorized', 'node and recorder ids are lower-case letters, digits and dashes');
    // Both comparisons always run, so the time taken does not say which secret was close.
    const bridge = this.#secret !== undefined && timingSafeEqual(password, this.#secret);
    const recorder = this.#recorderSecret !== undefined && timingSafeEqual(password, this.#recorderSecret);
    if (bridge) return { node: user, kind: 'bridge' };
    if (recorder) return { node: user, kind: 'recorder' };
    throw new AuthFailure('not-authorized', 'wrong node or recorder credential');
  }
}
