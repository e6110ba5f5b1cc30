/// <reference lib="dom" />
/**
 * The set-up promise, run inside a network namespace with only loopback (npm-start.test.ts starts
 * it): `npm start`, then the printed URL in two Chromium tabs, the same room picked on the home
 * page, gives a call. Then the media node is killed (SIGKILL): the edge keeps answering, the
 * supervisor restarts the node, it registers again, and the same tabs in a new room have a call
 * again. Last, SIGTERM stops everything. Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.ts';
import type { Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const result: Record<string, unknown> = {};
// Its own Durable Object storage: a developer's npm start in the same checkout must not share it (SQLITE_BUSY).
const start = spawn('npm', ['start'], {
  cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_PERSIST_TO: mkdtempSync(join(tmpdir(), 'edgemeet-npm-start-')) },
});
let output = '';
start.stdout.on('data', (c) => { output += String(c); });
start.stderr.on('data', (c) => { output += String(c); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `f` returns something other than undefined. */
async function until<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}:\n${output.slice(-2000)}`);
    await sleep(200);
  }
}

/** The pids the supervisor logged for `name` ("[npm start] NAME started (pid N)"), oldest first. */
const startedPids = (name: string) => [...output.matchAll(new RegExp(`\\[npm start\\] ${name} started \\(pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));

/** A live process (not a zombie waiting for its parent). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function edgeAnswers(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/about/health`, { signal: AbortSignal.timeout(2000) });
    return r.ok && ((await r.json()) as { service?: string }).service === 'edgemeet-edge';
  } catch {
    return false;
  }
}

async function bridges(url: string): Promise<{ id: string; connected: boolean }[]> {
  const r = await fetch(`${url}/about/bridges`).then((x) => x.json() as Promise<{ bridges: { id: string; connected: boolean }[] }>).catch(() => ({ bridges: [] }));
  return r.bridges.map(({ id, connected }) => ({ id, connected }));
}

async function decoding(page: Page): Promise<number> {
  const frames = () => page.evaluate(async () => {
    const pc = (window as unknown as { meeting?: { peerConnection: RTCPeerConnection | null } }).meeting?.peerConnection;
    let n = 0;
    if (pc) (await pc.getStats()).forEach((s: Record<string, unknown>) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += Number(s.framesDecoded ?? 0); });
    return n;
  });
  const a = await frames();
  await sleep(1000);
  return (await frames()) - a;
}

/** Both tabs open the home page, pick `room`, join; returns the frames each decodes per second and the names it shows. */
async function call(url: string, tabs: Page[], room: string): Promise<{ framesPerSecond: number[]; names: (string | null)[][] }> {
  for (const [i, tab] of tabs.entries()) {
    await tab.goto(url);
    await tab.fill('#room-name', room);
    await tab.click('button[type="submit"]');
    await tab.waitForURL(new RegExp(`/${room}$`));
    await tab.fill('#display-name', i === 0 ? 'Tab one' : 'Tab two');
    await tab.waitForFunction(() => (document.querySelector('.prejoin video') as HTMLVideoElement | null)?.srcObject !== null);
    await tab.click('#join');
  }
  const framesPerSecond: number[] = [];
  for (const tab of tabs) {
    let n = 0;
    // Until decoding is steady (the first second may hold the first few frames only).
    for (let i = 0; i < 15 && n < 10; i++) n = await decoding(tab);
    framesPerSecond.push(n);
  }
  const names = await Promise.all(tabs.map((t) => t.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent))));
  return { framesPerSecond, names };
}

const browser = await launchChromium();
let supervisor: number | undefined;
try {
  const url = await until('the printed URL', 60_000, () => /edgemeet is running: open (http:\/\/\S+?)\/? /.exec(output)?.[1]);
  result.url = url;
  supervisor = Number(/\[npm start\] supervisor pid (\d+)/.exec(output)?.[1]);
  // The media node registers with the edge.
  await until('the media node registered', 20_000, async () => ((await bridges(url)).some((b) => b.id === 'local-node' && b.connected) ? true : undefined));
  const tabs = [await browser.newPage(), await browser.newPage()];
  // Rooms of their own: npm start keeps the edge's state in .wrangler/state, and an earlier run's
  // room may still hold its participants (waiting for them to resume) and its conference.
  const run = Date.now().toString(36);
  Object.assign(result, await call(url, tabs, `two-tabs-${run}`));

  // The media node dies.
  const killed = startedPids('media node local-node').at(-1)!;
  result.killedPid = killed;
  process.kill(killed, 'SIGKILL');
  result.edgeAnswersAfterKill = await edgeAnswers(url);
  const restarted = await until('the media node restarted', 20_000, () => startedPids('media node local-node').find((p) => p !== killed));
  result.restartedPid = restarted;
  result.restartedAlive = alive(restarted);
  await until('the restarted node registered', 30_000, () => (output.includes(`media node local-node (pid ${restarted}) is registered with the edge`) ? true : undefined));
  result.bridgesAfterRestart = await bridges(url);
  result.afterRestart = await call(url, tabs, `after-restart-${run}`);
  result.edgeAnswersAfterRestart = await edgeAnswers(url);
  result.edgeStarts = startedPids('edge').length;
  await browser.close();

  // SIGTERM (to npm's process group, as a terminal's Ctrl-C reaches it) stops everything.
  const edge = startedPids('edge')[0]!;
  const t0 = Date.now();
  process.kill(-start.pid!, 'SIGTERM');
  await until('the supervisor gone', 20_000, () => (alive(supervisor!) ? undefined : true));
  result.stopped = {
    inMs: Date.now() - t0, logged: output.includes('[npm start] stopped'),
    childrenAlive: [edge, restarted].filter(alive).length, edgeAnswers: await edgeAnswers(url),
  };
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
} finally {
  await browser.close().catch(() => undefined);
  // When the test failed half-way: whatever is left of npm's group and the supervisor's children.
  if (!result.stopped) {
    for (const pid of [start.pid!, ...startedPids('edge'), ...startedPids('media node local-node')]) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}
console.log(JSON.stringify(result));
