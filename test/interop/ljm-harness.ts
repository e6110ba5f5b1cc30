/**
 * The world for lib-jitsi-meet interop runs: the real edge, a real media node, a page server for the
 * (unshipped) test pages with an unmodified lib-jitsi-meet bundle, and Debian Chromium. Meant to run
 * inside a network namespace with only loopback (see ljm-interop.test.ts).
 *
 * Two builds of the library (`LjmBuild`):
 * - `'2021'`: `@lyno/lib-jitsi-meet` from npm (December 2021; needs jQuery), driven as jitsi-meet of
 *   that time did;
 * - `'current'`: today's upstream build in `../shared/vendor/lib-jitsi-meet/` (or `LJM_CURRENT_DIR`),
 *   driven as today's jitsi-meet does (its whole config.js to `JitsiMeetJS.init`, the connection and
 *   the conference). It is not in the repository: {@link currentLjmUnavailable} says why it cannot
 *   be used, and its tests skip loudly.
 *
 * Every page gets `pc-counter.js` as an init script: each RTCPeerConnection counts its
 * `negotiationneeded` events and offer/answer rounds ({@link LjmPage.negotiation}).
 *
 * ## Rooms of N pages of today's library (for other browser tests, e.g. bridge failover)
 *
 * ```ts
 * const world = await startWorld();                       // edge + one media node + Chromium
 * const pages = await startCurrentLjmPages(world, 'room', 3);
 * // resolves once every page has joined and counts n-1 other participants (nicks p1, p2, …)
 * const before = await Promise.all(pages.map((p) => p.flowSnapshot()));
 * await sleep(2000);
 * const after = await Promise.all(pages.map((p) => p.flowSnapshot()));
 * flowDelta(before[0], after[0]);  // per remote endpoint id: { video, audio, name }
 * await waitForFlow(pages[0], { video: 2, audio: 2 });     // polls 1 s windows until 2 remote videos and 2 audios grow
 * ```
 *
 * - `startCurrentLjmPages(world, room, n, options?)` → `LjmPage[]` (nicks `p1…pn`, or
 *   `options.nicks`), opened one after another, each joined with P2P off unless `options.p2p`.
 *   `options.ssrcRewriting` sets the library's `flags.ssrcRewritingEnabled` (default off here, so
 *   both ways are tested; ljm-current.test.ts turns it on, as jitsi-meet does); the conference options default to VP8 first
 *   ({@link CURRENT_CONFERENCE_DEFAULTS}; the server offers VP8, VP9 and AV1; ljm-current.test.ts
 *   runs the library's own order, AV1 first, and ljm-svc.test.ts VP9 on one page, AV1 on the others).
 * - `LjmPage.flowSnapshot()` → {@link FlowSnapshot}: at `at` (page ms), on the active peer
 *   connection (`sid` of its Jingle session, `p2p`, `connectionState`), per remote participant
 *   (keyed by endpoint id, with its display name) the cumulative video frames decoded and audio
 *   samples received (not concealment), the number of its inbound video/audio streams and the
 *   tallest decoded height. Inbound streams are attributed through the library's remote tracks
 *   (track id, then SSRC); anything else is counted in `unattributed`. Counters are those of the
 *   peer connection: when the session is replaced (a new `sid`, e.g. after a move to another
 *   bridge) they start again from zero; {@link flowDelta} accounts for that.
 * - `flowDelta(a, b)` → per endpoint id in `b`: how much decoding progressed from `a` to `b`.
 * - `waitForFlow(p, { video, audio, timeoutMs?, windowMs? })` → the last {@link Flow} sample:
 *   how many remote participants' video / audio grew in one window.
 * - `LjmPage.negotiation()` → counters of the page's JVB peer connection (and all of them);
 *   `LjmPage.jingleActions()` → how many Jingle IQs of each action the page received and sent;
 *   `LjmPage.pageErrors` / `LjmPage.libraryErrors` → uncaught page errors and the library's
 *   error-level log lines, collected since the page opened; `LjmPage.uncaught()` the page's own
 *   record of them (with non-Error rejection reasons); `window.__bridgeChannel` in the page holds
 *   the last 200 colibri-ws messages each way.
 * - also: `flowOver(p, ms)` (one window of {@link waitForFlow}), `untilInPage(p, expr, ms)` (waits
 *   for an expression over the page's `window.ljm`), and `startNodeProcess(env)` /
 *   `stopNodeProcess(node)` for a second media node (same env as {@link startWorld} passes, with its
 *   own `NODE_ID`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { CURRENT_FILES, CURRENT_LJM_DIR, currentLjmUnavailable, LJM_PACKAGE, type LjmBuild } from './ljm-builds.ts';

export { CURRENT_LJM_DIR, currentLjmUnavailable, LJM_PACKAGE, LJM_VERSION, type LjmBuild } from './ljm-builds.ts';

const require = createRequire(import.meta.url);
const SECRET = 'interop-bridge-secret-0123456789';
/** The edge accepts Jitsi JWTs signed with this (and, for the anonymous scenarios, logins without one). */
export const JWT = { appId: 'interop-app', secret: 'interop-jwt-secret-0123456789abcdef012345' };

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
  /** The page with the 2021 build. */
  pageUrl: string;
  /** The page with `build`; its origin is not the edge's (the edge's CORS lets it read /config.js and the keep-alive). */
  pageUrlFor(build: LjmBuild): string;
  browser: Browser;
  stop(): Promise<void>;
}

/**
 * Starts the media node as its own process, like a deployment (its UDP and RTCP timing then do not
 * share an event loop with the test's browser driver). Its info line tells the HTTP port; log
 * lines at `NODE_LOG_LEVEL` (default warn) and above go to our stderr.
 */
export async function startNodeProcess(env: Record<string, string>): Promise<NodeProcess> {
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
export async function stopNodeProcess(node: NodeProcess): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
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
  // Today's build, when it is there, under /current/ (its E2EE worker is loaded from next to it).
  if (!currentLjmUnavailable()) for (const f of CURRENT_FILES) files[`/current/${f}`] = [`${CURRENT_LJM_DIR}/${f}`, 'application/javascript'];
  const pages: Record<string, string> = {
    '/': `<!doctype html><meta charset="utf-8"><title>lib-jitsi-meet interop</title>
<script src="${edgeUrl}/config.js"></script>
<script src="/jquery.js"></script><script>window.jquery = window.jQuery;</script>
<script src="/lib-jitsi-meet.min.js"></script>
<script src="/ljm-client.js"></script>`,
    '/current/': `<!doctype html><meta charset="utf-8"><title>lib-jitsi-meet (today's) interop</title>
<script>window.LJM_BUILD = 'current';</script>
<script src="${edgeUrl}/config.js"></script>
<script src="/current/lib-jitsi-meet.min.js"></script>
<script src="/ljm-client.js"></script>`,
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files[path];
    const html = pages[path];
    if (html !== undefined) { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); return; }
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
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    edge, node, browser,
    pageUrl: `${base}/`,
    pageUrlFor: (build) => `${base}${build === 'current' ? '/current/' : '/'}`,
    async stop() {
      await browser.close().catch(() => undefined);
      server.close();
      await stopNodeProcess(node);
      await edge.stop();
    },
  };
}


/** Counters of one RTCPeerConnection in a page (pc-counter.js). */
export interface PcCounters {
  index: number; createdAt: number; closed: boolean;
  negotiationNeeded: number; negotiationNeededAt: number[];
  remoteDescriptions: number; localDescriptions: number; descriptionErrors: string[];
}

/** Cumulative decoding counters of one remote participant on a page's active peer connection. */
export interface ParticipantFlow {
  name: string;
  videoFramesDecoded: number;
  audioSamplesReceived: number;
  videoHeight: number;
  videoStreams: number;
  audioStreams: number;
}

/** What `LjmPage.flowSnapshot()` returns (see the module comment). */
export interface FlowSnapshot {
  at: number;
  sid: string | null;
  p2p: boolean;
  connectionState: string;
  participants: Record<string, ParticipantFlow>;
  unattributed: { videoFramesDecoded: number; audioSamplesReceived: number };
}

/** Remote participants whose video / audio decoding grew over a window (see {@link waitForFlow}). */
export interface Flow { video: number; audio: number; p2p: boolean; heights: number[] }

export interface LjmPage {
  page: Page;
  build: LjmBuild;
  nick: string;
  /** Console errors and warnings, page errors, as text (for failure reports). */
  console: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** The library's error-level log lines (`[module] <function>: …`). */
  libraryErrors: string[];
  /** The page's endpoint id (its MUC nickname) once joined. */
  id(): Promise<string>;
  flowSnapshot(): Promise<FlowSnapshot>;
  /** The JVB session's peer connection's counters (null before it exists), and every connection's. */
  negotiation(): Promise<{ jvb: PcCounters | null; all: PcCounters[] }>;
  /** Jingle IQs received (`in`) and sent (`out`) by action, e.g. `{ in: { 'source-add': 2 } }`. */
  jingleActions(): Promise<{ in: Record<string, number>; out: Record<string, number> }>;
  /** Uncaught errors and unhandled rejections as the page saw them (with non-Error reasons), from pc-counter.js. */
  uncaught(): Promise<string[]>;
  /** conference.leave() and connection.disconnect(). */
  leave(): Promise<void>;
}

/** The edge's hidden domain (`recorder.<domain>`), passed to lib-jitsi-meet as jitsi-meet passes `config.hiddenDomain`. */
export const HIDDEN_DOMAIN = 'recorder.meet.jitsi';

/** The library's logger writes `<timestamp> [<module>] <<function>>: …`; these are its error-level lines. */
const LIBRARY_LINE = /^\S*\s*\[[^\]\s]+\]/;

/** Opens a page with `build` (default 2021) and joins `room` with lib-jitsi-meet. */
export async function openLjm(world: World, opts: {
  room: string; nick: string; token?: string; p2p?: boolean; password?: string; build?: LjmBuild;
  /** today's build: `flags.ssrcRewritingEnabled` (default false). */
  ssrcRewriting?: boolean;
  /** merged into the conference options (today's build: over config.js; the 2021 build: over its fixed options, e.g. `forceTurnRelay`). */
  conferenceOptions?: Record<string, unknown>;
}): Promise<LjmPage> {
  const build = opts.build ?? '2021';
  if (build === 'current' && currentLjmUnavailable()) throw new Error(currentLjmUnavailable());
  const page = await world.browser.newPage();
  await page.addInitScript({ path: fileURLToPath(new URL('./pc-counter.js', import.meta.url)) });
  const p: LjmPage = {
    page, build, nick: opts.nick, console: [], pageErrors: [], libraryErrors: [],
    id: () => page.evaluate(() => (window as unknown as { ljm: { conference: { myUserId(): string } } }).ljm.conference.myUserId()),
    flowSnapshot: () => page.evaluate(() => (window as unknown as { ljmFlowSnapshot(): Promise<FlowSnapshot> }).ljmFlowSnapshot()),
    negotiation: () => page.evaluate(() => {
      const w = window as unknown as { __pcCounters?: PcCounters[]; ljm: { conference?: { jvbJingleSession?: { peerconnection?: { peerconnection?: { __counters?: PcCounters } } } } } };
      return { jvb: w.ljm.conference?.jvbJingleSession?.peerconnection?.peerconnection?.__counters ?? null, all: w.__pcCounters ?? [] };
    }),
    jingleActions: () => page.evaluate(() => {
      const out: { in: Record<string, number>; out: Record<string, number> } = { in: {}, out: {} };
      for (const line of (window as unknown as { ljm: { jingle?: string[] } }).ljm.jingle ?? []) {
        for (const m of line.matchAll(/<jingle[^>]*action=['"]([a-z-]+)['"]/g)) {
          const dir = line.startsWith('<<') ? out.in : out.out;
          dir[m[1]!] = (dir[m[1]!] ?? 0) + 1;
        }
      }
      return out;
    }),
    uncaught: () => page.evaluate(() => (window as unknown as { __uncaught?: string[] }).__uncaught ?? []),
    leave: () => page.evaluate(() => (window as unknown as { ljmLeave(): Promise<void> }).ljmLeave()),
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') p.console.push(`${m.type()}: ${m.text()}`);
    if (m.type() === 'error' && LIBRARY_LINE.test(m.text())) p.libraryErrors.push(m.text());
  });
  page.on('pageerror', (e) => {
    const text = e.stack || `${e.name}: ${e.message}` || String(e);
    p.console.push(`pageerror: ${text}`);
    p.pageErrors.push(text);
  });
  await page.goto(world.pageUrlFor(build));
  const { build: _b, ...rest } = opts;
  // As jitsi-meet passes config.hiddenDomain: recorders' occupants are hidden and decide a recording's "on".
  const start = { ...rest, conferenceOptions: { hiddenDomain: HIDDEN_DOMAIN, ...(opts.conferenceOptions ?? {}) } };
  await page.evaluate((o) => (window as unknown as { startLjm(o: unknown): Promise<boolean> }).startLjm(o), start);
  return p;
}

/** Waits until `fn` (an expression over `s`, the page's window.ljm) is truthy; false on timeout. */
export async function untilInPage(p: LjmPage, fn: string, timeoutMs = 15_000): Promise<boolean> {
  try {
    await p.page.waitForFunction(`(() => { const s = window.ljm; return ${fn}; })()`, undefined, { timeout: timeoutMs, polling: 100 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Conference options today's pages get by default: VP8 first in `videoQuality.codecPreferenceOrder`,
 * as a deployment with a VP8-only bridge configures it. The focus offers VP8 and VP9, not AV1
 * (issue 13 item 2); with only VP8 offered and the library's default order (AV1 first) it applied
 * AV1 SVC encodings to a VP8 sender and Chrome rejected them (`setParameters` page errors).
 */
export const CURRENT_CONFERENCE_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ videoQuality: { codecPreferenceOrder: ['VP8', 'VP9', 'AV1', 'H264'] } });

/**
 * Opens `n` pages of today's library in `room`, one after another (as people arrive), and resolves
 * when every page has joined and sees the other n−1. Nicks `p1…pn` unless `options.nicks`;
 * `options.conferenceOptions` replaces {@link CURRENT_CONFERENCE_DEFAULTS}.
 */
export async function startCurrentLjmPages(world: World, room: string, n: number, options: {
  nicks?: string[]; p2p?: boolean; ssrcRewriting?: boolean; conferenceOptions?: Record<string, unknown>; timeoutMs?: number;
  /** Per page (by nick), instead of `conferenceOptions`. */
  conferenceOptionsFor?: (nick: string) => Record<string, unknown>;
} = {}): Promise<LjmPage[]> {
  const nicks = options.nicks ?? Array.from({ length: n }, (_, i) => `p${i + 1}`);
  const pages: LjmPage[] = [];
  for (const nick of nicks.slice(0, n)) {
    pages.push(await openLjm(world, {
      room, nick, build: 'current', p2p: options.p2p ?? false, ssrcRewriting: options.ssrcRewriting,
      conferenceOptions: options.conferenceOptionsFor?.(nick) ?? options.conferenceOptions ?? CURRENT_CONFERENCE_DEFAULTS,
    }));
  }
  const timeout = options.timeoutMs ?? 20_000;
  const ready = await Promise.all(pages.map((p) => untilInPage(p, `s.joinedAt > 0 && s.conference.getParticipants().length === ${n - 1}`, timeout)));
  const late = pages.filter((_, i) => !ready[i]).map((p) => p.nick);
  if (late.length) throw new Error(`${late.join(', ')} did not join ${room} and see ${n - 1} others within ${timeout} ms`);
  return pages;
}

/** Per remote endpoint id in `b`: frames and samples decoded since `a` (all of `b`'s if the session changed). */
export function flowDelta(a: FlowSnapshot, b: FlowSnapshot): Record<string, { name: string; video: number; audio: number }> {
  const out: Record<string, { name: string; video: number; audio: number }> = {};
  const sameSession = a.sid !== null && a.sid === b.sid;
  for (const [id, now] of Object.entries(b.participants)) {
    const was = sameSession ? a.participants[id] : undefined;
    out[id] = { name: now.name, video: now.videoFramesDecoded - (was?.videoFramesDecoded ?? 0), audio: now.audioSamplesReceived - (was?.audioSamplesReceived ?? 0) };
  }
  return out;
}

/** How many remote participants' video and audio grew over `windowMs` (default 1500). */
export async function flowOver(p: LjmPage, windowMs = 1500): Promise<Flow> {
  const a = await p.flowSnapshot();
  await new Promise((r) => setTimeout(r, windowMs));
  const b = await p.flowSnapshot();
  const d = Object.entries(flowDelta(a, b));
  return {
    video: d.filter(([, x]) => x.video > 0).length, audio: d.filter(([, x]) => x.audio > 0).length, p2p: b.p2p,
    heights: d.filter(([, x]) => x.video > 0).map(([id]) => b.participants[id]!.videoHeight).sort((x, y) => x - y),
  };
}

/** Polls {@link flowOver} in 1 s windows until at least `video` and `audio` participants flow; the last sample. */
export async function waitForFlow(p: LjmPage, want: { video: number; audio: number; timeoutMs?: number; windowMs?: number }): Promise<Flow> {
  const deadline = Date.now() + (want.timeoutMs ?? 15_000);
  let last = await flowOver(p, want.windowMs ?? 1000);
  while ((last.video < want.video || last.audio < want.audio) && Date.now() < deadline) last = await flowOver(p, want.windowMs ?? 1000);
  return last;
}
