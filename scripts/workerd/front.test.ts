import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module loaded by workerd, no types
import front, { assets, candidates, contentType, matchesPattern } from './front.js';
// @ts-expect-error plain JS module
import { documentedEdgeKeys, edgeEnvKeys } from '../workerd-config.mjs';

/** A disk service with these files (octet-stream, as workerd's) and a Worker that says who it is. */
function fakeEnv(files: Record<string, string>) {
  const seen: string[] = [];
  return {
    seen,
    env: {
      RUN_WORKER_FIRST: JSON.stringify(['/config.js', '/xmpp-websocket', '/about/*']),
      NOT_FOUND_HANDLING: 'single-page-application',
      FILES: {
        fetch: async (r: Request) => {
          const path = new URL(r.url).pathname;
          if (path === '/assets') return new Response('[]', { headers: { 'content-type': 'application/json' } });
          return path in files ? new Response(files[path], { headers: { 'content-type': 'application/octet-stream' } }) : new Response('', { status: 404 });
        },
      },
      WORKER: { fetch: async (r: Request) => { seen.push(new URL(r.url).pathname); return new Response('worker', { status: 404 }); } },
    },
  };
}

describe('the self-hosted edge front (wrangler.toml [assets] on workerd)', () => {
  const files = { '/index.html': '<html>app</html>', '/assets/app-1.js': 'js()' };

  it('matches run_worker_first patterns as wrangler does', () => {
    expect(matchesPattern('/about/health', ['/about/*'])).toBe(true);
    expect(matchesPattern('/about', ['/about/*'])).toBe(false);
    expect(matchesPattern('/config.js', ['/config.js'])).toBe(true);
    expect(matchesPattern('/configxjs', ['/config.js'])).toBe(false);
    expect(candidates('/')).toEqual(['/index.html']);
    expect(candidates('/room')).toEqual(['/room', '/room.html', '/room/index.html']);
    expect(contentType('/a/b.js')).toMatch(/^text\/javascript/);
    expect(contentType('/x.unknown')).toBe('application/octet-stream');
  });

  it('routes: Worker-first paths, files with types, SPA navigations, the rest to the Worker', async () => {
    const { env, seen } = fakeEnv(files);
    const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => front.fetch(new Request(`http://edge${path}`, { headers, method }), env);
    expect(await (await get('/about/health')).text()).toBe('worker');
    const js = await get('/assets/app-1.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('js()');
    expect(await (await get('/')).text()).toBe('<html>app</html>');
    expect(await (await get('/my-room', { 'sec-fetch-mode': 'navigate' })).text()).toBe('<html>app</html>');
    expect(await (await get('/my-room')).text()).toBe('worker');
    expect(await (await get('/assets')).text()).toBe('worker'); // a directory is no file
    expect(await (await get('/.env')).text()).toBe('worker');
    expect((await get('/index.html', {}, 'HEAD')).status).toBe(200);
    expect(await (await get('/index.html', {}, 'POST')).text()).toBe('worker');
    expect(seen).toEqual(['/about/health', '/my-room', '/assets', '/.env', '/index.html']);
    expect((await assets.fetch(new Request('http://edge/nothing'), env)).status).toBe(404);
    expect((await assets.fetch(new Request('http://edge/'), env)).status).toBe(200);
  });

  it('binds every key the edge reads, and docs/configuration.md documents each', async () => {
    const keys: string[] = await edgeEnvKeys({});
    expect(keys).toContain('BRIDGE_SECRET');
    expect(keys).toContain('JWT_APP_SECRET');
    expect([...documentedEdgeKeys().keys()].sort()).toEqual(keys);
  });
});
