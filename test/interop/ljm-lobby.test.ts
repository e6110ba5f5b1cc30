import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';

interface Result {
  error?: string; console?: string[][]; version: string; supported: boolean[]; moderators: boolean[]; enabled: string;
  membersOnlySeen: boolean[]; carolRefused: string[]; knocked: string; aliceSawKnock: boolean; knockEmail: boolean;
  carolJoinedBefore: boolean; carolJoined: boolean; othersSeeCarol: boolean[]; aliceSawLeftLobby: boolean; openAgain: boolean[];
  pageErrors: string[][]; libraryErrors: string[][];
}

describe("today's lib-jitsi-meet's lobby API against the edge's lobby", () => {
  currentBuildIt('the lobby test')('enableLobby(), a refused newcomer joinLobby(name, email), LOBBY_USER_JOINED for the moderator, lobbyApproveAccess(id) brings the knocker into the conference, disableLobby()', () => {
    const r = runInNetns<Result>(new URL('./ljm-lobby.run.ts', import.meta.url), { timeoutMs: 100_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    console.log(`lib-jitsi-meet ${r.version}: library errors ${JSON.stringify(r.libraryErrors)}`);
    expect(r.supported).toEqual([true, true]);
    expect(r.moderators).toEqual([true, false]);
    expect(r.enabled).toBe('ok');
    expect(r.membersOnlySeen).toEqual([true, true]);
    expect(r.carolRefused).toEqual(['conference.connectionError.membersOnly']);
    expect(r.knocked).toBe('ok');
    expect(r.aliceSawKnock).toBe(true);
    expect(r.knockEmail).toBe(true);
    expect(r.carolJoinedBefore).toBe(false);
    expect(r.carolJoined).toBe(true);
    expect(r.othersSeeCarol).toEqual([true, true]);
    expect(r.aliceSawLeftLobby).toBe(true);
    expect(r.openAgain).toEqual([true, true, true]);
    expect(r.pageErrors).toEqual([[], [], []]);
  }, 110_000);
});
