/// <reference lib="dom" />
/**
 * The web app's breakout rooms end to end, inside a network namespace with only loopback
 * (web-app-breakout.test.ts starts it), through a real media node: Alice (moderator), Bob and
 * Carol in a call; Alice adds a breakout room and everyone's panel lists it; she moves Bob and
 * Carol there with the room picker; their pages follow, see and play only each other (their own
 * bridge conference) while Alice is alone; she closes the room and they are back in the main call
 * with her. Prints one JSON line.
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
/** The remote tiles' names once every one of them plays video (frames decoded, time running). */
const playing = (p: Page, timeout = 20_000) => p.waitForFunction(() => {
  const tiles = [...document.querySelectorAll('.tile:not([data-id="local"])')];
  const ok = tiles.length > 0 && tiles.every((t) => { const v = t.querySelector('video') as HTMLVideoElement; return v.videoWidth > 0 && v.currentTime > 0; });
  return ok ? tiles.map((t) => t.querySelector('.name')?.textContent).sort() : null;
}, undefined, { timeout }).then((h) => h.jsonValue()).catch(() => null);
const roomNames = (p: Page) => p.$$eval('#breakout-rooms > li .breakout-name', (els) => els.map((e) => e.textContent));

try {
  const room = 'web-breakout';
  const alice = await join(room, 'Alice');
  await alice.waitForSelector('#mute-mic');
  const bob = await join(room, 'Bob');
  await remoteTiles(alice, 1);
  const carol = await join(room, 'Carol');
  result.call = [await remoteTiles(alice, 2), await remoteTiles(bob, 2), await remoteTiles(carol, 2)];
  await alice.click('#toggle-side');
  result.addShown = [await alice.isVisible('#breakout-add'), await bob.$eval('#breakout-add', (el) => !(el as HTMLElement).hidden)];
  await alice.click('#breakout-add');
  const listed = (p: Page) => p.waitForFunction(() => document.querySelectorAll('#breakout-rooms > li').length === 2, undefined, { timeout: 10_000 }).then(() => true).catch(() => false);
  result.listed = [await listed(alice), await listed(bob), await listed(carol)];
  result.names = await roomNames(alice);
  const breakoutJid = await alice.$eval('#breakout-rooms > li[data-main="false"]', (el) => (el as HTMLElement).dataset.jid!);

  for (const name of ['Bob', 'Carol']) await alice.selectOption(`select[aria-label="Move ${name} to"]`, breakoutJid);
  result.movedTiles = [await remoteTiles(bob, 1), await remoteTiles(carol, 1), await remoteTiles(alice, 0)];
  result.bobPlays = await playing(bob);
  result.carolPlays = await playing(carol);
  result.bobHere = await bob.$eval('#breakout-rooms > li.current', (el) => (el as HTMLElement).dataset.jid).catch(() => null) === breakoutJid;
  result.aliceSeesThem = await alice.waitForFunction((jid) => [...document.querySelectorAll(`#breakout-rooms > li[data-jid="${jid}"] .breakout-person`)].map((e) => e.textContent).sort().join() === 'Bob,Carol', breakoutJid, { timeout: 10_000 })
    .then(() => true).catch(() => false);

  await alice.click(`#breakout-rooms > li[data-jid="${breakoutJid}"] .breakout-close`);
  result.backTiles = [await remoteTiles(alice, 2), await remoteTiles(bob, 2), await remoteTiles(carol, 2)];
  result.alicePlays = await playing(alice);
  result.bobPlaysAgain = await playing(bob);
  result.closed = await alice.waitForFunction(() => document.querySelectorAll('#breakout-rooms > li').length === 1, undefined, { timeout: 10_000 }).then(() => true).catch(() => false);
  result.errorsShown = await Promise.all([alice, bob, carol].map((p) => p.$eval('.error', (el) => ((el as HTMLElement).hidden ? '' : el.textContent ?? '')).catch(() => '')));
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  result.console = errors;
  await world.stop();
}
console.log(JSON.stringify(result));
