import { describe, expect, it } from 'vitest';
import { ConfigError, parseEdgeConfig } from '../src/config.ts';

const LOGIN = {
  JWT_APP_ID: 'app', JWT_APP_SECRET: 's'.repeat(32), OIDC_ISSUER_URL: 'https://idp.example.com/realms/meet',
  OIDC_CLIENT_ID: 'edgemeet', OIDC_COOKIE_SECRET: 'c'.repeat(32),
};

function problems(raw: Record<string, string>): string[] {
  try {
    parseEdgeConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('parseEdgeConfig() logins and tokens', () => {
  it('defaults: no token keys → anonymous, no login; a secret → token required; JWT_ALLOW_ANONYMOUS=true → anonymous', () => {
    expect(parseEdgeConfig({}).auth).toMatchObject({ policy: 'anonymous', verifying: false, guestDomain: undefined });
    expect(parseEdgeConfig({}).login).toBeUndefined();
    expect(parseEdgeConfig({ JWT_APP_ID: 'a', JWT_APP_SECRET: 's'.repeat(32) }).auth).toMatchObject({ policy: 'token', acceptedIssuers: ['a'], acceptedAudiences: ['*'], clockSkewSeconds: 30 });
    expect(parseEdgeConfig({ JWT_APP_ID: 'a', JWT_APP_SECRET: 's'.repeat(32), JWT_ALLOW_ANONYMOUS: 'true' }).auth.policy).toBe('anonymous');
  });

  it('guests: the guest domain defaults to guest.<domain>', () => {
    const c = parseEdgeConfig({ XMPP_DOMAIN: 'meet.example.com', AUTH_POLICY: 'guests', JWT_APP_ID: 'a', JWT_APP_SECRET: 's'.repeat(32) });
    expect(c.auth.guestDomain).toBe('guest.meet.example.com');
  });

  it('login: documented defaults for scopes, redirect path, timeout and claims', () => {
    const login = parseEdgeConfig(LOGIN).login!;
    expect(login).toMatchObject({ scopes: 'openid profile email', redirectPath: '/oidc/callback', timeoutMs: 5000, loginTtlSeconds: 600, clientSecret: undefined });
    expect(login.claims).toEqual({ id: 'sub', name: ['name', 'preferred_username'], email: 'email', avatar: 'picture', moderator: 'groups', moderatorValues: ['moderators'], features: 'jitsi_features' });
  });

  it('every bad key is named in one error', () => {
    expect(problems({ ...LOGIN, OIDC_ISSUER_URL: 'http://idp.example.com/realms/meet' })).toEqual([expect.stringMatching(/^OIDC_ISSUER_URL: expected an https:\/\/ URL/)]);
    expect(problems({ ...LOGIN, OIDC_COOKIE_SECRET: 'short', OIDC_CLIENT_ID: '' })).toEqual([
      'OIDC_CLIENT_ID: required with OIDC_ISSUER_URL', 'OIDC_COOKIE_SECRET: required with OIDC_ISSUER_URL, at least 32 characters',
    ]);
    expect(problems({ OIDC_ISSUER_URL: 'https://idp.example.com', OIDC_CLIENT_ID: 'x', OIDC_COOKIE_SECRET: 'c'.repeat(32) }))
      .toEqual([expect.stringMatching(/^OIDC_ISSUER_URL: logins mint Jitsi JWTs/)]);
    expect(problems({ JWT_APP_ID: 'a', JWT_APP_SECRET: 's'.repeat(32), JWT_ALGORITHMS: 'RS256,HS256,none' })).toEqual([expect.stringMatching(/^JWT_ALGORITHMS: only asymmetric algorithms .* got HS256,none$/)]);
    expect(problems({ AUTH_POLICY: 'token' })).toEqual([expect.stringMatching(/^AUTH_POLICY: token needs a way to verify tokens/)]);
    expect(problems({ JWT_APP_ID: 'a', JWT_SIGNING_JWKS: '{"keys":[{"kty":"EC","kid":"k1","alg":"ES256"}]}' })).toContain('JWT_SIGNING_JWKS: key k1: a private key is required');
    expect(problems({ JWT_JWKS_URLS: 'https://a.example/jwks.json,ftp://b.example/x' })).toEqual(expect.arrayContaining([expect.stringMatching(/^JWT_JWKS_URLS: expected an https:\/\/ URL/)]));
  });
});
