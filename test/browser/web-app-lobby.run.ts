/// <reference lib="dom" />
/**
 * The web app's lobby end to end, inside a network namespace with only loopback
 * (web-app-lobby.test.ts starts it), through a real media node: Alice (moderator) and Bob in a
 * call; Alice enables the lobby (Bob stays); Carol knocks and sees the waiting screen with her
 * name, Alice sees her with Admit and Reject, admits her and Carol enters the call; Dave knocks
 * and is rejected; Erin knocks and enters when Alice disables the lobby. Prints one JSON line.
 */
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { startWorld } from '../interop/ljm-harness.ts';

const result: Record<string, unknown> = {};
const world = await startWorld();
const errors: string[] = [];

async function join(room: string, name: string): Promise<Page> {
  const page = await world.browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('pageerror', (e) => errors.push(`${name} pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name}: ${m.text()}`); });
  await openPrejoin(page, world.edge.url, room, name);
  await page.click('#join');
  return page;
}

const remoteTiles = (p: Page, n: number, timeout = 20_000) => p.waitForFunction((k) => document.querySelectorAll('.tile:not([data-id="local"])').length === k, n, { timeout })
  .then(() => true).catch(() => false);
const text = (p: Page, sel: string) => p.$eval(sel, (el) => el.textContent ?? '').catch(() => null);
const shown = (p: Page, sel: string, timeout = 10_000) => p.waitForFunction((s) => { const el = document.querySelector(s) as HTMLElement | null; return !!el && !el.hidden; }, sel, { timeout })
  .then(() => true).catch(() => false);
const knocker = (name: string) => `#lobby-knockers li:has-text("${name}")`;

try {
  const room = 'web-lobby';
  const alice = await join(room, 'Alice');
  await alice.waitForSelector('#mute-mic');
  const bob = await join(room, 'Bob');
  result.call = [await remoteTiles(alice, 1), await remoteTiles(bob, 1)];
  result.lobbyControls = [await shown(alice, '#lobby'), await shown(bob, '#lobby', 1000)];
  await alice.click('#toggle-side');
  await alice.click('#lobby-toggle');
  result.enabled = await alice.waitForFunction(() => document.getElementById('lobby-toggle')?.textContent === 'Disable lobby', undefined, { timeout: 10_000 })
    .then(() => true).catch(() => false);
  result.bobStays = await remoteTiles(bob, 1, 2000);

  const carol = await join(room, 'Carol');
  result.carolWaiting = await shown(carol, '#lobby-waiting');
  result.carolWaitingName = await text(carol, '#lobby-waiting-name');
  result.carolTilesWhileWaiting = await carol.$$eval('.tile:not([data-id="local"])', (els) => els.length);
  await alice.waitForSelector(knocker('Carol'), { timeout: 10_000 });
  result.knockerButtons = await alice.$$eval(`${knocker('Carol')} button`, (els) => els.map((e) => e.textContent));
  await alice.click(`${knocker('Carol')} button.admit`);
  result.carolIn = [await remoteTiles(carol, 2), await remoteTiles(alice, 2), await remoteTiles(bob, 2)];
  result.carolWaitingAfter = await carol.$eval('#lobby-waiting', (el) => (el as HTMLElement).hidden);
  result.knockerGone = await alice.waitForSelector(knocker('Carol'), { state: 'detached', timeout: 5000 }).then(() => true).catch(() => false);

  const dave = await join(room, 'Dave');
  await alice.waitForSelector(knocker('Dave'), { timeout: 10_000 });
  await alice.click(`${knocker('Dave')} button.reject`);
  result.daveDenied = await dave.waitForSelector('[data-code="lobby-denied"]', { timeout: 10_000 }).then(() => true).catch(() => false);
  result.daveWaitingAfter = await dave.$eval('#lobby-waiting', (el) => (el as HTMLElement).hidden);
  await dave.close();

  const erin = await join(room, 'Erin');
  await alice.waitForSelector(knocker('Erin'), { timeout: 10_000 });
  result.erinWaiting = await shown(erin, '#lobby-waiting');
  await alice.click('#lobby-toggle');
  result.erinIn = [await remoteTiles(erin, 3), await remoteTiles(alice, 3)];
  result.disabled = await text(alice, '#lobby-toggle');
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  result.console = errors;
  await world.stop();
}
console.log(JSON.stringify(result));
