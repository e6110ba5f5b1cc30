/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet (../shared/vendor/lib-jitsi-meet) in Debian Chromium against the real edge
 * and a real media node, run inside a network namespace with only loopback (ljm-current.test.ts
 * starts it). One shared three-party call through the bridge for every check; prints one JSON line.
 */
import { mkdirSync } from 'node:fs';
import { flowOver, startCurrentLjmPages, startWorld, untilInPage, waitForFlow, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the heights of the videos `p` decodes until they are `want` (sorted) or 10 s passed; returns the last. */
async function heightsWithin(p: LjmPage, want: number[]): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  let heights: number[] = [];
  do heights = (await flowOver(p, 1000)).heights;
  while (heights.join() !== want.join() && Date.now() < deadline);
  return heights;
}

/** Renegotiations and Jingle traffic of a page's bridge connection, and its errors so far. */
async function pageReport(p: LjmPage) {
  return {
    nick: p.nick,
    negotiation: (await p.negotiation()).jvb,
    jingle: await p.jingleActions(),
    usersLeft: await ljm<number>(p, 's.left.length'),
    permissions: await ljm<Record<string, string> | null>(p, 's.permissions ?? null'),
    pageErrors: p.pageErrors,
    uncaught: await p.uncaught(),
    libraryErrors: p.libraryErrors,
  };
}

const result: Record<string, unknown> = {};
const world = await startWorld();
const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });
const names = ['alice', 'bob', 'carol'];
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-today', 3, {
    // As a stock jitsi-meet: SSRC rewriting on, the library's own codec order (AV1 first).
    nicks: names, ssrcRewriting: true, conferenceOptions: {},
  });
  const [alice, bob, carol] = people as [LjmPage, LjmPage, LjmPage];
  result.version = await ljm<string>(alice, 's.version');
  const ids = await Promise.all(people.map((p) => p.id()));
  result.ids = ids;
  result.namesSeen = await Promise.all(people.map((p) => ljm<string[]>(p, 's.conference.getParticipants().map((x) => x.getDisplayName()).sort()')));
  result.remoteTracks = await Promise.all(people.map(async (p) => {
    // Wait for the participants' tracks themselves: with SSRC rewriting a track is added first and given its owner when the bridge's source map names it.
    await untilInPage(p, 's.conference.getParticipants().reduce((n, x) => n + x.getTracks().length, 0) >= 4');
    return ljm<Array<{ owner: string; type: string; sourceName: string }>>(p,
      's.conference.getParticipants().flatMap((x) => x.getTracks().map((t) => ({ owner: x.getId(), type: t.getType(), sourceName: t.getSourceName() })))');
  }));
  result.bridgeFlow = await Promise.all(people.map((p) => waitForFlow(p, { video: 2, audio: 2 })));
  result.bridgeChannel = await Promise.all(people.map((p) => untilInPage(p, 's.events.some((e) => e.type === "bridge-channel-open")', 5000)));
  result.dominantSpeaker = await Promise.all(people.map((p) => untilInPage(p, 's.events.some((e) => e.type === "dominant-speaker")', 10_000)));
  if (shots) for (const [i, p] of people.entries()) await p.page.screenshot({ path: `${shots}/ljm-current-${names[i]}.png` });

  // The keep-alive the library sends 5 s after connecting, from the page's origin (not the edge's).
  result.keepAliveStatus = await alice.page.evaluate(() => fetch((window as unknown as { config: { serviceUrl: string } }).config.serviceUrl.replace(/^ws/, 'http') + '?room=ljm-today').then((r) => r.status, (e: Error) => e.message));

  // Chat, endpoint messages over the bridge channel, mute and unmute.
  await ljm(alice, 's.conference.sendTextMessage("hello from alice")');
  result.chat = await Promise.all([bob, carol].map((p) => untilInPage(p, `s.messages.some((m) => m.text === 'hello from alice' && m.id === ${JSON.stringify(ids[0])})`, 5000)));
  await ljm(bob, 's.conference.broadcastEndpointMessage({ type: "interop-hello" })');
  result.endpointMessage = await Promise.all([alice, carol].map((p) => untilInPage(p, `s.events.some((e) => e.type === 'endpoint-message' && e.msg.type === 'interop-hello' && e.from === ${JSON.stringify(ids[1])})`, 5000)));
  await ljm(bob, 's.localTracks.find((t) => t.getType() === "audio").mute()');
  result.audioMuteSeen = await Promise.all([alice, carol].map((p) => untilInPage(p, `s.events.some((e) => e.type === 'mute-changed' && e.owner === ${JSON.stringify(ids[1])} && e.muted === true)`, 5000)));
  await ljm(bob, 's.localTracks.find((t) => t.getType() === "audio").unmute()');
  result.audioUnmuteSeen = await Promise.all([alice, carol].map((p) => untilInPage(p, `s.events.filter((e) => e.type === 'mute-changed' && e.owner === ${JSON.stringify(ids[1])}).at(-1)?.muted === false`, 5000)));

  // Receiver constraints in the source-name dialect: carol wants thumbnails, then alice on stage.
  const constrain = (c: unknown) => carol.page.evaluate((x) => (window as unknown as { ljm: { conference: { setReceiverConstraints(c: unknown): void } } }).ljm.conference.setReceiverConstraints(x), c);
  await constrain({ lastN: -1, constraints: {}, defaultConstraints: { maxHeight: 180 }, onStageSources: [], selectedSources: [] });
  result.thumbnailHeights = await heightsWithin(carol, [180, 180]);
  await constrain({ lastN: -1, constraints: { [`${ids[0]}-v0`]: { maxHeight: 720 } }, defaultConstraints: { maxHeight: 180 }, onStageSources: [`${ids[0]}-v0`], selectedSources: [] });
  // Recorded, not yet asserted: carol's downlink estimate with today's senders stays below what the
  // 360p layer needs, and the node's allocator holds her at 180p (docs/compatibility.md).
  result.stageHeights = await heightsWithin(carol, [180, 360]);

  // Carol leaves: the others see her go, lose her tracks, and carry on.
  const carolBeforeLeaving = await pageReport(carol);
  await carol.leave();
  result.leftSeen = await Promise.all([alice, bob].map((p) => untilInPage(p, `s.left.includes(${JSON.stringify(ids[2])}) && s.events.filter((e) => e.type === 'track-removed' && e.owner === ${JSON.stringify(ids[2])}).length === 2`, 10_000)));
  result.afterLeaveFlow = await Promise.all([alice, bob].map((p) => waitForFlow(p, { video: 1, audio: 1, timeoutMs: 10_000 })));
  // Renegotiations settle; give a storm time to show.
  await sleep(3000);
  result.pages = [await pageReport(alice), await pageReport(bob), { ...carolBeforeLeaving, pageErrors: carol.pageErrors, libraryErrors: carol.libraryErrors }];
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
  result.channelMessages = await Promise.all(people.map((p) => p.page.evaluate(() => (window as unknown as { __bridgeChannel?: unknown[] }).__bridgeChannel?.slice(-20)).catch(() => null)));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
