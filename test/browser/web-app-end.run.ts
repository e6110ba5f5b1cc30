/// <reference lib="dom" />
/**
 * The web app's room features end to end, inside a network namespace with only loopback
 * (web-app-end.test.ts starts it): two Chromium pages in a call through a real media node; the
 * speaking-time panel fills from the bridge's dominant speaker; the moderator (first to join) has
 * "End meeting for all", the other does not; pressing it ends the meeting on both pages and the
 * media node's conference. Prints one JSON line.
 */
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { startWorld } from '../interop/ljm-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result: Record<string, unknown> = {};
const world = await startWorld();
const errors: string[] = [];
const health = async () => (await (await fetch(`${world.node.httpUrl}/about/health`)).json()) as { conferences: number };

async function join(room: string, name: string): Promise<Page> {
  const page = await world.browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('pageerror', (e) => errors.push(`${name} pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name}: ${m.text()}`); });
  await openPrejoin(page, world.edge.url, room, name);
  await page.click('#join');
  return page;
}

const visible = (p: Page, sel: string) => p.$eval(sel, (el) => !(el as HTMLElement).hidden).catch(() => false);

try {
  const room = 'web-end';
  const alice = await join(room, 'Alice');
  await alice.waitForSelector('#mute-mic');
  const bob = await join(room, 'Bob');
  for (const p of [alice, bob]) await p.waitForFunction(() => document.querySelectorAll('.tile:not([data-id="local"])').length === 1, undefined, { timeout: 20_000 });
  // The moderator's button shows once the page knows its role and the server's component.
  await alice.waitForFunction(() => !(document.getElementById('end-for-all') as HTMLElement).hidden, undefined, { timeout: 10_000 }).catch(() => undefined);
  result.endButton = [await visible(alice, '#end-for-all'), await visible(bob, '#end-for-all')];

  // Speaking time: the bridge names a dominant speaker within seconds (both send the fake microphone's tone).
  await bob.click('#toggle-side');
  result.speakerStats = await bob.waitForFunction(() => [...document.querySelectorAll('#speaker-stats li')].some((li) => /: [1-9]\d* s$/.test(li.textContent ?? '')), undefined, { timeout: 15_000 })
    .then(() => bob.$$eval('#speaker-stats li', (els) => els.map((e) => e.textContent))).catch(() => null);

  result.conferencesBefore = (await health()).conferences;
  alice.on('dialog', (d) => void d.accept());
  await alice.click('#end-for-all');
  result.ended = await Promise.all([alice, bob].map((p) => p.waitForSelector('#meeting-ended', { timeout: 10_000 })
    .then(() => p.$eval('#ended-reason', (el) => el.textContent)).catch(() => null)));
  const deadline = Date.now() + 10_000;
  let conferences = (await health()).conferences;
  while (conferences > 0 && Date.now() < deadline) {
    await sleep(200);
    conferences = (await health()).conferences;
  }
  result.conferencesAfter = conferences;
  // Nothing reconnects afterwards.
  await sleep(1500);
  result.stillEnded = await Promise.all([alice, bob].map((p) => p.$('#meeting-ended').then((el) => el !== null)));
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  result.console = errors;
  await world.stop();
}
console.log(JSON.stringify(result));
