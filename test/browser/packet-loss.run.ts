/// <reference lib="dom" />
/**
 * Loss between the node and the receivers, run inside a network namespace with only loopback
 * (packet-loss.test.ts starts it): the node drops 3 % of the video it forwards
 * (MEDIA_DROP_PERMILLE); two web-app pages must keep decoding, their NACKs answered from the
 * node's packet cache. Prints one JSON line.
 */
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { startWorld } from '../interop/ljm-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result: Record<string, unknown> = {};
const world = await startWorld({}, { MEDIA_DROP_PERMILLE: process.env.DROP_PERMILLE ?? '30' });

const inbound = (page: Page) => page.evaluate(async () => {
  const pc = (window as unknown as { meeting: { peerConnection: RTCPeerConnection | null } }).meeting.peerConnection;
  const out = { frames: 0, nacks: 0, lost: 0, received: 0, freezes: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
    out.frames += Number(s.framesDecoded ?? 0);
    out.nacks += Number(s.nackCount ?? 0);
    out.lost += Number(s.packetsLost ?? 0);
    out.received += Number(s.packetsReceived ?? 0);
    out.freezes += Number(s.freezeCount ?? 0);
  });
  return out;
});

try {
  const pages: Page[] = [];
  for (const name of ['Lossy A', 'Lossy B']) {
    const page = await world.browser.newPage();
    await openPrejoin(page, world.edge.url, 'lossy', name);
    await page.click('#join');
    pages.push(page);
  }
  await sleep(4000);
  const before = await Promise.all(pages.map(inbound));
  await sleep(8000);
  const after = await Promise.all(pages.map(inbound));
  result.framesPerSecond = after.map((a, i) => (a.frames - before[i]!.frames) / 8);
  result.nacks = after.map((a) => a.nacks);
  // What the receivers still count as lost after retransmissions, per thousand received.
  result.residualLossPermille = after.map((a) => Math.round((a.lost / Math.max(1, a.received + a.lost)) * 1000));
  result.freezes = after.map((a) => a.freezes);
  const stats = await world.node.stats();
  result.retransmitted = stats.retransmittedPackets;
  result.nacksForwarded = stats.nacksForwarded;
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
