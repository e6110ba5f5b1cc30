import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';

interface Result {
  error?: string; console?: string[][]; version: string; moderators: boolean[]; supported: Array<{ end: boolean; metadata: boolean; polls: boolean }>;
  createdTimestamps: string[][]; carolCreatedTimestamps: string[]; metadataSeen: boolean; bobMetadataEvents: unknown[]; carolMetadata: unknown;
  dominantIsParticipant: boolean; dominantStayed: boolean; carolJoined: boolean; carolSpeakerStats: { total: number; inMeetingMs: number; users: string[] };
  bridgeBefore: { conferences: number }; failedAfterParticipantEnd: number[]; ended: boolean[];
  failed: Array<Array<{ e: string; params: string[] }>>; bridgeAfter: { conferences: number; endpoints: number };
  pageErrors: string[][]; libraryErrors: string[][];
  ids: string[]; pollHeard: boolean[]; answerHeard: boolean[]; polls: { poll: Array<Record<string, unknown>>; answers: Array<Record<string, unknown>> };
  carolPolls: Array<Record<string, unknown>>; carolStartMuted: { events: unknown[]; policy: unknown };
}


describe("today's lib-jitsi-meet's room-feature APIs against the edge's components", () => {
  currentBuildIt('the room-features test')('conference start timestamp, room metadata, polls, start-muted policy, speaker stats for a latecomer, end for all (refused for a participant, everyone ended by the moderator, bridge conference expired)', () => {
    const r = runInNetns<Result>(new URL('./ljm-room-features.run.ts', import.meta.url), { timeoutMs: 110_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    console.log(`lib-jitsi-meet ${r.version}: carol's speaker stats for the dominant speaker ${r.carolSpeakerStats.total} ms after ${Math.round(r.carolSpeakerStats.inMeetingMs)} ms in the meeting; library errors ${JSON.stringify(r.libraryErrors)}`);
    expect(r.moderators).toEqual([true, false]);
    expect(r.supported).toEqual([{ end: true, metadata: true, polls: true }, { end: true, metadata: true, polls: true }]);
    const [aliceId, bobId] = r.ids as [string, string];

    // Polls through the library's API: both hear the poll and the answer; the latecomer gets the history with the vote.
    expect(r.pollHeard).toEqual([true, true]);
    expect(r.answerHeard).toEqual([true, true]);
    expect(r.polls.poll).toEqual([{ answers: [{ name: 'Yes' }, { name: 'No' }], command: 'new-poll', pollId: 'ljm-poll', question: 'Interop?', senderId: bobId, type: 'polls' }]);
    expect(r.polls.answers).toEqual([{ answers: [false, true], command: 'answer-poll', pollId: 'ljm-poll', senderId: aliceId, senderName: 'alice', type: 'polls' }]);
    expect(r.carolPolls).toEqual([{
      history: true, pollId: 'ljm-poll', senderId: bobId, senderName: 'bob', question: 'Interop?',
      answers: [{ name: 'Yes' }, { name: 'No', voters: [{ id: aliceId, name: 'alice' }] }],
    }]);
    // The moderator's start-muted policy (room metadata) reached the latecomer before it joined.
    expect(r.carolStartMuted).toEqual({ events: [{ audio: true, video: false }], policy: { audio: true, video: false } });

    // Everyone learns the same start time, a plausible epoch ms.
    const [aliceTs, bobTs] = r.createdTimestamps;
    expect(aliceTs!.length).toBeGreaterThan(0);
    const started = Number(aliceTs!.at(-1));
    expect(started).toBeGreaterThan(Date.now() - 300_000);
    expect(bobTs!.at(-1)).toBe(String(started));
    expect(r.carolCreatedTimestamps.at(-1)).toBe(String(started));

    // Metadata: set by the moderator, heard by bob, the participant's attempt changed nothing, the latecomer has it.
    expect(r.metadataSeen).toBe(true);
    expect(r.bobMetadataEvents.at(-1)).toEqual({ topic: { title: 'Interop' }, startMuted: { audio: true, video: false } });
    expect(r.carolMetadata).toEqual({ topic: { title: 'Interop' }, startMuted: { audio: true, video: false } });

    // Speaker stats: carol holds the dominant speaker's time from before she came (the component's).
    expect(r.dominantIsParticipant).toBe(true);
    expect(r.carolJoined).toBe(true);
    expect(r.carolSpeakerStats.total).toBeGreaterThan(r.carolSpeakerStats.inMeetingMs + 1000);

    // End for all.
    expect(r.bridgeBefore.conferences).toBe(1);
    expect(r.failedAfterParticipantEnd).toEqual([0, 0, 0]);
    expect(r.ended).toEqual([true, true, true]);
    for (const f of r.failed) expect(f).toEqual([{ e: 'conference.destroyed', params: expect.arrayContaining(['The meeting has been terminated']) }]);
    expect(r.bridgeAfter.conferences).toBe(0);
    expect(r.pageErrors).toEqual([[], [], []]);
  }, 120_000);
});
