import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../src/app.ts';
import { ConfigError, parseEdgeConfig } from '../src/config.ts';

const FRONT_END = 'https://meet.example.com';
const OTHER = 'https://evil.example.net';
const worker = () => (exports as { default: Fetcher }).default;
/** The app with CORS_ALLOWED_ORIGINS set to a list (the other tests run with the default, `*`). */
const listed = (path: string, init: RequestInit = {}) =>
  app.fetch(new Request(`http://edge.test${path}`, init), { ...env, CORS_ALLOWED_ORIGINS: `${FRONT_END}, http://127.0.0.1:8080` });

describe('CORS on /config.js and /xmpp-websocket (lib-jitsi-meet served from another origin)', () => {
  it('by default any origin may read config.js and the keep-alive GET; a preflight is answered', async () => {
    const config = await worker().fetch('http://edge.test/config.js', { headers: { origin: OTHER } });
    expect(config.status).toBe(200);
    expect(config.headers.get('access-control-allow-origin')).toBe('*');
    expect(await config.text()).toContain('var config =');
    // The library's keep-alive: a plain fetch() of the service URL (http:// for ws://).
    const keepAlive = await worker().fetch('http://edge.test/xmpp-websocket?room=somewhere', { headers: { origin: FRONT_END } });
    expect(keepAlive.status).toBe(200);
    expect(keepAlive.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await worker().fetch('http://edge.test/xmpp-websocket?room=somewhere', {
      method: 'OPTIONS', headers: { origin: FRONT_END, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-requested-with' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('x-requested-with');
    // Errors carry the header too, so the page can see them.
    const bad = await worker().fetch('http://edge.test/xmpp-websocket', { headers: { origin: FRONT_END } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe('*');
    // Other routes are not opened up.
    const health = await worker().fetch('http://edge.test/about/health', { headers: { origin: FRONT_END } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with a list, listed origins get their origin back, others nothing; their preflights and WebSocket upgrades are refused', async () => {
    const ok = await listed('/config.js', { headers: { origin: FRONT_END } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(FRONT_END);
    expect(ok.headers.get('vary')).toContain('Origin');
    const keepAlive = await listed('/xmpp-websocket?room=r1', { headers: { origin: 'http://127.0.0.1:8080' } });
    expect(keepAlive.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');

    // A simple request from elsewhere is answered (CORS is the browser's to enforce) without the header.
    const refused = await listed('/xmpp-websocket?room=r1', { headers: { origin: OTHER } });
    expect(refused.status).toBe(200);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('vary')).toContain('Origin');
    const preflight = await listed('/config.js', { method: 'OPTIONS', headers: { origin: OTHER, 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const allowedPreflight = await listed('/config.js', { method: 'OPTIONS', headers: { origin: FRONT_END, 'access-control-request-method': 'GET' } });
    expect(allowedPreflight.status).toBe(204);
    expect(allowedPreflight.headers.get('access-control-allow-origin')).toBe(FRONT_END);

    // WebSocket is not covered by CORS: a page from an unlisted origin cannot open the XMPP socket…
    const upgrade = { upgrade: 'websocket', 'sec-websocket-protocol': 'xmpp' };
    const ws = await listed('/xmpp-websocket?room=r1', { headers: { ...upgrade, origin: OTHER } });
    expect(ws.status).toBe(403);
    expect(ws.webSocket).toBeNull();
    // …a listed one can, as can the edge's own web app (same origin) and clients that send no Origin.
    for (const origin of [FRONT_END, 'http://edge.test', undefined]) {
      const res = await listed('/xmpp-websocket?room=r1', { headers: origin ? { ...upgrade, origin } : upgrade });
      expect(res.status, origin).toBe(101);
      res.webSocket!.accept();
      res.webSocket!.close(1000);
    }
  });

  it('CORS_ALLOWED_ORIGINS is validated: origins only, no paths', () => {
    expect(parseEdgeConfig({}).corsAllowedOrigins).toBe('*');
    expect(parseEdgeConfig({ CORS_ALLOWED_ORIGINS: 'none' }).corsAllowedOrigins).toEqual([]);
    expect(parseEdgeConfig({ CORS_ALLOWED_ORIGINS: 'HTTPS://Meet.Example.com,http://[::1]:8080' }).corsAllowedOrigins).toEqual(['https://meet.example.com', 'http://[::1]:8080']);
    expect(() => parseEdgeConfig({ CORS_ALLOWED_ORIGINS: 'https://meet.example.com/app' })).toThrow(ConfigError);
    expect(() => parseEdgeConfig({ CORS_ALLOWED_ORIGINS: 'meet.example.com' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });
});
