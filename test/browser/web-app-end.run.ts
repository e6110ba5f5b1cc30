/// <reference lib="dom" />
/**
 * The web app's room features end to end, inside a network namespace with only loopback
 * (web-app-end.test.ts starts it): two Chromium pages in a call through a real media node; the
 * speaking-time panel fills from the bridge's dominant speaker; the moderator (first to join)
 * sets "newcomers start with microphone muted" and creates a poll, both vote and see the results,
 * a latecomer starts muted (the focus's <startmuted/>), sees the poll and its votes and votes too;
 * the moderator has "End meeting for all", the others do not; pressing it ends the meeting on
 * every page and the media node's conference. Prints one JSON line.
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

  // Polls and start muted: the moderator's side panel has both; a participant's has no start-muted toggles.
  await alice.click('#toggle-side');
  result.startMutedToggles = [await visible(alice, '#start-muted'), await visible(bob, '#start-muted')];
  await alice.check('#start-audio-muted');
  await bob.waitForFunction(() => document.querySelector('#polls-panel') !== null && !(document.querySelector('#polls-panel') as HTMLElement).hidden);
  await alice.fill('#poll-question', 'Lunch?');
  await alice.fill('#poll-answers', 'Pizza\nSalad');
  await alice.click('#poll-submit');
  const results = (p: Page) => p.$$eval('.poll[data-poll-id] .poll-results li', (els) => els.map((e) => e.textContent));
  const vote = async (p: Page, choice: number) => {
    await p.waitForSelector('.poll .poll-vote', { timeout: 10_000 });
    await p.check(`.poll .poll-vote input[value="${choice}"]`);
    await p.click('.poll .poll-submit-vote');
  };
  await vote(bob, 0);
  await vote(alice, 1);
  const bothCounted = (p: Page) => p.waitForFunction(() => [...document.querySelectorAll('.poll-results li')].map((li) => (li as HTMLElement).dataset.votes).join() === '1,1', undefined, { timeout: 10_000 });
  await Promise.all([bothCounted(alice), bothCounted(bob)]);
  result.pollResults = { alice: await results(alice), bob: await results(bob) };
  // A latecomer: the poll with its votes arrives with the room's history; the policy mutes its microphone.
  const carol = await join(room, 'Carol');
  await carol.waitForSelector('.poll .poll-vote', { timeout: 20_000 });
  await vote(carol, 0);
  await carol.waitForFunction(() => [...document.querySelectorAll('.poll-results li')].map((li) => (li as HTMLElement).dataset.votes).join() === '2,1', undefined, { timeout: 10_000 });
  result.latecomerResults = await results(carol);
  await carol.waitForFunction(() => document.getElementById('mute-mic')?.getAttribute('aria-pressed') === 'true', undefined, { timeout: 20_000 }).catch(() => undefined);
  result.latecomerMicMuted = await carol.$eval('#mute-mic', (el) => el.getAttribute('aria-pressed'));
  // The others see her tile with the microphone off.
  result.latecomerSeenMuted = await bob.waitForFunction(() => [...document.querySelectorAll('.tile:not([data-id="local"])')].some((t) => t.querySelector('.name')?.textContent === 'Carol' && t.querySelector('.mic-muted') !== null), undefined, { timeout: 10_000 })
    .then(() => true).catch(() => false);
  // Bob (no moderator) started with his microphone on: the policy is for those who join after it.
  result.bobMicMuted = await bob.$eval('#mute-mic', (el) => el.getAttribute('aria-pressed'));
  await carol.close();

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
