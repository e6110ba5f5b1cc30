import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { openLoginState, sealLoginState } from '../../edge/src/auth/login-cookie.ts';
import { CookieJarClient, type BrowserResponse } from '../helpers/cookie-jar-fetch.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { startOidcProvider, type RunningProvider } from '../helpers/oidc-provider.ts';
import { connectClient, isSelfPresence, itemOf, joinPresence, presenceFrom, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const APP_ID = 'edgemeet-login-test';
const APP_SECRET = 'login-test-app-secret-0123456789abcdef0123';
const COOKIE_SECRET = 'login-test-cookie-secret-0123456789abcdef';
const COOKIE = 'edgemeet_oidc';

const USERS = {
  alice: {
    password: 'alice-pw',
    claims: { name: 'Alice Example', preferred_username: 'alice', email: 'alice@example.com', picture: 'https://avatars.example/alice.png', groups: ['/moderators', '/staff'], jitsi_features: { recording: true } },
  },
  bob: { password: 'bob-pw', claims: { preferred_username: 'bob', email: 'bob@example.com', groups: ['/staff'] } },
};

/** The identity in an occupant presence, as Prosody's presence_identity puts it there. */
function identityOf(presence: { getChild(name: string): any }): Record<string, string | undefined> {
  const user = presence.getChild('identity')?.getChild('user');
  return { id: user?.getChildText('id'), name: user?.getChildText('name'), email: user?.getChildText('email'), avatar: user?.getChildText('avatar') };
}

describe('login at the edge: OpenID Provider (oidc-provider as Keycloak) → Jitsi JWT → XMPP session', () => {
  let op: RunningProvider;
  let edge: RunningEdge;
  /** An edge set up for the adapter's own redirect page (OIDC_REDIRECT_PATH), which then calls /oidc/tokenize. */
  let adapterEdge: RunningEdge;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    op = await startOidcProvider({ users: USERS });
    edge = await startEdge({
      LOG_LEVEL: 'warn', JWT_APP_ID: APP_ID, JWT_APP_SECRET: APP_SECRET,
      OIDC_ISSUER_URL: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret, OIDC_COOKIE_SECRET: COOKIE_SECRET,
      OIDC_MODERATOR_VALUES: 'moderators', OIDC_DEFAULT_FEATURES: 'screen-sharing', OIDC_TIMEOUT_MS: '3000',
    });
    adapterEdge = await startEdge({
      LOG_LEVEL: 'warn', JWT_APP_ID: APP_ID, JWT_APP_SECRET: APP_SECRET, OIDC_REDIRECT_PATH: '/static/oidc-adapter.html',
      OIDC_ISSUER_URL: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret, OIDC_COOKIE_SECRET: COOKIE_SECRET,
    });
    // Keycloak would take a wildcard (…/oidc-adapter.html*); oidc-provider wants the exact URI.
    op.register([`${edge.url}/oidc/callback`, `${adapterEdge.url}/static/oidc-adapter.html?path=%2Fadapterroom&search=lang%3Dde&hash=`]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
    await adapterEdge?.stop();
    await op?.stop();
  });

  const isBackAtEdge = (path: string) => (loc: string) => loc.startsWith(`${edge.url}${path}`);

  /** /oidc/auth → the provider's login page → submit → stop at the redirect back into the app. */
  async function logIn(jar: CookieJarClient, user: keyof typeof USERS, start: string): Promise<{ loginPage: BrowserResponse; back: BrowserResponse }> {
    const loginPage = await jar.navigate(`${edge.url}${start}`);
    expect(loginPage.status, loginPage.body).toBe(200);
    expect(loginPage.url.startsWith(`${op.issuer}/interaction/`)).toBe(true);
    const back = await jar.submitForm(loginPage, { username: user, password: USERS[user].password }, {
      stopAt: (loc) => loc.startsWith(edge.url) && !loc.startsWith(`${edge.url}/oidc/`),
    });
    return { loginPage, back };
  }

  async function connect(room: string, token?: string): Promise<TestClient> {
    const c = await connectClient(edge.wsUrl, room, 'meet.jitsi', token);
    clients.push(c);
    return c;
  }

  it('GET /oidc/health answers healthy; /config.js points jitsi-meet\'s tokenAuthUrl at /oidc/auth with its placeholders', async () => {
    const health = await fetch(`${edge.url}/oidc/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('healthy');
    const config = await (await fetch(`${edge.url}/config.js`)).text();
    expect(config).toContain(`"tokenAuthUrl": "${edge.url}/oidc/auth?room={room}&state={state}&code_challenge={code_challenge}"`);
    expect((await fetch(`${edge.url}/oidc/auth`, { method: 'POST' })).status).toBe(405);
  });

  it('log in (prompt=login, PKCE S256, state, nonce, signed HttpOnly SameSite=Lax cookie) → back in the room with a Jitsi JWT whose identity, moderator claim and features show in the XMPP presence', async () => {
    const jar = new CookieJarClient();
    const { loginPage, back } = await logIn(jar, 'alice', '/oidc/auth?path=/OidcRoom&search=lang%3Den&hash=config.startWithAudioMuted%3Dtrue');
    // The first hop: our redirect to the provider, with the cookie that holds this login.
    const first = loginPage.hops[0]!;
    expect(first.status).toBe(302);
    const auth = new URL(first.location!);
    expect(`${auth.origin}${auth.pathname}`).toBe(`${op.issuer}/auth`);
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({
      client_id: op.clientId, response_type: 'code', prompt: 'login', code_challenge_method: 'S256', redirect_uri: `${edge.url}/oidc/callback`,
    });
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(auth.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const start = await new CookieJarClient().fetch(`${edge.url}/oidc/auth?path=/elsewhere`);
    expect(start.headers.get('set-cookie')).toMatch(/^edgemeet_oidc=[^;]+; Path=\/oidc; Max-Age=600; HttpOnly; SameSite=Lax$/);

    // Back at the return path with the token, the cookie gone.
    const target = new URL(back.url);
    expect(target.pathname).toBe('/OidcRoom');
    expect(target.searchParams.get('oidc')).toBe('authorized');
    expect(target.searchParams.get('lang')).toBe('en');
    expect(target.hash).toBe('#config.startWithAudioMuted=true');
    expect(jar.cookie(COOKIE)).toBeUndefined();
    const token = target.searchParams.get('jwt')!;
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: APP_ID, aud: APP_ID, sub: 'meet.jitsi', room: 'oidcroom',
      context: {
        user: { id: 'alice', name: 'Alice Example', email: 'alice@example.com', avatar: 'https://avatars.example/alice.png', moderator: true },
        features: { 'screen-sharing': true, recording: true },
      },
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);

    // Bob (no moderator group, no name claim) creates the room, then Alice: her group claim makes her an owner.
    const bobJar = new CookieJarClient();
    const bobToken = new URL((await logIn(bobJar, 'bob', '/oidc/auth?path=/oidcroom')).back.url).searchParams.get('jwt')!;
    expect(decodeJwt(bobToken)).toMatchObject({ room: 'oidcroom', context: { user: { id: 'bob', name: 'bob', moderator: false } } });
    const roomJid = `oidcroom@${MUC}`;
    const bob = await connect('oidcroom', bobToken);
    await bob.send(joinPresence(roomJid, 'bob'));
    await bob.waitFor(isSelfPresence(roomJid, 'bob'));
    const alice = await connect('oidcroom', token);
    await alice.send(joinPresence(roomJid, 'alice'));
    const self = await alice.waitFor(isSelfPresence(roomJid, 'alice'));
    expect(itemOf(self)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    const seen = await bob.waitFor(presenceFrom(roomJid, 'alice'));
    expect(identityOf(seen)).toEqual({ id: 'alice', name: 'Alice Example', email: 'alice@example.com', avatar: 'https://avatars.example/alice.png' });
    const bobSeen = alice.received(presenceFrom(roomJid, 'bob'))[0]!;
    expect(identityOf(bobSeen)).toMatchObject({ id: 'bob', name: 'bob' });
    // Bob owns the room as its creator; without the claim, his second device joining later does not.
    const bob2 = await connect('oidcroom', bobToken);
    await bob2.send(joinPresence(roomJid, 'bob2'));
    expect(itemOf(await bob2.waitFor(isSelfPresence(roomJid, 'bob2')))).toMatchObject({ affiliation: 'none', role: 'participant' });
    // The token is for this room only.
    const other = await connect('otherroom', token);
    await other.send(joinPresence(`otherroom@${MUC}`, 'alice'));
    const err = await other.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(err.getChild('error')?.getChild('not-allowed', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  });

  it('silent check (/oidc/redirect, prompt=none): nobody logged in → back with oidc=unauthorized; logged in at the provider → a token without any login page', async () => {
    const jar = new CookieJarClient();
    const anonymous = await jar.navigate(`${edge.url}/oidc/redirect?path=/silentroom`, {}, { stopAt: isBackAtEdge('/silentroom') });
    const to = new URL(anonymous.url);
    expect(to.pathname).toBe('/silentroom');
    expect(to.searchParams.get('oidc')).toBe('unauthorized');
    expect(to.searchParams.has('jwt')).toBe(false);
    expect(new URL(anonymous.hops[0]!.location!).searchParams.get('prompt')).toBe('none');

    await logIn(jar, 'alice', '/oidc/auth?path=/silentroom');
    const silent = await jar.navigate(`${edge.url}/oidc/redirect?path=/silentroom`, {}, { stopAt: isBackAtEdge('/silentroom') });
    expect(silent.hops.some((h) => h.url.includes('/interaction/'))).toBe(false);
    const token = new URL(silent.url).searchParams.get('jwt');
    expect(decodeJwt(token!)).toMatchObject({ room: 'silentroom', context: { user: { id: 'alice' } } });
  });

  it('jitsi-meet\'s tokenAuthUrl (?room={room}&state={state}&code_challenge=…): back to /<tenant>/<room> with the config overrides in the fragment', async () => {
    const jar = new CookieJarClient();
    const state = JSON.stringify({ room: 'TenantRoom', roomSafe: 'tenantroom', tenant: 'acme', 'config.prejoinConfig.enabled': false, 'evil.key': 'x' });
    const q = new URLSearchParams({ room: 'TenantRoom', state, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' });
    const { back } = await logIn(jar, 'bob', `/oidc/auth?${q}`);
    const target = new URL(back.url);
    expect(target.pathname).toBe('/acme/TenantRoom');
    expect(target.hash).toBe('#config.prejoinConfig.enabled=false');
    expect(decodeJwt(target.searchParams.get('jwt')!)).toMatchObject({ room: 'tenantroom' });
  });

  it('the adapter\'s own front end: the provider returns to /static/oidc-adapter.html?path&search&hash, whose script calls /oidc/tokenize?code&path&search&hash (no state) and gets the JWT as a JSON string; a path other than the login\'s is refused', async () => {
    const jar = new CookieJarClient();
    const page = await jar.navigate(`${adapterEdge.url}/oidc/redirect?path=/adapterroom&search=lang%3Dde&hash=`);
    // Nobody logged in at the provider yet: the silent check comes back with an error, as the adapter's page expects.
    const silent = new URL(page.url);
    expect(silent.pathname).toBe('/static/oidc-adapter.html');
    expect(silent.searchParams.get('error')).toBe('login_required');
    const loginPage = await jar.navigate(`${adapterEdge.url}/oidc/auth?path=/adapterroom&search=lang%3Dde&hash=`);
    const back = await jar.submitForm(loginPage, { username: 'alice', password: USERS.alice.password }, {
      stopAt: (loc) => loc.startsWith(`${adapterEdge.url}/static/oidc-adapter.html`),
    });
    const q = new URL(back.url).searchParams;
    expect(q.get('path')).toBe('/adapterroom');
    // What the adapter's oidc-adapter.html sends: code, path, search, hash.
    const tokenize = (path: string) => `${adapterEdge.url}/oidc/tokenize?code=${q.get('code')}&path=${encodeURIComponent(path)}&search=${encodeURIComponent(q.get('search')!)}&hash=`;
    const wrongPath = await jar.fetch(tokenize('/elsewhere'));
    expect(wrongPath.status).toBe(400);
    expect((await wrongPath.json() as { error: { message: string } }).error.message).toMatch(/does not match the login in progress/);
    const res = await jar.fetch(tokenize('/adapterroom'), { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const token = await res.json() as string;
    expect(decodeJwt(token)).toMatchObject({ room: 'adapterroom', context: { user: { id: 'alice', moderator: true } } });
    expect(jar.cookie(COOKIE)).toBeUndefined();
  });

  describe('refused logins: a clear error, no token, no session', () => {
    /** Runs a login up to the provider's redirect back to /oidc/callback, without following it. */
    async function upToCallback(jar: CookieJarClient, path = '/negroom'): Promise<string> {
      const page = await jar.navigate(`${edge.url}/oidc/auth?path=${path}`);
      const back = await jar.submitForm(page, { username: 'bob', password: 'bob-pw' }, { stopAt: (loc) => loc.startsWith(`${edge.url}/oidc/callback`) });
      return back.url;
    }
    async function expectRefused(res: Response, status: number, message: RegExp): Promise<void> {
      const body = await res.text();
      expect(res.status, body).toBe(status);
      expect(res.headers.get('location')).toBeNull();
      expect(JSON.parse(body).error.message).toMatch(message);
      expect(body).not.toMatch(/jwt|eyJ/);
    }
    const cookieValue = (jar: CookieJarClient) => jar.cookie(COOKIE)!.value;

    it('a replayed callback: without the cookie (used up) 400; with the old cookie put back, the provider refuses the spent code (401 invalid_grant)', async () => {
      const jar = new CookieJarClient();
      const callback = await upToCallback(jar);
      const oldCookie = cookieValue(jar);
      const ok = await jar.fetch(callback);
      expect(ok.status).toBe(302);
      expect(new URL(ok.headers.get('location')!, edge.url).searchParams.has('jwt')).toBe(true);
      await expectRefused(await jar.fetch(callback), 400, /no login in progress/);
      jar.setCookie('127.0.0.1', COOKIE, oldCookie, '/oidc');
      await expectRefused(await jar.fetch(callback), 401, /refused the code exchange: invalid_grant/);
    });

    it('a forged state, a forged cookie, a cookie from another login: 400', async () => {
      const jar = new CookieJarClient();
      const callback = new URL(await upToCallback(jar));
      const forgedState = new URL(callback);
      forgedState.searchParams.set('state', 'forged-state-value-0123456789');
      await expectRefused(await jar.fetch(forgedState.href), 400, /state does not match/);
      const value = cookieValue(jar);
      jar.setCookie('127.0.0.1', COOKIE, `${value.split('.')[0]}x.${value.split('.')[1]}`, '/oidc');
      await expectRefused(await jar.fetch(callback.href), 400, /bad signature/);
      // Another browser's login cookie (validly signed) with this browser's callback.
      const otherJar = new CookieJarClient();
      await otherJar.fetch(`${edge.url}/oidc/auth?path=/negroom`);
      jar.setCookie('127.0.0.1', COOKIE, cookieValue(otherJar), '/oidc');
      await expectRefused(await jar.fetch(callback.href), 400, /state does not match/);
    });

    it('a login without its PKCE verifier: 400 before the provider is asked; with a wrong verifier the provider refuses (401)', async () => {
      const jar = new CookieJarClient();
      const callback = await upToCallback(jar);
      const state = await openLoginState(COOKIE_SECRET, cookieValue(jar));
      jar.setCookie('127.0.0.1', COOKIE, await sealLoginState(COOKIE_SECRET, { ...state, verifier: '' }), '/oidc');
      await expectRefused(await jar.fetch(callback), 400, /no PKCE code verifier/);
      jar.setCookie('127.0.0.1', COOKIE, await sealLoginState(COOKIE_SECRET, { ...state, verifier: 'w'.repeat(43) }), '/oidc');
      await expectRefused(await jar.fetch(callback), 401, /refused the code exchange: invalid_grant/);
    });

    it('an id_token whose nonce is not this login\'s: 401', async () => {
      const jar = new CookieJarClient();
      const callback = await upToCallback(jar);
      const state = await openLoginState(COOKIE_SECRET, cookieValue(jar));
      jar.setCookie('127.0.0.1', COOKIE, await sealLoginState(COOKIE_SECRET, { ...state, nonce: 'another-nonce-0123456789' }), '/oidc');
      await expectRefused(await jar.fetch(callback), 401, /nonce/);
    });

    it('an expired login cookie: 400', async () => {
      const jar = new CookieJarClient();
      const callback = await upToCallback(jar);
      const state = await openLoginState(COOKIE_SECRET, cookieValue(jar));
      jar.setCookie('127.0.0.1', COOKIE, await sealLoginState(COOKIE_SECRET, { ...state, exp: Math.floor(Date.now() / 1000) - 1 }), '/oidc');
      await expectRefused(await jar.fetch(callback), 400, /took too long/);
    });

    it('the provider\'s error response (access_denied) and an interactive login the user cancelled: 401 naming the error', async () => {
      const jar = new CookieJarClient();
      const start = await jar.fetch(`${edge.url}/oidc/auth?path=/negroom`);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      await expectRefused(await jar.fetch(`${edge.url}/oidc/callback?error=access_denied&error_description=User+said+no&state=${state}`), 401, /access_denied \(User said no\)/);
      // login_required is only the silent check's "nobody is logged in"; after prompt=login it is an error.
      await expectRefused(await jar.fetch(`${edge.url}/oidc/callback?error=login_required&state=${state}`), 401, /login_required/);
    });

    it('open redirects: other origins, protocol-relative, backslashes, schemes, dot segments, control characters, login routes: 400 before any redirect', async () => {
      const bad = ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/a/../../evil', '/%0d%0aSet-Cookie:x', '/x\r\nLocation: https://evil.example', '/oidc/auth', 'evil', ''];
      for (const path of bad) {
        const res = await fetch(`${edge.url}/oidc/auth?path=${encodeURIComponent(path)}`, { redirect: 'manual' });
        const body = await res.text();
        expect(res.status, `${path}: ${body}`).toBe(400);
        expect(res.headers.get('location'), path).toBeNull();
        expect(res.headers.get('set-cookie'), path).toBeNull();
      }
      const tenant = encodeURIComponent(JSON.stringify({ room: 'r', tenant: '/evil.example' }));
      expect((await fetch(`${edge.url}/oidc/auth?state=${tenant}`, { redirect: 'manual' })).status).toBe(400);
      // A percent-encoded slash stays inside one path segment, which is then no valid room name.
      const ok = await fetch(`${edge.url}/oidc/auth?path=${encodeURIComponent('/%2F%2Fevil.example')}`, { redirect: 'manual' });
      expect(ok.status).toBe(400);
    });
  });
});
