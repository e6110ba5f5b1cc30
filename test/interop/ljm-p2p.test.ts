import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';
import { withoutCodecRace } from './known-library-races.ts';

interface Flow { video: number; audio: number; p2p: boolean; heights: number[] }
interface Result {
  error?: string; console?: string[][]; version: string; p2pFlow: Flow[]; bridgeBytes: number[]; forwardedWhileP2p: number;
  bridgeFlow: Flow[]; pageErrors: string[][]; libraryErrors: string[][];
}

describe("today's lib-jitsi-meet with P2P, as jitsi-meet configures it", () => {
  currentBuildIt('the P2P test')('two participants go P2P and suspend the bridge connection; a third brings everyone back to the bridge', () => {
    const r = runInNetns<Result>(new URL('./ljm-p2p.run.ts', import.meta.url), { timeoutMs: 120_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    console.log(`lib-jitsi-meet ${r.version} P2P: bridge connection sent ${r.bridgeBytes.join('/')} bytes in 3 s, the node forwarded ${r.forwardedWhileP2p} packets meanwhile`);
    // Alice and bob decode each other over their direct connection.
    for (const f of r.p2pFlow) expect(f).toMatchObject({ p2p: true, video: 1, audio: 1 });
    // Their bridge connection is suspended: no media to the node (RTCP and keep-alives only), nothing forwarded.
    // (The bridge connection exists and is connected: -1 would say it is not.)
    for (const bytes of r.bridgeBytes) {
      expect(bytes).toBeGreaterThanOrEqual(0);
      expect(bytes).toBeLessThan(20_000);
    }
    expect(r.forwardedWhileP2p).toBeLessThan(50);
    // Carol joins: all three decode the other two through the bridge.
    for (const f of r.bridgeFlow) expect(f).toMatchObject({ p2p: false, video: 2, audio: 2 });
    for (const [i, errors] of r.pageErrors.entries()) {
      const page = withoutCodecRace(errors);
      const library = withoutCodecRace(r.libraryErrors[i]!);
      expect(page.other, `page ${i}`).toEqual([]);
      expect(library.other, `page ${i}`).toEqual([]);
    }
  }, 130_000);
});
