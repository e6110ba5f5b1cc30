import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

interface Result {
  error?: string; console: string[]; endButton: boolean[]; speakerStats: string[] | null;
  conferencesBefore: number; ended: Array<string | null>; conferencesAfter: number; stillEnded: boolean[];
}

describe('the web app\'s room features in Debian Chromium, with a media node', () => {
  browserIt('the web app tests')('speaking time fills from the dominant speaker; only the moderator may end the meeting for all, which ends it on every page and on the media node', () => {
    const r = runInNetns<Result>(new URL('./web-app-end.run.ts', import.meta.url), { timeoutMs: 90_000 });
    expect(r.error, r.error).toBeUndefined();
    console.log(`web app speaking time: ${JSON.stringify(r.speakerStats)}`);
    expect(r.endButton).toEqual([true, false]);
    expect(r.speakerStats).not.toBeNull();
    expect(r.conferencesBefore).toBe(1);
    expect(r.ended).toEqual(['The meeting has been terminated', 'The meeting has been terminated']);
    expect(r.conferencesAfter).toBe(0);
    expect(r.stillEnded).toEqual([true, true]);
    expect(r.console).toEqual([]);
  }, 100_000);
});
