import { describe, expect, it } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';
import { buildSelected, currentLjmUnavailable } from './ljm-builds.ts';

/** `it` where today's build, Chromium and LJM_BUILD allow; otherwise a loud skip. */
function currentIt(): typeof it {
  const missing = currentLjmUnavailable();
  if (missing) {
    console.warn(`\n*** SKIPPING the login test with today's lib-jitsi-meet: ${missing} ***\n`);
    return it.skip as unknown as typeof it;
  }
  if (!buildSelected('current')) return it.skip as unknown as typeof it;
  return browserIt("the login test with today's lib-jitsi-meet");
}

describe('today\'s lib-jitsi-meet on a secure domain with guests, host logged in through /oidc', () => {
  currentIt()('a guest first is told authentication is required (wait for the host); the host joins with the minted token as moderator; the guest asks again and gets in', () => {
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
