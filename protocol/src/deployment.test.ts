import { describe, expect, it } from 'vitest';
import { authDomain, breweryJid, focusDomain, focusJid, isRegion } from './deployment.ts';

describe('deployment addresses', () => {
  it('focusJid(), focusDomain(), authDomain() and breweryJid() follow Jitsi\'s Prosody layout', () => {
    expect(focusJid('meet.jitsi')).toBe('focus@auth.meet.jitsi');
    expect(focusDomain('meet.jitsi')).toBe('focus.meet.jitsi');
    expect(authDomain('meet.jitsi')).toBe('auth.meet.jitsi');
    expect(breweryJid('meet.jitsi')).toBe('jvbbrewery@internal.auth.meet.jitsi');
  });

  it('isRegion() accepts DNS-label names and refuses others', () => {
    expect(isRegion('default')).toBe(true);
    expect(isRegion('eu-west-1')).toBe(true);
    expect(isRegion('-eu')).toBe(false);
    expect(isRegion('EU')).toBe(false);
    expect(isRegion('a'.repeat(64))).toBe(false);
    expect(isRegion('')).toBe(false);
  });
});
