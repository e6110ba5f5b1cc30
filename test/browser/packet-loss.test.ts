import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the packet-loss test');

describe('loss between the media node and the browsers', () => {
  runIt('3 % of the forwarded video lost: Chromium NACKs, the node resends from its cache, nothing stays lost and video keeps decoding', () => {
    // Loopback only: Chromium and everything it talks to run in a fresh network namespace with just `lo` up.
    const r = runInNetns<{
      error?: string; framesPerSecond: number[]; nacks: number[]; residualLossPermille: number[]; retransmitted: number; nacksForwarded: number;
    }>(new URL('./packet-loss.run.ts', import.meta.url), { timeoutMs: 90_000 });
    expect(r.error, r.error).toBeUndefined();
    console.log(`packet loss: ${r.nacks.join(' / ')} NACKs, ${r.retransmitted} packets resent by the node, ${r.nacksForwarded} NACKs passed to the sender, residual loss ${r.residualLossPermille.join(' / ')} ‰`);
    for (const n of r.nacks) expect(n).toBeGreaterThan(0);
    expect(r.retransmitted).toBeGreaterThan(0);
    for (const permille of r.residualLossPermille) expect(permille).toBeLessThanOrEqual(5);
    for (const fps of r.framesPerSecond) expect(fps).toBeGreaterThan(5);
  }, 100_000);
});
