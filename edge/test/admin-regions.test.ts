import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../src/app.ts';

const TOKEN = 'admin-test-token-0123456789';
const call = (path: string, vars: Record<string, string>, init: RequestInit & { cf?: Record<string, unknown> } = {}) =>
  app.fetch(new Request(`http://edge.test${path}`, init), { ...env, ...vars });

describe('/config.js userRegion and /admin/nodes in the Worker', () => {
  it('/config.js carries deploymentInfo.userRegion from request.cf by USER_REGIONS', async () => {
    const vars = { USER_REGIONS: 'continent:EU=eu,country:GB=uk', REGION: 'us' };
    const body = async (cf?: Record<string, unknown>) => {
      const text = await (await call('/config.js', vars, cf ? { cf } : {})).text();
      return JSON.parse(text.replace(/^var config = /, '').replace(/;\s*$/, '')) as { deploymentInfo: Record<string, string> };
    };
    expect((await body({ continent: 'EU', country: 'DE' })).deploymentInfo).toEqual({ region: 'us', userRegion: 'eu' });
    expect((await body({ continent: 'EU', country: 'GB' })).deploymentInfo).toEqual({ region: 'us', userRegion: 'uk' });
    expect((await body({ continent: 'AS', country: 'JP' })).deploymentInfo).toEqual({ region: 'us' });
  });

  it('/admin/nodes: 403 without STATUS_TOKEN configured, 401 without the right bearer token, the regions with it', async () => {
    expect((await call('/admin/nodes', {})).status).toBe(403);
    const vars = { STATUS_TOKEN: TOKEN, BRIDGE_REGIONS: 'eu,us' };
    expect((await call('/admin/nodes', vars)).status).toBe(401);
    expect((await call('/admin/nodes', vars, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await call('/admin/nodes?region=ap', vars, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      regions: [{ region: 'eu', nodes: [] }, { region: 'us', nodes: [] }, { region: 'ap', nodes: [] }],
      totals: { nodes: 0, connected: 0, draining: 0, conferences: 0, endpoints: 0 },
    });
    expect((await call('/admin/nodes?region=No', vars, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(400);
  });
});
