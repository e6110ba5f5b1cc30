import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';
import { withoutCodecRace } from './known-library-races.ts';

interface Result {
  error?: string; console?: string[][]; version: string; settled: number[]; withDave: number[]; withErin: number[];
  daveDecoded: boolean[]; daveLeftSeen: boolean[]; erinDecoded: boolean[]; erinTracks: unknown; pageErrors: string[][]; libraryErrors: string[][];
}

describe("today's lib-jitsi-meet with SSRC rewriting: joins and leaves", () => {
  currentBuildIt('the SSRC rewriting test')('a newcomer who takes the SSRCs a leaver freed causes no renegotiation on the others, and is decoded under its own name', () => {
    const r = runInNetns<Result>(new URL('./ljm-ssrc-rewriting.run.ts', import.meta.url), { timeoutMs: 150_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    console.log(`lib-jitsi-meet ${r.version}, SSRC rewriting: renegotiations of alice/bob/carol settled ${r.settled.join('/')}, with dave ${r.withDave.join('/')}, after dave left and erin came ${r.withErin.join('/')}`);
    expect(r.daveDecoded).toEqual([true, true, true]);
    expect(r.daveLeftSeen).toEqual([true, true, true]);
    expect(r.erinDecoded, JSON.stringify(r.erinTracks)).toEqual([true, true, true]);
    // Dave's sources were new SSRCs for everyone (one renegotiation per new SSRC mapping at most).
    for (const [i, n] of r.withDave.entries()) {
      expect(n).toBeGreaterThan(r.settled[i]!);
      expect(n - r.settled[i]!).toBeLessThanOrEqual(2);
    }
    // Erin took the SSRCs dave left: nobody renegotiated for her.
    expect(r.withErin).toEqual(r.withDave);
    for (const [i, errors] of r.pageErrors.entries()) {
      expect(withoutCodecRace(errors).other, `page ${i}`).toEqual([]);
      expect(withoutCodecRace(r.libraryErrors[i]!).other, `page ${i}`).toEqual([]);
    }
  }, 160_000);
});
