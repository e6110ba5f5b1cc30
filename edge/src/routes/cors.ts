/**
 * CORS for what a jitsi-meet front end served from another origin reads from the edge: `/config.js`
 * and `/xmpp-websocket` (lib-jitsi-meet's keep-alive is a `fetch()` GET of the service URL, 5 s
 * after connecting and then every `websocketKeepAlive` ms). Origins come from `CORS_ALLOWED_ORIGINS`
 * (docs/configuration.md): `*` (the default) lets any page read them (no credentials are involved),
 * a list only those origins. With a list, WebSocket upgrades from a browser page of another origin
 * are refused as well (WebSocket is not subject to CORS; the `Origin` header is the only check).
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import type { AppBindings } from '../app-types.ts';

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const PREFLIGHT_MAX_AGE_SECONDS = '86400';

/** The value for `Access-Control-Allow-Origin`, or undefined when `origin` may not read the answer. */
function allowOrigin(allowed: '*' | readonly string[], origin: string): string | undefined {
  if (allowed === '*') return '*';
  return allowed.includes(origin.toLowerCase()) ? origin : undefined;
}

export const cors: MiddlewareHandler<AppBindings> = async (c, next) => {
  const allowed = c.var.config.corsAllowedOrigins;
  const origin = c.req.header('origin');
  // Non-browser clients (media nodes, XMPP libraries) send no Origin; the edge's own web app is same-origin.
  if (origin === undefined || origin.toLowerCase() === new URL(c.req.url).origin) return next();
  const allow = allowOrigin(allowed, origin);
  if (c.req.method === 'OPTIONS') {
    if (allow === undefined || c.req.header('access-control-request-method') === undefined) {
      return c.body(null, 403, allowed === '*' ? {} : { vary: 'Origin' });
    }
    const headers: Record<string, string> = {
      'access-control-allow-origin': allow,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
    };
    const requested = c.req.header('access-control-request-headers');
    if (requested) headers['access-control-allow-headers'] = requested;
    if (allowed !== '*') headers.vary = 'Origin';
    return c.body(null, 204, headers);
  }
  if (allow === undefined && allowed !== '*' && c.req.header('upgrade')?.toLowerCase() === 'websocket') {
    c.var.log.info('cors.websocket_refused', { origin });
    return c.text('origin not allowed', 403, { vary: 'Origin' });
  }
  await next();
  if (c.res.status === 101 || c.res.webSocket) return;
  const res = new Response(c.res.body, c.res);
  if (allow !== undefined) res.headers.set('access-control-allow-origin', allow);
  if (allowed !== '*') res.headers.append('vary', 'Origin');
  c.res = res;
};
