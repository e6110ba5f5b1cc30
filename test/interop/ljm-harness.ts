/**
 * The world for lib-jitsi-meet interop runs: the real edge, a real media node, a page server for the
 * (unshipped) test page with the unmodified lib-jitsi-meet bundle from npm, and Debian Chromium.
 * Meant to run inside a network namespace with only loopback (see ljm-interop.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';

const require = createRequire(import.meta.url);
const SECRET = 'interop-bridge-secret-0123456789';
/** The edge accepts Jitsi JWTs signed with this (and, for the anonymous scenarios, logins without one). */
export const JWT = { appId: 'interop-app', secret: 'interop-jwt-secret-0123456789abcdef012345' };

/** The lib-jitsi-meet build under test (root package.json pins it). */
export const LJM_PACKAGE = '@lyno/lib-jitsi-meet';
export const LJM_VERSION = (JSON.parse(readFileSync(require.resolve(`${LJM_PACKAGE}/package.json`), 'utf8')) as { version: string }).version;

/** The media node, running as its own process (`node media-node/src/main.ts`, as systemd runs it). */
export interface NodeProcess {
  process: ChildProcess;
  httpUrl: string;
  /** Its `GET /about/stats`. */
  stats(): Promise<{ forwardedPackets: number; retransmittedPackets: number; nacksForwarded: number; transportFeedbackPackets: number }>;
}

export interface World {
  edge: RunningEdge;
  node: NodeProcess;
  pageUrl: string;
  browser: Browser;
  stop(): Promise<void>;
}

/**
 * Starts the media node as its own process, like a deployment (its UDP and RTCP timing then do not
 * share an event loop with the test's browser driver). Its info line tells the HTTP port; log
 * lines at `NODE_LOG_LEVEL` (default warn) and above go to our stderr.
 */
async function startNodeProcess(env: Record<string, string>): Promise<NodeProcess> {
  const main = new URL('../../media-node/src/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const shown = new Set(['error', 'warn', ...(process.env.NODE_LOG_LEVEL === 'info' ? ['info'] : [])]);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`media node exited with ${code} before it started`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { level: string; event: string; http?: number };
        if (entry.event === 'media_node.started' && entry.http) resolve(entry.http);
        if (shown.has(entry.level)) process.stderr.write(`${line}\n`);
      } catch {
        process.stderr.write(`${line}\n`);
      }
    });
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  return { process: child, httpUrl, stats: async () => (await fetch(`${httpUrl}/about/stats`)).json() as Promise<Awaited<ReturnType<NodeProcess['stats']>>> };
}

/** SIGTERM (with DRAIN_TIMEOUT_MS=0 it drains and exits at once); SIGKILL if it lingers. */
async function stopNodeProcess(node: NodeProcess): Promise<void> {
  if (node.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => node.process.once('exit', () => resolve()));
  node.process.kill('SIGTERM');
  const timer = setTimeout(() => node.process.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function pageServer(edgeUrl: string): Promise<Server> {
  const files: Record<string, [string, string]> = {
    '/jquery.js': [require.resolve('jquery/dist/jquery.min.js'), 'application/javascript'],
    '/lib-jitsi-meet.min.js': [require.resolve(`${LJM_PACKAGE}/lib-jitsi-meet.min.js`), 'application/javascript'],
    '/ljm-client.js': [new URL('./ljm-client.js', import.meta.url).pathname, 'application/javascript'],
  };
  const html = `<!doctype html><meta charset="utf-8"><title>lib-jitsi-meet interop</title>
<script src="${edgeUrl}/config.js"></script>
<script src="/jquery.js"></script><script>window.jquery = window.jQuery;</script>
<script src="/lib-jitsi-meet.min.js"></script>
<script src="/ljm-client.js"></script>`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files[path];
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); return; }
    if (!file) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': file[1] });
    res.end(readFileSync(file[0]));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** `vars` override the edge's; `nodeEnv` the media node's (e.g. MEDIA_DROP_PERMILLE). */
export async function startWorld(vars: Record<string, string> = {}, nodeEnv: Record<string, string> = {}): Promise<World> {
  const edge = await startEdge({
    BRIDGE_SECRET: SECRET, LOG_LEVEL: 'warn', BRIDGE_GRACE_SECONDS: '0',
    JWT_APP_ID: JWT.appId, JWT_APP_SECRET: JWT.secret, JWT_ALLOW_ANONYMOUS: 'true', ...vars,
  });
  const node = await startNodeProcess({
    EDGE_URL: edge.url.replace(/^http/, 'ws'), BRIDGE_SECRET: SECRET, NODE_ID: 'interop-node', MEDIA_UDP_HOST: '127.0.0.1',
    MEDIA_UDP_PORT: '0', HTTP_PORT: '0', STATS_INTERVAL_MS: '500', DRAIN_TIMEOUT_MS: '0', ...nodeEnv,
  });
  for (let i = 0; i < 100; i++) {
    const { bridges } = await (await fetch(`${edge.url}/about/bridges`)).json() as { bridges: Array<{ id: string }> };
    if (bridges.some((b) => b.id === 'interop-node')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = await pageServer(edge.url);
  const browser = await launchChromium();
  return {
    edge, node, browser,
    pageUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    async stop() {
      await browser.close().catch(() => undefined);
      server.close();
      await stopNodeProcess(node);
      await edge.stop();
    },
  };
}

export interface LjmPage { page: Page; console: string[] }

/** Opens a page and joins `room` with lib-jitsi-meet. */
export async function openLjm(world: World, opts: { room: string; nick: string; token?: string; p2p?: boolean }): Promise<LjmPage> {
  const page = await world.browser.newPage();
  const console: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(world.pageUrl);
  await page.evaluate((o) => (window as unknown as { startLjm(o: unknown): Promise<boolean> }).startLjm(o), opts);
  return { page, console };
}
