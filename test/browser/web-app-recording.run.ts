/// <reference lib="dom" />
/**
 * The web app's recording controls end to end, inside a network namespace with only loopback
 * (web-app-recording.test.ts starts it): two Chromium pages in a call through a real media node;
 * the moderator's Record with no recorder registered shows "unavailable"; with a scripted Jibri
 * (test/helpers/scripted-jibri.ts) REC shows on both pages with who started it, the recorder's
 * hidden occupant gets no tile, the participant has no Record button; Stop recording clears REC.
 * Prints one JSON line.
 */
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { startScriptedJibri, type ScriptedJibri } from '../helpers/scripted-jibri.ts';
import { startWorld } from '../interop/ljm-harness.ts';

const SECRET = 'web-app-recorder-secret-0123456789';
const result: Record<string, unknown> = {};
const world = await startWorld({ RECORDER_SECRET: SECRET });
const errors: string[] = [];
let jibri: ScriptedJibri | null = null;

async function join(room: string, name: string): Promise<Page> {
  const page = await world.browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('pageerror', (e) => errors.push(`${name} pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name}: ${m.text()}`); });
  await openPrejoin(page, world.edge.url, room, name);
  await page.click('#join');
  return page;
}

const visible = (p: Page, sel: string) => p.$eval(sel, (el) => !(el as HTMLElement).hidden).catch(() => false);
const remoteTiles = (p: Page) => p.$$eval('.tile:not([data-id="local"])', (els) => els.length);

try {
  const room = 'web-rec';
  const alice = await join(room, 'Alice');
  await alice.waitForSelector('#mute-mic');
  const bob = await join(room, 'Bob');
  for (const p of [alice, bob]) await p.waitForFunction(() => document.querySelectorAll('.tile:not([data-id="local"])').length === 1, undefined, { timeout: 20_000 });
  await alice.waitForFunction(() => !(document.getElementById('record') as HTMLElement).hidden, undefined, { timeout: 10_000 }).catch(() => undefined);
  result.recordButton = [await visible(alice, '#record'), await visible(bob, '#record')];

  // No recorder yet: the focus answers service-unavailable.
  await alice.click('#record');
  result.unavailable = await alice.waitForFunction(() => (document.querySelector('.error') as HTMLElement | null)?.dataset.code === 'recording', undefined, { timeout: 10_000 })
    .then(() => alice.$eval('.error', (el) => el.textContent)).catch(() => null);

  jibri = await startScriptedJibri({ edgeWs: world.edge.url.replace(/^http/, 'ws'), id: 'web-jibri', secret: SECRET });
  await new Promise((r) => setTimeout(r, 300));
  await alice.click('#record');
  await jibri.waitOn(15_000);
  result.rec = await Promise.all([alice, bob].map((p) => p.waitForFunction(() => {
    const el = document.getElementById('rec-indicator') as HTMLElement;
    return !el.hidden && el.dataset.status === 'on' ? el.title : null;
  }, undefined, { timeout: 10_000 }).then((h) => h.jsonValue()).catch(() => null)));
  result.bobStatus = await bob.$eval('.status', (el) => el.textContent);
  result.tilesWhileRecording = await Promise.all([alice, bob].map(remoteTiles));
  result.aliceButtonText = await alice.$eval('#record', (el) => el.textContent);

  await alice.click('#record');
  result.recAfterStop = await Promise.all([alice, bob].map((p) => p.waitForFunction(() => (document.getElementById('rec-indicator') as HTMLElement).hidden, undefined, { timeout: 10_000 })
    .then(() => true).catch(() => false)));
  // The focus publishes off at once and tells the recorder without waiting (Jicofo's fire-and-forget stop).
  await jibri.waitStop(10_000);
  result.jibriRequests = jibri.requests.map((r) => r.action);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  result.console = errors;
  await jibri?.stop();
  await world.stop();
}
console.log(JSON.stringify(result));
