/**
 * The edge Worker's HTTP app: config and logger per request, the routes, and the one error
 * boundary that maps typed errors to HTTP answers (never a stack to a client).
 * @module
 */
import { AppError, ERROR_TABLE } from '@edgemeet/protocol';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppBindings } from './app-types.ts';
import { configFromEnv } from './config.ts';
import { createLogger } from './log.ts';
import { admin } from './routes/admin.ts';
import { configJs } from './routes/config-js.ts';
import { cors } from './routes/cors.ts';
import { health } from './routes/health.ts';
import { jwks } from './routes/jwks.ts';
import { oidcRoutes } from './routes/oidc.ts';
import { registryWebsocket } from './routes/registry-websocket.ts';
import { xmppWebsocket } from './routes/xmpp-websocket.ts';

export const app = new Hono<AppBindings>();

app.use(async function context(c, next) {
  const config = configFromEnv(c.env);
  c.set('config', config);
  c.set('log', createLogger(config.logLevel, { ns: 'edge:http', path: new URL(c.req.url).pathname }));
  await next();
});

// What a front end on another origin reads: config.js and the keep-alive GET of the service URL.
app.use('/config.js', cors);
app.use('/xmpp-websocket', cors);

app.route('/', health);
app.route('/', admin);
app.route('/', configJs);
app.route('/', xmppWebsocket);
app.route('/', registryWebsocket);
app.route('/', oidcRoutes);
app.route('/', jwks);

app.notFound((c) => c.json({ error: { code: 'not-found', message: 'no such path' } }, 404));

app.onError((err, c) => {
  if (err instanceof AppError) {
    return c.json({ error: { code: err.code, message: err.message } }, ERROR_TABLE[err.code].http as ContentfulStatusCode);
  }
  const log = c.get('log') ?? createLogger('error', { ns: 'edge:http' });
  log.error('request.failed', { err });
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
});
