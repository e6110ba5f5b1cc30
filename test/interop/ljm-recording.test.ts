import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';

type Event = { status: string; id: string | null; mode: string | null; error: string | null; initiator: string | null; terminator: string | null };
interface Result {
  error?: string; console?: string[][]; version: string; moderators: boolean[]; bobStart: { error?: string }; aliceStart: { id?: string; status?: string };
  sawOn: boolean; bobSawOn: boolean; participantCounts: number[]; hiddenSeen: boolean; stop: { ok?: boolean; error?: string }; sawOff: boolean;
  aliceEvents: Event[]; bobEvents: Event[]; aliceId: string; jibriRequests: Array<Record<string, string>>; pageErrors: string[][];
}

describe("today's lib-jitsi-meet records through the focus and a scripted Jibri", () => {
  currentBuildIt('the recording test')('startRecording({mode: file}): a participant is refused, the moderator gets pending then on, stopRecording → off', () => {
    const r = runInNetns<Result>(new URL('./ljm-recording.run.ts', import.meta.url), { timeoutMs: 110_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    console.log(`lib-jitsi-meet ${r.version}: alice's recorder events ${JSON.stringify(r.aliceEvents.map((e) => e.status))}, bob's ${JSON.stringify(r.bobEvents.map((e) => e.status))}`);
    expect(r.moderators).toEqual([true, false]);
    expect(r.bobStart).toEqual({ error: 'not-allowed' });
    expect(r.aliceStart.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.aliceStart.status).toBe('pending');
    const statuses = r.aliceEvents.filter((e) => e.id === r.aliceStart.id).map((e) => e.status);
    // pending first, on later, off last (the library may repeat a status it already had).
    expect(statuses[0]).toBe('pending');
    expect(statuses.indexOf('on')).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe('off');
    expect(r.sawOn && r.bobSawOn && r.sawOff).toBe(true);
    expect(r.stop).toEqual({ ok: true });
    expect(r.participantCounts).toEqual([1, 1]);
    expect(r.hiddenSeen).toBe(true);
    expect(r.jibriRequests.map((q) => q.action)).toEqual(['start', 'stop']);
    expect(r.jibriRequests[0]).toMatchObject({ recording_mode: 'file', room: 'ljm-rec@conference.meet.jitsi', session_id: r.aliceStart.id });
    expect(r.pageErrors).toEqual([[], []]);
  }, 120_000);
});
