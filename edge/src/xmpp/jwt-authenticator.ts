/**
 * Jitsi JWT logins (what Prosody's token authentication does): the client connects with
 * `?token=<JWT>` on the WebSocket URL and SASL ANONYMOUS. The token is an HS256 JWT signed with
 * the deployment's app secret, issued by its app id (`iss`), for an accepted audience (`aud`),
 * this XMPP domain (`sub`, or `*`) and a room (`room`, or `*`; checked when the room is joined).
 * `context.user` (id, name, email, avatar) becomes the occupant's identity, and `moderator: true`
 * (top level or in `context.user`) makes the user an owner of the room.
 * @module
 */
// Internal: not exported from the package entry.
import { jwtVerify } from 'jose';
import { AuthFailure, type AuthRequest, type Authenticator, type Principal } from './authenticator.ts';
import type { TokenContext } from './token-context.ts';

export type { TokenContext } from './token-context.ts';

export interface JwtOptions {
  readonly appId: string;
  readonly appSecret: string;
  /** Accepted `aud` values; `*` accepts any. */
  readonly audiences: readonly string[];
  /** The XMPP domain, which `sub` must name unless it is `*`. */
  readonly domain: string;
  /** Whether a connection without a token may log in anonymously (Prosody's allow_empty_token). */
  readonly allowAnonymous: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : undefined);
const truthy = (v: unknown): boolean => v === true || v === 'true';

export class JwtAuthenticator implements Authenticator {
  readonly mechanisms = ['ANONYMOUS'] as const;
  readonly #o: JwtOptions;
  readonly #key: Uint8Array;

  constructor(options: JwtOptions) {
    this.#o = options;
    this.#key = new TextEncoder().encode(options.appSecret);
  }

  async authenticate(request: AuthRequest): Promise<Principal> {
    if (request.mechanism !== 'ANONYMOUS') throw new AuthFailure('invalid-mechanism', 'only ANONYMOUS is offered');
    if (!request.token) {
      if (this.#o.allowAnonymous) return { node: crypto.randomUUID() };
      throw new AuthFailure('not-authorized', 'a token is required');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(request.token, this.#key, {
        algorithms: ['HS256'], issuer: this.#o.appId, requiredClaims: ['exp', 'room'], clockTolerance: 30,
        audience: this.#o.audiences.includes('*') ? undefined : [...this.#o.audiences],
      }));
    } catch (err) {
      throw new AuthFailure('not-authorized', `invalid token: ${err instanceof Error ? err.message : 'unreadable'}`);
    }
    const room = str(payload.room);
    if (!room) throw new AuthFailure('not-authorized', 'invalid token: no room');
    const sub = payload.sub;
    if (sub !== undefined && sub !== '*' && sub.toLowerCase() !== this.#o.domain) throw new AuthFailure('not-authorized', 'invalid token: sub is not this domain');
    const context = typeof payload.context === 'object' && payload.context !== null ? payload.context as Record<string, unknown> : {};
    const user = typeof context.user === 'object' && context.user !== null ? context.user as Record<string, unknown> : {};
    const token: TokenContext = {
      room: room.toLowerCase(),
      moderator: truthy(payload.moderator) || truthy(user.moderator),
      user: { id: str(user.id), name: str(user.name), email: str(user.email), avatar: str(user.avatar) },
    };
    return { node: crypto.randomUUID(), token };
  }
}
