/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet sending SVC codecs in Debian Chromium against the real edge and a real
 * media node, inside a network namespace with only loopback (ljm-svc.test.ts starts it): alice
 * prefers VP9 (`videoQuality.codecPreferenceOrder`), bob the library's default (AV1 first), carol
 * H.264; the library keeps each page's own preference (asymmetric codecs), so each sends its own
 * codec and decodes the other two. One three-party call: what each page sends (codec, scalability
 * mode, encodings) and decodes (codec, height), carol's thumbnail and stage heights, renegotiations
 * and errors, and the session-accept each page sent. Prints one JSON line.
 */
import { flowOver, startCurrentLjmPages, startWorld, waitForFlow, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the heights of the videos `p` decodes until they are `want` (sorted) or 15 s passed; returns the last. */
async function heightsWithin(p: LjmPage, want: number[]): Promise<number[]> {
  const deadline = Date.now() + 15_000;
  let heights: number[] = [];
  do heights = (await flowOver(p, 1000)).heights;
  while (heights.join() !== want.join() && Date.now() < deadline);
  return heights;
}

/** The bridge connection's video as getStats and the senders describe it. */
function videoStats(p: LjmPage) {
  return p.page.evaluate(async () => {
    const pc = (window as unknown as { ljm: { conference: { jvbJingleSession: { peerconnection: { peerconnection: RTCPeerConnection } } } } })
      .ljm.conference.jvbJingleSession.peerconnection.peerconnection;
    const stats = await pc.getStats();
    const codecs = new Map<string, string>();
    stats.forEach((r: { type: string; id: string; mimeType?: string }) => { if (r.type === 'codec') codecs.set(r.id, r.mimeType ?? ''); });
    const rows: Array<Record<string, unknown>> = [];
    stats.forEach((r: Record<string, unknown>) => rows.push(r));
    const video = rows.filter((r) => r.kind === 'video');
    return {
      inbound: video.filter((r) => r.type === 'inbound-rtp' && Number(r.framesDecoded) > 0)
        .map((r) => ({ mimeType: codecs.get(String(r.codecId)), height: r.frameHeight, ssrc: r.ssrc, framesDecoded: r.framesDecoded })),
      outbound: video.filter((r) => r.type === 'outbound-rtp')
        .map((r) => ({
          mimeType: codecs.get(String(r.codecId)), scalabilityMode: r.scalabilityMode, height: r.frameHeight, ssrc: r.ssrc, active: r.active,
          targetBitrate: r.targetBitrate, qualityLimitationReason: r.qualityLimitationReason,
        })),
      availableOutgoingBitrate: rows.find((r) => r.type === 'candidate-pair' && r.nominated)?.availableOutgoingBitrate,
      encodings: pc.getSenders().filter((s) => s.track?.kind === 'video')
        .map((s) => s.getParameters().encodings.map((e) => ({ active: e.active, scalabilityMode: (e as { scalabilityMode?: string }).scalabilityMode, scaleResolutionDownBy: e.scaleResolutionDownBy, maxBitrate: e.maxBitrate }))),
    };
  });
}

async function pageReport(p: LjmPage) {
  return {
    nick: p.nick,
    negotiation: (await p.negotiation()).jvb,
    jingle: await p.jingleActions(),
    usersLeft: await ljm<number>(p, 's.left.length'),
    pageErrors: p.pageErrors,
    uncaught: await p.uncaught(),
    libraryErrors: p.libraryErrors,
  };
}

const result: Record<string, unknown> = {};
const world = await startWorld();
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-svc', 3, {
    nicks: ['alice', 'bob', 'carol'],
    conferenceOptionsFor: (nick) => (nick === 'alice' ? { videoQuality: { codecPreferenceOrder: ['VP9', 'AV1', 'VP8', 'H264'] } }
      : nick === 'carol' ? { videoQuality: { codecPreferenceOrder: ['H264', 'VP8', 'VP9', 'AV1'] } } : {}),
  });
  const [alice, , carol] = people as [LjmPage, LjmPage, LjmPage];
  result.version = await ljm<string>(alice, 's.version');
  const ids = await Promise.all(people.map((p) => p.id()));
  result.ids = ids;
  result.bridgeFlow = await Promise.all(people.map((p) => waitForFlow(p, { video: 2, audio: 2, timeoutMs: 20_000 })));
  result.video = await Promise.all(people.map(videoStats));
  result.sessionAccepts = await Promise.all(people.map((p) => ljm<string | undefined>(p, 's.jingle.find((l) => l.startsWith(">>") && l.includes("session-accept"))')));

  const constrain = (c: unknown) => carol.page.evaluate((x) => (window as unknown as { ljm: { conference: { setReceiverConstraints(c: unknown): void } } }).ljm.conference.setReceiverConstraints(x), c);
  await constrain({ lastN: -1, constraints: {}, defaultConstraints: { maxHeight: 180 }, onStageSources: [], selectedSources: [] });
  result.thumbnailHeights = await heightsWithin(carol, [180, 180]);
  // Alice's thumbnails: bob's AV1 and carol's H.264 simulcast, each at its 180p layer.
  await alice.page.evaluate((x) => (window as unknown as { ljm: { conference: { setReceiverConstraints(c: unknown): void } } }).ljm.conference.setReceiverConstraints(x),
    { lastN: -1, constraints: {}, defaultConstraints: { maxHeight: 180 }, onStageSources: [], selectedSources: [] });
  result.aliceThumbnailHeights = await heightsWithin(alice, [180, 180]);
  await constrain({ lastN: -1, constraints: { [`${ids[0]}-v0`]: { maxHeight: 720 } }, defaultConstraints: { maxHeight: 180 }, onStageSources: [`${ids[0]}-v0`], selectedSources: [] });
  // Alice on stage: carol should get the top spatial layer alice sends. Alice's own encoder may still
  // be held to its lower layer by her uplink estimate (qualityLimitationReason "bandwidth"), so the
  // tallest layer she sends is sampled alongside.
  const deadline = Date.now() + 20_000;
  let stage: { carol: number[]; aliceSends: number } = { carol: [], aliceSends: 0 };
  do {
    // Alice's layers after carol's window: a layer carol decoded in it was being sent by then.
    const heights = await flowOver(carol, 1000);
    const sent = await videoStats(alice);
    stage = { carol: heights.heights, aliceSends: Math.max(0, ...sent.outbound.map((o) => Number(o.height ?? 0))) };
  } while (stage.carol.join() !== '180,360' && Date.now() < deadline);
  result.stage = stage;
  result.stageHeights = stage.carol;
  result.carolVideo = await videoStats(carol);
  result.senderVideo = await videoStats(alice);
  // Renegotiations settle; give a storm time to show.
  await sleep(3000);
  result.pages = await Promise.all(people.map(pageReport));
  result.nodeStats = await world.node.stats();
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
