import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

interface Result {
  error?: string; console: string[]; call: boolean[]; addShown: boolean[]; listed: boolean[]; names: string[];
  movedTiles: boolean[]; bobPlays: string[] | null; carolPlays: string[] | null; bobHere: boolean; aliceSeesThem: boolean;
  backTiles: boolean[]; alicePlays: string[] | null; bobPlaysAgain: string[] | null; closed: boolean; errorsShown: string[];
}

describe('the web app\'s breakout rooms in Debian Chromium, with a media node', () => {
  browserIt('the web app tests')('a moderator adds a breakout room and moves two people there; they have their own call; closing it brings them back', () => {
    const r = runInNetns<Result>(new URL('./web-app-breakout.run.ts', import.meta.url), { timeoutMs: 110_000 });
    expect(r.error, `${r.error}\n${r.console.join('\n')}`).toBeUndefined();
    expect(r.call).toEqual([true, true, true]);
    expect(r.addShown).toEqual([true, false]);
    expect(r.listed).toEqual([true, true, true]);
    expect(r.names).toEqual(['Main room', 'Breakout room #1']);
    expect(r.movedTiles).toEqual([true, true, true]);
    // Their own conference: each plays only the other.
    expect(r.bobPlays).toEqual(['Carol']);
    expect(r.carolPlays).toEqual(['Bob']);
    expect(r.bobHere).toBe(true);
    expect(r.aliceSeesThem).toBe(true);
    expect(r.backTiles).toEqual([true, true, true]);
    expect(r.alicePlays).toEqual(['Bob', 'Carol']);
    expect(r.bobPlaysAgain).toEqual(['Alice', 'Carol']);
    expect(r.closed).toBe(true);
    expect(r.errorsShown).toEqual(['', '', '']);
    expect(r.console).toEqual([]);
  }, 120_000);
});
