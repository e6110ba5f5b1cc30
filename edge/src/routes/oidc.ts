/**
 * Login at the edge: the jitsi-keycloak-adapter's routes, path-compatible (jitsi-wire-protocol
 * §8.2), plus a callback of our own, so that a jitsi-meet front end set up for the adapter, one
 * using `tokenAuthUrl`, and our web app all work unchanged (docs/login.md):
 * - `GET /oidc/redirect?path&search&hash` silent check (`prompt=none`), `GET /oidc/auth?…`
 *   interactive login (`prompt=login`); both also take jitsi-meet's `?room={room}&state={state}`.
 *   They set the signed login cookie (login-cookie.ts) and redirect to the provider.
 * - `GET /oidc/callback` (OIDC_REDIRECT_PATH): the provider's redirect back; code → Jitsi JWT, then
 *   back to the return path with `?oidc=authorized&jwt=…` (or `oidc=unauthorized` when a silent
 *   check finds nobody logged in), as the adapter's page does.
 * - `GET /oidc/tokenize?code&path&search&hash`: for the adapter's own `oidc-adapter.html` (set
 *   OIDC_REDIRECT_PATH to it); answers the JWT as a JSON string.
 * - `GET /oidc/health`: `healthy`.
 * Anything else under /oidc is 404; other methods 405.
 * @module
 */
import { AppError } from '@edgemeet/protocol';
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import * as oidc from 'openid-client';
import type { AppBindings } from '../app-types.ts';
import { mapClaims } from '../auth/claim-mapping.ts';
import { clearCookieHeader, cookieName, openLoginState, sealLoginState, setCookieHeader, type LoginState } from '../auth/login-cookie.ts';
import { OidcClient } from '../auth/oidc-client.ts';
import { returnTarget, returnTargetFromTokenAuthState, returnUrl, type ReturnTarget } from '../auth/return-path.ts';
import { mintJitsiToken } from '../auth/token-minter.ts';
import type { LoginConfig } from '../config-auth.ts';

type C = Context<AppBindings>;

/** Errors a silent check (`prompt=none`) reports when nobody is logged in at the provider (OIDC Core §3.1.2.6). */
const SILENT_ERRORS = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);
const NO_STORE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

function loginConfig(c: C): LoginConfig {
  const login = c.var.config.login;
  if (!login) throw new AppError('not-found', 'login is not configured on this edge (OIDC_ISSUER_URL)');
  return login;
}

function publicOrigin(c: C, login: LoginConfig): { origin: string; secure: boolean } {
  const origin = login.publicUrl?.origin ?? new URL(c.req.url).origin;
  return { origin, secure: origin.startsWith('https:') };
}

/** The redirect_uri: our callback, or the adapter's page with the return target in its query, as the adapter builds it. */
function redirectUriFor(origin: string, login: LoginConfig, target: ReturnTarget): string {
  const url = new URL(login.redirectPath, origin);
  if (login.redirectPath !== '/oidc/callback') url.search = new URLSearchParams({ path: target.path, search: target.search, hash: target.hash }).toString();
  return url.href;
}

function targetOf(c: C): ReturnTarget {
  const q = (k: string) => c.req.query(k);
  const mucDomain = c.var.config.mucDomain;
  if (q('path') !== undefined) return returnTarget(q('path'), q('search'), q('hash'), mucDomain);
  if (q('room') !== undefined || q('state') !== undefined) return returnTargetFromTokenAuthState(q('room'), q('state'), mucDomain);
  return returnTarget('/', '', '', mucDomain);
}

async function start(c: C, prompt: 'none' | 'login'): Promise<Response> {
  const login = loginConfig(c);
  const target = targetOf(c);
  const { origin, secure } = publicOrigin(c, login);
  const redirectUri = redirectUriFor(origin, login, target);
  const state: LoginState = {
    state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(),
    room: target.room, path: target.path, search: target.search, hash: target.hash, prompt, redirectUri,
    exp: Math.floor(Date.now() / 1000) + login.loginTtlSeconds,
  };
  const url = await new OidcClient(login).authorizationUrl({
    redirectUri, state: state.state, nonce: state.nonce, codeChallenge: await oidc.calculatePKCECodeChallenge(state.verifier), prompt,
  });
  c.var.log.info('login.started', { room: target.room, prompt });
  return new Response(null, {
    status: 302,
    headers: { ...NO_STORE, location: url.href, 'set-cookie': setCookieHeader(cookieName(secure), await sealLoginState(login.cookieSecret, state), login.loginTtlSeconds, secure) },
  });
}

async function openState(c: C, login: LoginConfig, secure: boolean): Promise<LoginState> {
  const s = await openLoginState(login.cookieSecret, getCookie(c, cookieName(secure)));
  if (typeof s.verifier !== 'string' || !/^[A-Za-z0-9._~-]{43,128}$/.test(s.verifier)) {
    throw new AppError('bad-request', 'the login has no PKCE code verifier');
  }
  return s;
}

/** Code → claims → Jitsi JWT, for the room and identity of this login. */
async function tokenFor(c: C, login: LoginConfig, s: LoginState, params: URLSearchParams, state: string | undefined): Promise<string> {
  const claims = await new OidcClient(login).claims(params, { redirectUri: s.redirectUri, state, nonce: s.nonce, verifier: s.verifier });
  const identity = mapClaims(login.claims, login.defaultFeatures, claims);
  const { auth, domain } = c.var.config;
  const token = await mintJitsiToken(auth, domain, { room: s.room, ...identity });
  c.var.log.info('login.succeeded', { room: s.room, moderator: identity.moderator, user: identity.user.id });
  return token;
}

function providerError(params: URLSearchParams): AppError {
  const error = (params.get('error') ?? '').slice(0, 100);
  const description = params.get('error_description')?.slice(0, 200);
  return new AppError('not-authorized', `the OpenID provider answered with an error: ${error}${description ? ` (${description})` : ''}`);
}

async function callback(c: C): Promise<Response> {
  const login = loginConfig(c);
  const { secure } = publicOrigin(c, login);
  const s = await openState(c, login, secure);
  const params = new URL(c.req.url).searchParams;
  const target: ReturnTarget = { path: s.path, search: s.search, hash: s.hash, room: s.room };
  const clear = { 'set-cookie': clearCookieHeader(cookieName(secure), secure) };
  if (params.get('state') !== s.state) throw new AppError('bad-request', 'the login state does not match this browser\'s login (replayed or forged)');
  if (params.has('error')) {
    if (s.prompt === 'none' && SILENT_ERRORS.has(params.get('error') ?? '')) {
      return new Response(null, { status: 302, headers: { ...NO_STORE, ...clear, location: returnUrl(target, { oidc: 'unauthorized' }) } });
    }
    throw providerError(params);
  }
  const token = await tokenFor(c, login, s, params, s.state);
  return new Response(null, { status: 302, headers: { ...NO_STORE, ...clear, location: returnUrl(target, { oidc: 'authorized', jwt: token }) } });
}

/** The adapter's tokenize: its page passes code, path, search and hash (not state); PKCE binds the code to this browser's login. */
async function tokenize(c: C): Promise<Response> {
  const login = loginConfig(c);
  const { secure } = publicOrigin(c, login);
  const s = await openState(c, login, secure);
  const code = c.req.query('code');
  if (!code) throw new AppError('bad-request', 'code is required');
  const target = returnTarget(c.req.query('path'), c.req.query('search'), c.req.query('hash'), c.var.config.mucDomain);
  if (target.path !== s.path || target.search !== s.search || target.hash !== s.hash) {
    throw new AppError('bad-request', 'the return path does not match the login in progress');
  }
  const state = c.req.query('state');
  if (state !== undefined && state !== s.state) throw new AppError('bad-request', 'the login state does not match this browser\'s login (replayed or forged)');
  const params = new URLSearchParams({ code, ...(state ? { state } : {}) });
  const iss = c.req.query('iss');
  // The adapter's page drops `iss` (RFC 9207); with one configured provider the mix-up it guards against cannot happen.
  params.set('iss', iss ?? await new OidcClient(login).issuer());
  const token = await tokenFor(c, login, s, params, state);
  return c.json(token, 200, { ...NO_STORE, 'set-cookie': clearCookieHeader(cookieName(secure), secure) });
}

export const oidcRoutes = new Hono<AppBindings>()
  .get('/oidc/health', (c) => {
    loginConfig(c);
    return c.text('healthy');
  })
  .get('/oidc/redirect', (c) => start(c, 'none'))
  .get('/oidc/auth', (c) => start(c, 'login'))
  .get('/oidc/callback', callback)
  .get('/oidc/tokenize', tokenize)
  .all('/oidc/*', (c) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') throw new AppError('not-found', 'no such login route');
    throw new AppError('not-allowed', 'login routes answer GET only');
  });
