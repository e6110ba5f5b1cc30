import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';
import { CODEC_RACE_PAGE_ERROR, CODEC_RACE_STATS_ERROR } from './known-library-races.ts';

interface Result {
  error?: string; kills: Array<{ node: string; recoveredMs: number[]; allMs: number }>; drain?: { node: string; maxGapMs: number[]; moved: boolean; exitedMs: number };
  left: string[][]; participants: number[]; pageErrors: string[][]; libraryErrors: string[][]; jingle?: unknown;
}


describe("today's lib-jitsi-meet keeps its call when the media node dies or drains", () => {
  currentBuildIt('the bridge failover test')('kill -9 of the node carrying a 3-party call: every page decodes everyone again, nobody leaves; a drain to its timeout moves everyone with no gap over 2 s', () => {
    const r = runInNetns<Result>(new URL('./ljm-failover.run.ts', import.meta.url), { timeoutMs: 150_000, env: { KILLS: '1', DRAIN: '1' } });
    expect(r.error, `${r.error}\n${JSON.stringify(r.jingle)}`).toBeUndefined();
    console.log(`bridge failover with today's lib-jitsi-meet: kill -9 → every page decodes everyone again after ${r.kills.map((k) => `${k.allMs} ms (pages ${k.recoveredMs.join('/')})`).join(', ')}; drain to timeout: longest gap ${r.drain?.maxGapMs.join('/')} ms, node gone after ${r.drain?.exitedMs} ms`);
    expect(r.kills).toHaveLength(1);
    for (const k of r.kills) expect(k.recoveredMs).toHaveLength(3);
    // Nobody left the conference, and everyone still counts the other two.
    expect(r.left).toEqual([[], [], []]);
    expect(r.participants).toEqual([2, 2, 2]);
    // The drain moved every page to a new session while the old node still forwarded: no page went
    // long without a frame from someone (the 2 s target is bench/failover.ts's; a bound here that a
    // loaded machine cannot trip: before the move existed, media stopped for good).
    expect(r.drain?.moved).toBe(true);
    for (const gap of r.drain!.maxGapMs) expect(gap).toBeLessThan(5000);
    // One page error is the library's own, known race: with more than one video codec offered, its
    // codec selection may run on the new session's peer connection before the offer is applied
    // (getConfiguredVideoCodec reads the remote description's payloads), seen once in CI after a
    // move (docs/compatibility.md). Nothing else may appear, and that one at most once per move.
    const codecRace = CODEC_RACE_PAGE_ERROR;
    const otherPageErrors = r.pageErrors.flat().filter((e) => !codecRace.test(e));
    expect(otherPageErrors, otherPageErrors.join('\n')).toEqual([]);
    for (const errors of r.pageErrors) expect(errors.length).toBeLessThanOrEqual(r.kills.length + 1);
    if (r.pageErrors.flat().length > 0) console.warn(`lib-jitsi-meet's codec-selection race after a move: ${r.pageErrors.map((e) => e.length).join('/')} page errors`);
    // The library's only complaint: each page's bridge channel to the killed node closed abnormally
    // (1006), once per page and kill; nothing at all from the drain.
    const expected = /\[rtc:BridgeChannel\] <e\.onclose>:\s+Channel closed: 1006/;
    // And the same known race as above, seen by its stats collector (RTPStatsCollector →
    // doesTrueSimulcast → getConfiguredVideoCodec on the new peer connection before its offer).
    const statsRace = CODEC_RACE_STATS_ERROR;
    const other = r.libraryErrors.flat().filter((line) => !expected.test(line) && !statsRace.test(line));
    expect(other, other.join('\n')).toEqual([]);
    for (const errors of r.libraryErrors) expect(errors.filter((l) => expected.test(l)).length).toBeLessThanOrEqual(r.kills.length);
    for (const errors of r.libraryErrors) expect(errors.filter((l) => statsRace.test(l)).length).toBeLessThanOrEqual(3 * (r.kills.length + 1));
  }, 160_000);
});
