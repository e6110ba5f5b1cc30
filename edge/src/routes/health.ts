/**
 * `GET /about/health`: liveness of the edge Worker (Jitsi serves the same path for Jicofo/JVB).
 * @module
 */
import { AppError, isRegion } from '@edgemeet/protocol';
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';

export const health = new Hono<AppBindings>()
  .get('/about/health', (c) => c.json({ status: 'ok', service: 'edgemeet-edge', domain: c.var.config.domain }))
  /** The media nodes registered in a region (`?region=`, default: this edge's), for operators. */
  .get('/about/bridges', async (c) => {
    const { statusToken, region: defaultRegion } = c.var.config;
    if (statusToken !== undefined && c.req.header('authorization') !== `Bearer ${statusToken}`) {
      throw new AppError('not-authorized', 'a bearer token is required');
    }
    const region = c.req.query('region') ?? defaultRegion;
    if (!isRegion(region)) throw new AppError('bad-request', 'invalid region');
    const bridges = await c.env.REGISTRY.get(c.env.REGISTRY.idFromName(region)).bridges();
    return c.json({ region, bridges });
  });
