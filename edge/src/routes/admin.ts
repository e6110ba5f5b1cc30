/**
 * `GET /admin/nodes`: every media node of every region rooms draw from (`BRIDGE_REGIONS`, plus
 * `?region=` for another one), with its state, stress, conferences, endpoints and the rooms placed on
 * it, and totals. Behind `STATUS_TOKEN` (`Authorization: Bearer …`); unlike `/about/bridges` it is
 * never open: without a configured token it answers 403.
 * @module
 */
import { AppError, isRegion } from '@edgemeet/protocol';
import { Hono } from 'hono';
import type { AppBindings } from '../app-types.ts';

function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export const admin = new Hono<AppBindings>().get('/admin/nodes', async (c) => {
  const { statusToken, bridgeRegions } = c.var.config;
  if (statusToken === undefined) throw new AppError('forbidden', 'set STATUS_TOKEN to use the admin endpoints');
  if (!sameToken(c.req.header('authorization') ?? '', `Bearer ${statusToken}`)) throw new AppError('not-authorized', 'a bearer token is required');
  const extra = c.req.query('region');
  if (extra !== undefined && !isRegion(extra)) throw new AppError('bad-request', 'invalid region');
  const regions = [...new Set([...bridgeRegions, ...(extra ? [extra] : [])])];
  const listed = await Promise.all(regions.map(async (region) => ({
    region, nodes: await c.env.REGISTRY.get(c.env.REGISTRY.idFromName(region)).nodes(),
  })));
  const all = listed.flatMap((r) => r.nodes);
  return c.json({
    regions: listed,
    totals: {
      nodes: all.length,
      connected: all.filter((n) => n.connected).length,
      draining: all.filter((n) => n.drain || n.shuttingDown).length,
      conferences: all.reduce((a, n) => a + n.conferences, 0),
      endpoints: all.reduce((a, n) => a + n.endpoints, 0),
    },
  });
});
