import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

interface Result {
  error?: string; console: string[]; endButton: boolean[]; speakerStats: string[] | null;
  conferencesBefore: number; ended: Array<string | null>; conferencesAfter: number; stillEnded: boolean[];
  startMutedToggles: boolean[]; pollResults: { alice: string[]; bob: string[] }; latecomerResults: string[];
  latecomerMicMuted: string | null; latecomerSeenMuted: boolean; bobMicMuted: string | null;
}

describe('the web app\'s room features in Debian Chromium, with a media node', () => {
  browserIt('the web app tests')('speaking time fills from the dominant speaker; polls: create, vote, results, a latecomer sees them; a moderator\'s start-muted policy mutes the latecomer; only the moderator may end the meeting for all, which ends it on every page and on the media node', () => {
    const r = runInNetns<Result>(new URL('./web-app-end.run.ts', import.meta.url), { timeoutMs: 130_000 });
    expect(r.error, r.error).toBeUndefined();
    console.log(`web app speaking time: ${JSON.stringify(r.speakerStats)}`);
    expect(r.endButton).toEqual([true, false]);
    expect(r.startMutedToggles).toEqual([true, false]);
    expect(r.pollResults).toEqual({ alice: ['Pizza: 1 vote (Bob)', 'Salad: 1 vote (Alice)'], bob: ['Pizza: 1 vote (Bob)', 'Salad: 1 vote (Alice)'] });
    expect(r.latecomerResults).toEqual(['Pizza: 2 votes (Bob, Carol)', 'Salad: 1 vote (Alice)']);
    expect(r.latecomerMicMuted).toBe('true');
    expect(r.latecomerSeenMuted).toBe(true);
    expect(r.bobMicMuted).toBe('false');
    expect(r.speakerStats).not.toBeNull();
    expect(r.conferencesBefore).toBe(1);
    expect(r.ended).toEqual(['The meeting has been terminated', 'The meeting has been terminated']);
    expect(r.conferencesAfter).toBe(0);
    expect(r.stillEnded).toEqual([true, true]);
    expect(r.console).toEqual([]);
  }, 140_000);
});
