import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';

interface Flow { video: number; audio: number }
interface Result {
  error?: string; console?: string[][]; version: string; supported: boolean[]; rename: boolean; moderator: boolean;
  everyoneListed: boolean[]; mainListed: string[]; movedJoined: boolean[]; isBreakout: boolean[]; mainRoomJid: string;
  breakoutFlow: Flow[]; aliceAlone: boolean; aliceSeesThem: boolean; backInMain: boolean[]; aliceSeesTwo: boolean; mainFlow: Flow[];
  removed: boolean[]; moveFailures: unknown[][]; pageErrors: string[][]; libraryErrors: string[][];
}

describe("today's lib-jitsi-meet's breakout rooms API against the edge's breakout rooms", () => {
  currentBuildIt('the breakout rooms test')('getBreakoutRooms(): createBreakoutRoom, the list for everyone, sendParticipantToRoom: the moved pages join the breakout room with their own media, closing sends them back, removeBreakoutRoom', () => {
    const r = runInNetns<Result>(new URL('./ljm-breakout.run.ts', import.meta.url), { timeoutMs: 150_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    console.log(`lib-jitsi-meet ${r.version}: breakout flow ${JSON.stringify(r.breakoutFlow)}, main flow ${JSON.stringify(r.mainFlow)}, library errors ${JSON.stringify(r.libraryErrors)}`);
    expect(r.supported).toEqual([true, true, true]);
    expect(r.rename).toBe(true);
    expect(r.moderator).toBe(true);
    expect(r.everyoneListed).toEqual([true, true, true]);
    expect(r.mainListed).toEqual(['alice', 'bob', 'carol']);
    expect(r.movedJoined).toEqual([true, true]);
    expect(r.isBreakout).toEqual([true, true]);
    expect(r.mainRoomJid).toBe('ljm-breakout@conference.meet.jitsi');
    // Their own conference: each decodes the other's video and audio (and nobody else's).
    for (const f of r.breakoutFlow) expect(f).toMatchObject({ video: 1, audio: 1 });
    expect(r.aliceAlone).toBe(true);
    expect(r.aliceSeesThem).toBe(true);
    expect(r.backInMain).toEqual([true, true]);
    expect(r.aliceSeesTwo).toBe(true);
    for (const f of r.mainFlow) expect(f).toMatchObject({ video: 2, audio: 2 });
    expect(r.removed).toEqual([true, true, true]);
    expect(r.moveFailures).toEqual([[], [], []]);
    expect(r.pageErrors).toEqual([[], [], []]);
  }, 160_000);
});
