import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

interface Result {
  error?: string; console: string[]; call: boolean[]; lobbyControls: boolean[]; enabled: boolean; bobStays: boolean;
  carolWaiting: boolean; carolWaitingName: string | null; carolTilesWhileWaiting: number; knockerButtons: string[];
  carolIn: boolean[]; carolWaitingAfter: boolean; knockerGone: boolean; daveDenied: boolean; daveWaitingAfter: boolean;
  erinWaiting: boolean; erinIn: boolean[]; disabled: string | null;
}

describe('the web app\'s lobby in Debian Chromium, with a media node', () => {
  browserIt('the web app tests')('a moderator enables the lobby and sees knockers with Admit/Reject; a knocker waits under her name and enters when admitted; a rejected one is told; disabling lets the waiting in', () => {
    const r = runInNetns<Result>(new URL('./web-app-lobby.run.ts', import.meta.url), { timeoutMs: 110_000 });
    expect(r.error, r.error).toBeUndefined();
    expect(r.call).toEqual([true, true]);
    expect(r.lobbyControls).toEqual([true, false]);
    expect(r.enabled).toBe(true);
    expect(r.bobStays).toBe(true);
    expect(r.carolWaiting).toBe(true);
    expect(r.carolWaitingName).toBe('Carol');
    expect(r.carolTilesWhileWaiting).toBe(0);
    expect(r.knockerButtons).toEqual(['Admit', 'Reject']);
    expect(r.carolIn).toEqual([true, true, true]);
    expect(r.carolWaitingAfter).toBe(true);
    expect(r.knockerGone).toBe(true);
    expect(r.daveDenied).toBe(true);
    expect(r.daveWaitingAfter).toBe(true);
    expect(r.erinWaiting).toBe(true);
    expect(r.erinIn).toEqual([true, true]);
    expect(r.disabled).toBe('Enable lobby');
    expect(r.console).toEqual([]);
  }, 120_000);
});
