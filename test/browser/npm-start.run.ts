/// <reference lib="dom" />
/**
 * The set-up promise, run inside a network namespace with only loopback (npm-start.test.ts starts
 * it): `npm start`, then the printed URL in two Chromium tabs, the same room picked on the home
 * page, gives a call. Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

const browser = await launchChromium();
try {
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    url = /edgemeet is running: open (http:\/\/\S+?)\/? /.exec(output)?.[1];
    await sleep(200);
  }
  if (!url) throw new Error(`npm start printed no URL:\n${output.slice(-2000)}`);
  result.url = url;
  // The media node registers with the edge.
  for (let i = 0; i < 100; i++) {
    const bridges = await fetch(`${url}/about/bridges`).then((r) => r.json() as Promise<{ bridges: unknown[] }>).catch(() => ({ bridges: [] }));
    if (bridges.bridges.length > 0) break;
    await sleep(200);
  }
  const tabs: Page[] = [];
  for (const name of ['Tab one', 'Tab two']) {
    const page = await browser.newPage();
    await page.goto(url);
    await page.fill('#room-name', 'two-tabs');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/two-tabs$/);
    await page.fill('#display-name', name);
    await page.waitForFunction(() => (document.querySelector('.prejoin video') as HTMLVideoElement | null)?.srcObject !== null);
    await page.click('#join');
    tabs.push(page);
  }
  const framesPerTab: number[] = [];
  for (const tab of tabs) {
    let n = 0;
    // Until decoding is steady (the first second may hold the first few frames only).
    for (let i = 0; i < 15 && n < 10; i++) n = await decoding(tab);
    framesPerTab.push(n);
  }
  result.framesPerSecond = framesPerTab;
  result.names = await Promise.all(tabs.map((t) => t.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent))));
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
} finally {
  await browser.close();
  try { process.kill(-start.pid!, 'SIGTERM'); } catch { /* gone */ }
  await sleep(1000);
  try { process.kill(-start.pid!, 'SIGKILL'); } catch { /* gone */ }
}
console.log(JSON.stringify(result));
