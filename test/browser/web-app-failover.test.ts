import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the web app failover test');

interface Flow { pc: number; video: number; audio: number }
/** The longest gap (ms) and how long after SIGTERM it began. */
interface Gap { ms: number; after: number }
interface Listing { tileSets: string[]; people: number[] }
interface Result {
  error?: string; console: string[]; warnings: string[];
  ids: string[]; before: Flow[]; tilesBefore: string[][];
  killed: string; killRecoveredMs: Array<number | null>; afterKill: Flow[]; killListings: Listing[]; tilesAfterKill: string[][];
  errorShown: string[]; pcCountAfterKill: number[]; jingleAfterKill: string[][];
  drained: string; drainRecoveredMs: Array<number | null>; drainVideoGapMs: Array<Record<string, Gap>>; drainAudioGapMs: Array<Record<string, Gap>>;
  drainListings: Listing[]; drainExit: number | string; afterDrain: Flow[]; pcsAfterDrain: number[]; carrierAfterDrain: string;
  tilesAfterDrain: string[][]; jingleAfterDrain: string[][]; seenSinceSteady: Listing[];
  channelsAfterKill: Channels[]; channelsAfterDrain: Channels[]; heightsAfterKill: number[][]; heightsAfterDrain: number[][];
}
interface Channels { oldOpen: number; opened: Array<{ node: string; open: boolean; constraints: string | null }> }

/** One bridge channel since the move, open, to `node`, carrying the page's constraints again (small tiles: three people); the old one closed. */
function expectChannelReopened(c: Channels, node: string): void {
  expect(c.oldOpen).toBe(0);
  expect(c.opened).toHaveLength(1);
  expect(c.opened[0]).toMatchObject({ node, open: true });
  expect(JSON.parse(c.opened[0]!.constraints ?? '{}')).toMatchObject({ colibriClass: 'ReceiverVideoConstraints', defaultConstraints: { maxHeight: 180 } });
}

const TILES = [['Bob', 'Carol'], ['Alice', 'Carol'], ['Alice', 'Bob']];

describe('the web app when its media node goes away (issue 19)', () => {
  runIt('three pages in a call: kill -9 of the carrying node, then SIGTERM of the next one with a 1 s drain; nobody leaves, everyone decodes everyone again, no video gap over 2 s in the drain', () => {
    const r = runInNetns<Result>(new URL('./web-app-failover.run.ts', import.meta.url), { timeoutMs: 200_000 });
    const trace = `\nJingle after the kill:\n${JSON.stringify(r.jingleAfterKill, null, 1)}\nafter SIGTERM:\n${JSON.stringify(r.jingleAfterDrain, null, 1)}`;
    expect(r.error, `${r.error}${trace}`).toBeUndefined();
    for (const f of r.before) expect(f).toMatchObject({ video: 2, audio: 2 });
    expect(r.tilesBefore).toEqual(TILES);

    // kill -9: every page decodes both others' video and audio again, on a new peer connection.
    const killMs = Math.max(...r.killRecoveredMs.map((x) => x ?? Infinity));
    console.log(`web app failover: kill -9 of ${r.killed} → all three pages decode 2 videos + 2 audios again after ${killMs} ms (per page ${r.killRecoveredMs.map((x) => x ?? 'never').join(' / ')} ms)`);
    for (const ms of r.killRecoveredMs) expect(ms, trace).not.toBeNull();
    r.afterKill.forEach((f, i) => {
      expect(f, trace).toMatchObject({ video: 2, audio: 2 });
      expect(f.pc, 'a new peer connection').not.toBe(r.before[i]!.pc);
    });
    // Nobody left: the same two tiles (no duplicates, none missing) and three people listed throughout.
    expect(r.tilesAfterKill).toEqual(TILES);
    r.killListings.forEach((l, i) => {
      expect(l.tileSets, `page ${i}`).toEqual([r.ids.filter((_, j) => j !== i).sort().join(',')]);
      expect(l.people, `page ${i}`).toEqual([3]);
    });
    expect(r.errorShown).toEqual(['', '', '']);
    // The bridge channel follows the session to the surviving node, and the constraints are re-applied there.
    const survivor = r.killed === 'interop-node' ? 'failover-b' : 'interop-node';
    for (const c of r.channelsAfterKill) expectChannelReopened(c, survivor);
    for (const h of r.heightsAfterKill) for (const x of h) expect(x).toBeLessThanOrEqual(180);
    // Each page moved exactly once: one old and one new peer connection, the old one closed.
    expect(r.pcCountAfterKill).toEqual([2, 2, 2]);
    for (const j of r.jingleAfterKill) {
      expect(j.some((x) => /in session-terminate .*\(moving\)/.test(x)), trace).toBe(true);
      expect(j.filter((x) => / in session-initiate /.test(x)), trace).toHaveLength(1);
    }

    // SIGTERM with a 1 s drain: the node announced it was shutting down, the call moved to the third node.
    const videoGaps = r.drainVideoGapMs.map((g) => Math.max(...Object.values(g).map((x) => x.ms)));
    const audioGaps = r.drainAudioGapMs.map((g) => Math.max(...Object.values(g).map((x) => x.ms)));
    console.log(`gaps (ms, and ms after SIGTERM they began): video ${JSON.stringify(r.drainVideoGapMs)} audio ${JSON.stringify(r.drainAudioGapMs)}`);
    console.log(`web app failover: SIGTERM of ${r.drained} (drain timeout 1 s) → longest gap in decoded video per page ${videoGaps.join(' / ')} ms (max ${Math.max(...videoGaps)} ms), audio ${audioGaps.join(' / ')} ms; all decoding on the new node ${r.drainRecoveredMs.map((x) => x ?? 'never').join(' / ')} ms after SIGTERM`);
    for (const ms of r.drainRecoveredMs) expect(ms, trace).not.toBeNull();
    for (const g of r.drainVideoGapMs) expect(Object.keys(g)).toHaveLength(2);
    // The 2 s target is the benchmark's (bench/failover.ts, docs/benchmarks.md); here a bound a loaded
    // machine cannot trip, which still fails if media stops until the old node exits.
    for (const ms of videoGaps) expect(ms, trace).toBeLessThan(5000);
    expect(r.drainExit).toBe(0);
    expect(r.carrierAfterDrain).toBe('failover-c');
    r.afterDrain.forEach((f, i) => {
      expect(f, trace).toMatchObject({ video: 2, audio: 2 });
      expect(f.pc).not.toBe(r.afterKill[i]!.pc);
    });
    expect(r.tilesAfterDrain).toEqual(TILES);
    for (const c of r.channelsAfterDrain) expectChannelReopened(c, 'failover-c');
    for (const h of r.heightsAfterDrain) for (const x of h) expect(x).toBeLessThanOrEqual(180);
    // Over the whole run after everyone was in: always the same two others, always three people.
    r.seenSinceSteady.forEach((l, i) => {
      expect(l.tileSets, `page ${i}`).toEqual([r.ids.filter((_, j) => j !== i).sort().join(',')]);
      expect(l.people, `page ${i}`).toEqual([3]);
    });
    expect(r.console).toEqual([]);
    if (r.warnings.length > 0) console.log(`page warnings:\n${r.warnings.join('\n')}`);
  }, 220_000);
});
