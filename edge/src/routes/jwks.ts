/**
 * `GET /.well-known/jwks.json`: the public keys of the Jitsi JWTs this edge mints with an
 * asymmetric key (JWT_SIGNING_JWKS), for other services (or other edges) to verify them by kid.
 * Empty when the edge signs with HS256 only.
 * @module
 */
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';
import { publicJwks } from '../auth/token-minter.ts';

export const jwks = new Hono<AppBindings>().get('/.well-known/jwks.json', (c) =>
  c.json(publicJwks(c.var.config.auth), 200, { 'cache-control': 'public, max-age=300' }));
