import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';

/** A provider that misbehaves on demand: it hangs, fails, answers garbage, or is gone. */
describe('login when the OpenID Provider is slow, broken or unreachable: a bounded wait, a clear error, no redirect', () => {
  let edge: RunningEdge;
  let server: Server;
  let mode: 'hang' | '500' | 'html' = 'hang';
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      if (mode === 'hang') return void hanging.push(res);
      if (mode === '500') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a login portal</html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/edgemeet`;
    edge = await startEdge({
      LOG_LEVEL: 'error', JWT_APP_ID: 'edgemeet-test', JWT_APP_SECRET: 'failures-test-secret-0123456789abcdef01',
      OIDC_ISSUER_URL: issuer, OIDC_CLIENT_ID: 'edgemeet-web', OIDC_COOKIE_SECRET: 'failures-test-cookie-0123456789abcdef01', OIDC_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await edge?.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  async function attempt(): Promise<{ status: number; message: string; elapsed: number; location: string | null }> {
    const started = Date.now();
    const res = await fetch(`${edge.url}/oidc/auth?path=/room`, { redirect: 'manual' });
    const body = await res.json() as { error: { message: string } };
    return { status: res.status, message: body.error.message, elapsed: Date.now() - started, location: res.headers.get('location') };
  }

  it('a provider that never answers: 504 after OIDC_TIMEOUT_MS (1 s), not after the platform\'s own timeout', async () => {
    mode = 'hang';
    expect((await fetch(`${edge.url}/oidc/health`)).status).toBe(200); // the Worker is warm: what follows is the provider's time
    const r = await attempt();
    expect(r).toMatchObject({ status: 504, location: null });
    expect(r.message).toBe('the OpenID provider did not answer within 1000 ms');
    expect(r.elapsed).toBeGreaterThanOrEqual(900);
    expect(r.elapsed).toBeLessThan(3000);
  });

  it('a provider whose discovery fails (HTTP 500, an HTML page): 503 naming the failed discovery; a later good answer is not hidden by a cached failure', async () => {
    mode = '500';
    const r500 = await attempt();
    expect(r500).toMatchObject({ status: 503, location: null });
    expect(r500.message).toMatch(/^the OpenID provider's discovery failed: unexpected HTTP response status code/);
    mode = 'html';
    const html = await attempt();
    expect(html.status).toBe(503);
    expect(html.message).toMatch(/discovery failed: unexpected response content-type/);
  });

  it('a provider that is gone (connection refused): 503 cannot be reached', async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    const r = await attempt();
    expect(r).toMatchObject({ status: 503, location: null, message: 'the OpenID provider cannot be reached' });
    server = createServer(); // closed again in afterAll
    await new Promise<void>((r2) => server.listen(0, '127.0.0.1', r2));
  });
});
