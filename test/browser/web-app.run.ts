/// <reference lib="dom" />
/**
 * The web app end to end, run inside a network namespace with only loopback (web-app.test.ts
 * starts it): the real edge serving the built app, a real media node, three Debian Chromium pages.
 * Prints one JSON line with what each page showed.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { openLjm, startWorld } from '../interop/ljm-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result: Record<string, unknown> = {};
const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });
const world = await startWorld();
const console_: string[] = [];

/** Frames decoded per remote video and non-concealed audio samples, from the page's peer connection. */
async function inbound(page: Page): Promise<Array<{ kind: string; decoded: number; samples: number }>> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { meeting?: { peerConnection: RTCPeerConnection | null } }).meeting?.peerConnection;
    if (!pc) return [];
    const out: Array<{ kind: string; decoded: number; samples: number }> = [];
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp') out.push({ kind: String(s.kind), decoded: Number(s.framesDecoded ?? 0), samples: Number(s.totalSamplesReceived ?? 0) - Number(s.concealedSamples ?? 0) });
    });
    return out;
  });
}

/** How many remote videos and audios progressed over one second. */
async function flowing(page: Page): Promise<{ video: number; audio: number }> {
  const a = await inbound(page);
  await sleep(1000);
  const b = await inbound(page);
  let video = 0;
  let audio = 0;
  b.forEach((s, i) => {
    const old = a[i];
    if (s.kind === 'video' && s.decoded > (old?.decoded ?? 0)) video++;
    if (s.kind === 'audio' && s.samples > (old?.samples ?? 0)) audio++;
  });
  return { video, audio };
}

async function waitFlowing(page: Page, video: number, audio: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await flowing(page);
  while ((last.video < video || last.audio < audio) && Date.now() < deadline) last = await flowing(page);
  return last;
}

async function join(room: string, name: string, o: { recordSockets?: boolean } = {}): Promise<{ page: Page; joinMs: number }> {
  const page = await world.browser.newPage({ viewport: { width: 1000, height: 700 } });
  // Test instrumentation: keep the page's XMPP WebSockets, so that the test can drop one (a network blip).
  if (o.recordSockets) {
    await page.addInitScript(() => {
      const Native = WebSocket;
      const sockets: WebSocket[] = [];
      const bridgeClasses: string[] = [];
      (window as unknown as { xmppSockets: WebSocket[] }).xmppSockets = sockets;
      (window as unknown as { bridgeClasses: string[] }).bridgeClasses = bridgeClasses;
      (window as unknown as { WebSocket: unknown }).WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          if (protocols === 'xmpp') sockets.push(this);
          // The bridge channel: note which message classes the node sends.
          if (String(url).includes('/colibri-ws/')) {
            this.addEventListener('message', (ev) => { try { bridgeClasses.push(String((JSON.parse(String(ev.data)) as { colibriClass?: string }).colibriClass)); } catch { /* not JSON */ } });
          }
        }
      };
    });
  }
  page.on('pageerror', (e) => console_.push(`${name} pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console_.push(`${name}: ${m.text()}`); });
  await openPrejoin(page, world.edge.url, room, name);
  const started = Date.now();
  await page.click('#join');
  // First remote video frame after pressing join (for everyone but the first to arrive).
  const joinMs = await page.evaluate(async (t0) => new Promise<number>((resolve) => {
    const tick = () => {
      const v = [...document.querySelectorAll<HTMLVideoElement>('.tile:not([data-id="local"]) video')].find((x) => x.videoWidth > 0 && x.currentTime > 0);
      if (v) resolve(Date.now() - t0);
      else if (Date.now() - t0 > 20_000) resolve(-1);
      else setTimeout(tick, 25);
    };
    tick();
  }), started).catch(() => -1);
  return { page, joinMs };
}

try {
  const room = 'web-e2e';
  const alice = await join(room, 'Alice', { recordSockets: true });
  const [bob, carol] = await Promise.all([join(room, 'Bob'), join(room, 'Carol')]);
  const pages = { Alice: alice.page, Bob: bob.page, Carol: carol.page };
  result.firstFrameMs = [bob.joinMs, carol.joinMs];
  result.tiles = await Promise.all(Object.values(pages).map((p) => p.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent).sort())));
  result.flow = await Promise.all(Object.values(pages).map((p) => waitFlowing(p, 2, 2)));
  if (shots) for (const [n, p] of Object.entries(pages)) await p.screenshot({ path: `${shots}/web-${n.toLowerCase()}.png` });
  // Simulcast: Alice sends several layers; the others receive small ones for tiles.
  // Chrome drops its top layer while its bandwidth estimate is low (three pages encoding on two
  // cores make the delay-based estimate dip): count the layers flowing over 1.5 s, for up to 10 s.
  result.sentLayers = 0;
  for (const until = Date.now() + 10_000; Date.now() < until && (result.sentLayers as number) < 2;) {
    result.sentLayers = await alice.page.evaluate(async () => {
      const pc = (window as unknown as { meeting: { peerConnection: RTCPeerConnection } }).meeting.peerConnection;
      const sent = async () => { const m = new Map<number, number>(); (await pc.getStats()).forEach((s: Record<string, unknown>) => { if (s.type === 'outbound-rtp' && s.kind === 'video') m.set(Number(s.ssrc), Number(s.bytesSent)); }); return m; };
      const a = await sent();
      await new Promise((r) => setTimeout(r, 1500));
      const b = await sent();
      return [...b].filter(([ssrc, bytes]) => bytes > (a.get(ssrc) ?? 0)).length;
    });
  }
  result.receivedHeights = await Promise.all([bob.page, carol.page].map((p) => p.evaluate(() =>
    [...document.querySelectorAll<HTMLVideoElement>('.tile:not([data-id="local"]) video')].map((v) => v.videoHeight).sort((x, y) => x - y))));
  // The node passes on the browser's own downlink estimate (its REMB) as ConnectionStats.
  result.connectionStats = await alice.page.waitForFunction(() => (window as unknown as { bridgeClasses: string[] }).bridgeClasses.includes('ConnectionStats'), undefined, { timeout: 5000 })
    .then(() => true, () => false);
  result.quality = await alice.page.waitForFunction(() => document.querySelector('#quality')?.textContent?.startsWith('Connection:'), undefined, { timeout: 6000 })
    .then(() => alice.page.textContent('#quality'), () => null);

  // Mute: Alice's microphone off shows on the others' tiles.
  await alice.page.click('#mute-mic');
  result.muteSeen = await Promise.all([bob.page, carol.page].map((p) => p.waitForFunction(() => [...document.querySelectorAll('.tile')].some((t) => t.textContent?.includes('Alice') && t.querySelector('.mic-muted')), undefined, { timeout: 5000 }).then(() => true, () => false)));
  await alice.page.click('#mute-mic');

  // A moderator (Alice, first in) mutes Bob: his toolbar shows it, and the others stop hearing him;
  // when he unmutes, the focus lets his audio through again.
  await alice.page.click('#toggle-side');
  await alice.page.click('button[aria-label="Mute Bob"]');
  result.remoteMuteShown = await bob.page.waitForFunction(() => document.querySelector('#mute-mic')?.getAttribute('aria-pressed') === 'true', undefined, { timeout: 5000 }).then(() => true, () => false);
  await sleep(1000);
  result.whileRemoteMuted = await flowing(carol.page);
  await bob.page.click('#mute-mic');
  result.afterSelfUnmute = await waitFlowing(carol.page, 2, 2, 10_000);
  await alice.page.click('#toggle-side');

  // Chat.
  await bob.page.click('#toggle-side');
  await bob.page.fill('#chat-input', 'hello from Bob');
  await bob.page.press('#chat-input', 'Enter');
  result.chatSeen = await Promise.all([alice.page, carol.page].map((p) => p.waitForFunction(() => document.querySelector('#chat-log')?.textContent?.includes('hello from Bob'), undefined, { timeout: 5000 }).then(() => true, () => false)));

  // A network blip: Alice's signalling socket drops. She resumes the same session (XEP-0198): the
  // others never see her leave, and chat works both ways afterwards.
  const aliceId = await alice.page.evaluate(() => (window as unknown as { meeting: { myId: string } }).meeting.myId);
  await bob.page.evaluate((id) => { document.querySelector(`.tile[data-id="${id}"]`)?.setAttribute('data-before-blip', 'yes'); }, aliceId);
  await alice.page.evaluate(() => (window as unknown as { xmppSockets: WebSocket[] }).xmppSockets.at(-1)!.close(4000, 'blip'));
  result.blipResumed = await alice.page.waitForFunction(() => {
    const sockets = (window as unknown as { xmppSockets: WebSocket[] }).xmppSockets;
    return sockets.length >= 2 && sockets.at(-1)!.readyState === WebSocket.OPEN && !document.querySelector('.status')?.textContent;
  }, undefined, { timeout: 15_000 }).then(() => true, () => false);
  result.blipSameParticipant = await alice.page.evaluate(() => (window as unknown as { meeting: { myId: string } }).meeting.myId) === aliceId
    && await bob.page.evaluate((id) => document.querySelector(`.tile[data-id="${id}"]`)?.getAttribute('data-before-blip') === 'yes', aliceId);
  await alice.page.fill('#chat-input', 'after the blip');
  await alice.page.press('#chat-input', 'Enter');
  result.blipChat = await bob.page.waitForFunction(() => document.querySelector('#chat-log')?.textContent?.includes('after the blip'), undefined, { timeout: 5000 }).then(() => true, () => false);

  // Screen share: Carol's tile shows a screen at the others, and video keeps flowing.
  await carol.page.click('#share');
  result.shareSeen = await Promise.all([alice.page, bob.page].map((p) => p.waitForFunction(() => [...document.querySelectorAll('.tile')].some((t) => t.textContent?.includes('Carol') && t.querySelector('.screen')), undefined, { timeout: 8000 }).then(() => true, () => false)));
  result.shareFlow = await waitFlowing(alice.page, 2, 0, 10_000);

  // Carol leaves: the tiles update.
  await carol.page.click('#leave');
  result.afterLeaveTiles = await Promise.all([alice.page, bob.page].map(async (p) => {
    await p.waitForFunction(() => document.querySelectorAll('.tile:not([data-id="local"])').length === 1, undefined, { timeout: 10_000 }).catch(() => undefined);
    return p.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent));
  }));

  await carol.page.close();

  // Bob reloads and rejoins: Alice sees him again, both decode each other.
  await bob.page.reload();
  await bob.page.click('#join');
  result.rejoinFlow = await Promise.all([alice.page, bob.page].map((p) => waitFlowing(p, 1, 1)));
  result.rejoinTiles = await alice.page.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent));

  // A locked room: the password is asked for, and accepted.
  const owner = await join('web-locked', 'Owner');
  await owner.page.evaluate(() => (window as unknown as { meeting: { setPassword(p: string): Promise<void> } }).meeting.setPassword('sesame'));
  const guest = await world.browser.newPage();
  await guest.goto(`${world.edge.url}/web-locked`);
  await guest.fill('#display-name', 'Guest');
  await guest.click('#join');
  result.lockedError = await guest.waitForSelector('.error[data-code="not-authorized"]', { timeout: 8000 }).then((e) => e.textContent(), () => null);
  for (const p of [owner.page, guest, alice.page, bob.page]) await p.close();
  result.homeHasForm = await (async () => { const p = await world.browser.newPage(); await p.goto(world.edge.url); return p.$('#room-name').then((e) => e !== null); })();

  // A mixed call: our web app and an unmodified lib-jitsi-meet in one room see and hear each other.
  // lib-jitsi-meet has P2P on: our app declines its P2P offer, and both stay on the bridge.
  const wendy = await join('mixed-call', 'Wendy');
  const lars = await openLjm(world, { room: 'mixed-call', nick: 'Lars', p2p: true });
  result.mixedWebSees = await wendy.page.waitForFunction(() => [...document.querySelectorAll('.tile .name')].some((e) => e.textContent === 'Lars'), undefined, { timeout: 10_000 }).then(() => true, () => false);
  result.mixedWebFlow = await waitFlowing(wendy.page, 1, 1);
  result.mixedLjmSees = await lars.page.waitForFunction(() => (window as unknown as { ljm: { events: Array<{ type: string; name?: string }> } }).ljm.events.some((e) => e.type === 'user-joined' && e.name === 'Wendy'), undefined, { timeout: 10_000 }).then(() => true, () => false);
  result.mixedLjmFlow = await (async () => {
    const deadline = Date.now() + 15_000;
    const stats = () => lars.page.evaluate(() => (window as unknown as { ljmStats(): Promise<{ inbound: Array<{ kind: string; framesDecoded: number; samples: number }> }> }).ljmStats());
    let flow = { video: 0, audio: 0 };
    while (Date.now() < deadline && (flow.video < 1 || flow.audio < 1)) {
      const a = await stats();
      await sleep(1000);
      const b = await stats();
      flow = {
        video: b.inbound.filter((s, i) => s.kind === 'video' && s.framesDecoded > (a.inbound[i]?.framesDecoded ?? 0)).length,
        audio: b.inbound.filter((s, i) => s.kind === 'audio' && s.samples > (a.inbound[i]?.samples ?? 0)).length,
      };
    }
    return flow;
  })();
  if (shots) await wendy.page.screenshot({ path: `${shots}/web-mixed-call.png` });
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  result.console = console_.slice(0, 20);
  await world.stop();
}
console.log(JSON.stringify(result));
