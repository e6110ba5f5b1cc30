import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the bandwidth test');

describe('congestion between the browsers and the media node', () => {
  runIt('Chrome\'s send-side estimate follows the node\'s transport-cc feedback: high on an open path, below a throttled link\'s rate, video still flowing', () => {
    // Loopback only: Chromium and everything it talks to run in a fresh network namespace with just `lo` up.
    const r = runInNetns<{
      error?: string; openEstimateKbps: number[]; limitKbps: number; throttledEstimateKbps: number[]; throttledVideoKbps: number[]; throttledFramesPerSecond: number[]; transportFeedbackPackets: number;
    }>(new URL('./bandwidth.run.ts', import.meta.url), { timeoutMs: 90_000 });
    expect(r.error, r.error).toBeUndefined();
    console.log(`bandwidth: estimates up to ${r.openEstimateKbps.join(' / ')} kbps open, ${r.throttledEstimateKbps.join(' / ')} kbps on a ${r.limitKbps} kbit/s link `
      + `(video sent ${r.throttledVideoKbps.join(' / ')} kbps, ${r.throttledFramesPerSecond.join(' / ')} frames/s decoded)`);
    // Chrome starts at 300 kbps. Only probes judged on the node's arrival reports lift it this far
    // this soon: without the feedback it falls to 180 kbps; with receiver reports alone it is under
    // 400 kbps after 5 s (docs/benchmarks.md). Unloaded runs reach ~1,900 kbps on both pages; with
    // a busy loop on one of the two cores, ~1,000 and ~450.
    for (const kbps of r.openEstimateKbps) expect(kbps).toBeGreaterThan(330);
    // The lowest max seen in ~10 runs on the quiet machine was 612 kbps (and 441 with a 6 s window):
    // 500 keeps clear of receiver reports alone (under 400) with room for that spread.
    expect(Math.max(...r.openEstimateKbps)).toBeGreaterThanOrEqual(500);
    // ~20 per second per sender (every 50 ms) over the ~20 s call.
    expect(r.transportFeedbackPackets).toBeGreaterThan(400);
    // Both senders share the link (each one's media crosses it twice): each estimate drops below it.
    for (const kbps of r.throttledEstimateKbps) expect(kbps).toBeLessThan(r.limitKbps);
    for (const kbps of r.throttledVideoKbps) expect(kbps).toBeLessThan(r.limitKbps / 2);
    // Video keeps flowing on both pages; on this shared 600 kbit/s link one page at times decodes
    // well under 1 frame/s for a while (layer switches waiting for a keyframe on a lossy link:
    // 0.33 and 0.67 seen once each in ~10 runs), so the rate is asked of the better page only.
    for (const fps of r.throttledFramesPerSecond) expect(fps).toBeGreaterThan(0);
    expect(Math.max(...r.throttledFramesPerSecond)).toBeGreaterThan(2);
  }, 100_000);
});
