import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the login browser test');

describe('our web app\'s Log in against a real OpenID Provider', () => {
  runIt('Log in on the pre-join screen → the provider\'s login page → back in the room signed in, moderator by group claim; Log in on the home page; Log out', () => {
    const r = runInNetns<Record<string, string | boolean | undefined>>(new URL('./login.run.ts', import.meta.url), { timeoutMs: 90_000 });
    expect(r.error, String(r.error)).toBeUndefined();
    expect(r.prejoinLoginButton).toBe('Log in');
    expect(r.providerPage).toBe('/realms/edgemeet/interaction/<uid>');
    const back = new URL(String(r.backAt));
    expect(back.pathname).toBe('/loginroom');
    expect(back.search).toBe('');
    expect(r.signedIn).toBe('Signed in as Alice Example (moderator)');
    expect(r.displayName).toBe('Alice Example');
    expect(r.moderatorInRoom).toBe(true);
    expect(r.selfInList).toBe('Alice Example (you) ★');
    expect(r.homeLoginButton).toBe('/oidc/auth?path=%2F');
    expect(r.afterLogout).toBe('Log in');
  }, 100_000);
});
