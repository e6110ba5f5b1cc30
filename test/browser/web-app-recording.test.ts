import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

interface Result {
  error?: string; console: string[]; recordButton: boolean[]; unavailable: string | null; rec: Array<string | null>; bobStatus: string;
  tilesWhileRecording: number[]; aliceButtonText: string; recAfterStop: boolean[]; jibriRequests: string[];
}

describe('the web app\'s recording controls in Debian Chromium, with a media node and a scripted Jibri', () => {
  browserIt('the web app tests')('Record for the moderator only; "unavailable" without a recorder; REC with who started it on every page, no tile for the recorder; Stop clears it', () => {
    const r = runInNetns<Result>(new URL('./web-app-recording.run.ts', import.meta.url), { timeoutMs: 90_000 });
    expect(r.error, r.error).toBeUndefined();
    expect(r.recordButton).toEqual([true, false]);
    expect(r.unavailable).toBe('Recording is unavailable: no recorder is running.');
    expect(r.rec).toEqual(['Recording started by Alice', 'Recording started by Alice']);
    expect(r.bobStatus).toBe('Recording, started by Alice.');
    expect(r.tilesWhileRecording).toEqual([1, 1]);
    expect(r.aliceButtonText).toBe('Stop recording');
    expect(r.recAfterStop).toEqual([true, true]);
    expect(r.jibriRequests).toEqual(['start', 'stop']);
    expect(r.console).toEqual([]);
  }, 100_000);
});
