/**
 * The edge as an OpenID Connect relying party, on openid-client (fetch and WebCrypto only, so it
 * runs in workerd): discovery from the issuer URL (cached per isolate, a failure is not), the
 * authorization URL (code flow, PKCE S256, state, nonce, `prompt`), and the callback: code → tokens
 * at the token endpoint (client_secret_basic, or a public client), the id_token validated (iss,
 * aud, exp, nonce, and its signature against the provider's JWKS), then userinfo (sub must match).
 * Every request to the provider is bounded by OIDC_TIMEOUT_MS. Failures become AppErrors with a
 * message that says what went wrong: 401 refused or invalid, 503 unreachable, 504 too slow.
 * @module
 */
// Internal: not exported from the package entry.
import { AppError } from '@edgemeet/protocol';
import * as oidc from 'openid-client';
import type { LoginConfig } from '../config-auth.ts';
import { isLoopbackHost } from '../config-values.ts';

export interface AuthorizationRequest {
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeChallenge: string;
  readonly prompt: 'none' | 'login';
}

export interface CallbackChecks {
  readonly redirectUri: string;
  /** The state the callback must carry; `undefined` when the front end does not pass it on (adapter pages), PKCE then binds the code. */
  readonly state: string | undefined;
  readonly nonce: string;
  readonly verifier: string;
}

const configurations = new Map<string, Promise<oidc.Configuration>>();

/** Timeouts and unreachable providers as typed errors, raised inside openid-client's fetches. */
function boundedFetch(timeoutMs: number): oidc.CustomFetch {
  return async (url, options) => {
    try {
      return await fetch(url, { ...options, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new AppError('timeout', `the OpenID provider did not answer within ${timeoutMs} ms`, { cause: err });
      }
      throw new AppError('service-unavailable', 'the OpenID provider cannot be reached', { cause: err });
    }
  };
}

function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && out.length < 5; e = e instanceof Error ? e.cause : undefined) out.push(e);
  return out;
}

/** Maps openid-client's errors onto AppErrors (once, here). */
function classify(err: unknown, step: string): AppError {
  const chain = causeChain(err);
  const app = chain.find((e): e is AppError => e instanceof AppError);
  if (app) return app;
  if (err instanceof oidc.ResponseBodyError) {
    return new AppError('not-authorized', `the OpenID provider refused the ${step}: ${err.error}${err.error_description ? ` (${err.error_description.slice(0, 200)})` : ''}`, { cause: err });
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    return new AppError('not-authorized', `the OpenID provider answered with an error: ${err.error}`, { cause: err });
  }
  const detail = chain.map((e) => (e instanceof Error ? e.message : String(e))).filter((m, i, all) => all.indexOf(m) === i).join(': ');
  // Without a usable discovery document no login can start: the provider is unavailable, not the user refused.
  if (step === 'discovery') return new AppError('service-unavailable', `the OpenID provider's discovery failed: ${detail.slice(0, 300)}`, { cause: err });
  return new AppError('not-authorized', `the ${step} failed validation: ${detail.slice(0, 300)}`, { cause: err });
}

export class OidcClient {
  readonly #config: LoginConfig;

  constructor(config: LoginConfig) {
    this.#config = config;
  }

  #configuration(): Promise<oidc.Configuration> {
    const c = this.#config;
    const cacheKey = `${c.issuer.href}|${c.clientId}`;
    let pending = configurations.get(cacheKey);
    if (!pending) {
      const insecure = c.issuer.protocol === 'http:' && isLoopbackHost(c.issuer.hostname);
      const auth = c.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(c.clientSecret);
      pending = oidc.discovery(c.issuer, c.clientId, undefined, auth, {
        [oidc.customFetch]: boundedFetch(c.timeoutMs),
        execute: [...(insecure ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
      }).catch((err: unknown) => {
        configurations.delete(cacheKey);
        throw classify(err, 'discovery');
      });
      configurations.set(cacheKey, pending);
    }
    return pending;
  }

  /** The provider's issuer identifier, as discovered. */
  async issuer(): Promise<string> {
    return (await this.#configuration()).serverMetadata().issuer;
  }

  async authorizationUrl(r: AuthorizationRequest): Promise<URL> {
    const config = await this.#configuration();
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: r.redirectUri, response_type: 'code', scope: this.#config.scopes, state: r.state, nonce: r.nonce,
      code_challenge: r.codeChallenge, code_challenge_method: 'S256', prompt: r.prompt,
    });
  }

  /**
   * openid-client sends the callback URL without its query as the token request's redirect_uri;
   * the adapter's redirect URI has one (`?path&search&hash`), and RFC 6749 §4.1.3 wants it
   * exactly as in the authorization request. For such URIs a per-exchange configuration (from the
   * cached metadata, no network) puts the whole URI back into the token request.
   */
  #exchangeConfiguration(base: oidc.Configuration, redirectUri: string): oidc.Configuration {
    if (!new URL(redirectUri).search) return base;
    const c = this.#config;
    const auth = c.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(c.clientSecret);
    const config = new oidc.Configuration(base.serverMetadata(), c.clientId, undefined, auth);
    const tokenEndpoint = base.serverMetadata().token_endpoint;
    const bounded = boundedFetch(c.timeoutMs);
    config[oidc.customFetch] = (url, options) => {
      if (url === tokenEndpoint && options.body instanceof URLSearchParams) options.body.set('redirect_uri', redirectUri);
      return bounded(url, options);
    };
    if (c.issuer.protocol === 'http:' && isLoopbackHost(c.issuer.hostname)) oidc.allowInsecureRequests(config);
    oidc.enableNonRepudiationChecks(config);
    return config;
  }

  /** Exchanges the code of a callback; resolves with the id_token claims overlaid by userinfo. */
  async claims(callbackParams: URLSearchParams, checks: CallbackChecks): Promise<Record<string, unknown>> {
    const config = this.#exchangeConfiguration(await this.#configuration(), checks.redirectUri);
    const current = new URL(checks.redirectUri);
    for (const [k, v] of callbackParams) current.searchParams.append(k, v);
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: checks.verifier, expectedNonce: checks.nonce, idTokenExpected: true,
        expectedState: checks.state ?? oidc.skipStateCheck,
      });
    } catch (err) {
      throw classify(err, 'code exchange');
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new AppError('not-authorized', 'the OpenID provider returned no id_token');
    let userinfo: Record<string, unknown> = {};
    if (config.serverMetadata().userinfo_endpoint) {
      try {
        userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      } catch (err) {
        throw classify(err, 'userinfo request');
      }
    }
    return { ...idClaims, ...userinfo };
  }
}
