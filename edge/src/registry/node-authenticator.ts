/**
 * SASL PLAIN (RFC 4616) for media nodes: the username is the node's id, the password the
 * deployment's shared `BRIDGE_SECRET`. Nodes are never anonymous.
 * @module
 */
// Internal: not exported from the package entry.
import { AuthFailure, type Authenticator, type AuthRequest, type Principal } from '../xmpp/authenticator.ts';

const NODE_ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export class NodeAuthenticator implements Authenticator {
  readonly mechanisms = ['PLAIN'] as const;
  readonly #secret: string | undefined;

  constructor(secret: string | undefined) {
    this.#secret = secret;
  }

  authenticate(request: AuthRequest): Principal {
    if (request.mechanism !== 'PLAIN') throw new AuthFailure('invalid-mechanism', 'media nodes log in with PLAIN');
    if (!this.#secret) throw new AuthFailure('not-authorized', 'no BRIDGE_SECRET is configured on this edge');
    let decoded: string;
    try {
      decoded = atob(request.response.trim());
    } catch {
      throw new AuthFailure('malformed-request', 'the PLAIN response is not base64');
    }
    const [, user = '', password = ''] = decoded.split('\0');
    if (!NODE_ID_RE.test(user)) throw new AuthFailure('not-authorized', 'node ids are lower-case letters, digits and dashes');
    if (!timingSafeEqual(password, this.#secret)) throw new AuthFailure('not-authorized', 'wrong node credential');
    return { node: user };
  }
}
