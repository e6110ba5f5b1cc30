import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';


describe('today\'s lib-jitsi-meet on a secure domain with guests, host logged in through /oidc', () => {
  currentBuildIt('the login test')('a guest first is told authentication is required (wait for the host); the host joins with the minted token as moderator; the guest asks again and gets in', () => {
    const r = runInNetns<Record<string, unknown>>(new URL('./ljm-login.run.ts', import.meta.url), { timeoutMs: 120_000 });
    expect(r.error, String(r.error)).toBeUndefined();
    expect(r.guestDomain).toBe('guest.meet.jitsi');
    expect(r.guestWaits, JSON.stringify(r.guestErrors)).toBe(true);
    expect(r.tokenMinted).toBe(true);
    expect(r.hostJoined, JSON.stringify(r.hostErrors)).toBe(true);
    expect(r.hostModerator).toBe(true);
    expect(r.guestJoined).toBe(true);
    expect(r.guestSeesHost).toEqual(['host|moderator']);
    expect(r.hostSeesGuest).toBe(true);
  }, 130_000);
});
