/// <reference lib="dom" />
/**
 * Congestion between the browsers and the node, run inside a network namespace with only loopback
 * (bandwidth.test.ts starts it): two web-app pages in a call; Chrome's send-side estimate is read
 * on the open path, then while the namespace's loopback is throttled by a token bucket (`tc ... tbf`,
 * shared by both pages' media both ways), then again. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { startWorld } from '../interop/ljm-harness.ts';

const LIMIT_KBIT = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result: Record<string, unknown> = {};
const tc = (verb: 'add' | 'del', ...qdisc: string[]) => execFileSync('tc', ['qdisc', verb, 'dev', 'lo', 'root', ...qdisc], { stdio: 'pipe' });
const world = await startWorld();

/** Chrome's estimate of what it may send (kbit/s), its video bytes sent, and video frames it decoded. */
const sample = (page: Page) => page.evaluate(async () => {
  const pc = (window as unknown as { meeting: { peerConnection: RTCPeerConnection | null } }).meeting.peerConnection;
  const out = { estimateKbps: 0, videoBytesSent: 0, framesDecoded: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s.type === 'candidate-pair' && typeof s.availableOutgoingBitrate === 'number') out.estimateKbps = Math.max(out.estimateKbps, Math.round(s.availableOutgoingBitrate / 1000));
    if (s.type === 'outbound-rtp' && s.kind === 'video') out.videoBytesSent += Number(s.bytesSent ?? 0);
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.framesDecoded += Number(s.framesDecoded ?? 0);
  });
  return out;
});

let throttled = false;
try {
  const pages: Page[] = [];
  for (const name of ['Busy A', 'Busy B']) {
    const page = await world.browser.newPage();
    await openPrejoin(page, world.edge.url, 'narrow', name);
    await page.click('#join');
    pages.push(page);
  }
  // The highest estimate on the open path in the first 10 s after Join (Chrome probes early; on a
  // busy machine the delay-based estimate settles lower afterwards). 6 s from the click, which
  // includes the join, left some runs at ~440 kbps on both pages.
  const open = [0, 0];
  for (const until = Date.now() + 10_000; Date.now() < until; await sleep(250)) {
    (await Promise.all(pages.map(sample))).forEach((s, i) => { open[i] = Math.max(open[i]!, s.estimateKbps); });
  }
  result.openEstimateKbps = open;
  tc('add', 'tbf', 'rate', `${LIMIT_KBIT}kbit`, 'burst', '16kb', 'latency', '100ms');
  throttled = true;
  await sleep(6000);
  const before = await Promise.all(pages.map(sample));
  await sleep(6000);
  const after = await Promise.all(pages.map(sample));
  result.limitKbps = LIMIT_KBIT;
  result.throttledEstimateKbps = after.map((s) => s.estimateKbps);
  result.throttledVideoKbps = after.map((s, i) => Math.round(((s.videoBytesSent - before[i]!.videoBytesSent) * 8) / 6000));
  result.throttledFramesPerSecond = after.map((s, i) => (s.framesDecoded - before[i]!.framesDecoded) / 6);
  result.transportFeedbackPackets = (await world.node.stats()).transportFeedbackPackets;
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  if (throttled) tc('del');
  await world.stop();
}
console.log(JSON.stringify(result));
