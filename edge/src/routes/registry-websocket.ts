/**
 * `/registry-websocket?region=R`: where media nodes dial in (XMPP over WebSocket, TLS in
 * production) to register with their region's Registry Durable Object.
 * @module
 */
import { AppError, isRegion } from '@edgemeet/protocol';
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';
import { REGION_HEADER } from '../registry/registry-do.ts';

export const registryWebsocket = new Hono<AppBindings>().get('/registry-websocket', (c) => {
  const region = new URL(c.req.url).searchParams.get('region') ?? c.var.config.region;
  if (!isRegion(region)) throw new AppError('bad-request', 'invalid region');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new AppError('bad-request', 'expected a WebSocket upgrade');
  const headers = new Headers(c.req.raw.headers);
  headers.set(REGION_HEADER, region);
  return c.env.REGISTRY.get(c.env.REGISTRY.idFromName(region)).fetch(new Request(c.req.raw.url, { headers }));
});
