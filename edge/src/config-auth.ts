/**
 * The login part of the edge configuration (docs/configuration.md, "Logins and tokens"): which
 * tokens rooms accept and from whom (Prosody's token authentication), the room policy (anonymous,
 * token required, secure domain with guests), the Jitsi JWTs the edge mints, and the OpenID
 * Provider the `/oidc/*` routes log in with. Parsed once, with everything else, by parseEdgeConfig.
 * @module
 */
// Internal: not exported from the package entry.
import { ConfigProblems, boolOf, checkedUrl, intOf, listOf, str, urlOf, type Raw } from './config-values.ts';

/**
 * `anonymous`: anyone may log in and create rooms (a token, when given, is verified and honoured);
 * `token`: every login needs a valid token; `guests`: a secure domain with guests, where only token
 * holders create rooms and anonymous guests (on the guest domain) join rooms that exist.
 */
export type AuthPolicy = 'anonymous' | 'token' | 'guests';

/** Asymmetric algorithms a token may be signed with (never `none`, never HS* with a public key). */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

/** A private JWK from JWT_SIGNING_JWKS (the first one signs; all are published). */
export interface SigningJwk {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly jwk: Readonly<Record<string, unknown>>;
}

export interface TokenAuthConfig {
  readonly policy: AuthPolicy;
  /** Jitsi's `hosts.anonymousdomain`: the XMPP domain guests log in to (policy `guests` only). */
  readonly guestDomain: string | undefined;
  /** Prosody's app_id: the issuer of the tokens this edge mints, accepted by default. */
  readonly appId: string | undefined;
  /** Prosody's app_secret: HS256 key (minting and verifying). */
  readonly appSecret: string | undefined;
  /** Private keys for asymmetric minting, published at `/.well-known/jwks.json`. */
  readonly signingKeys: readonly SigningJwk[];
  /** JWKS URLs of other token issuers. */
  readonly jwksUrls: readonly URL[];
  /** Jitsi's asap_key_server: public keys at `<url>/<sha256hex(kid)>.pem`. */
  readonly asapKeyServer: URL | undefined;
  readonly acceptedIssuers: readonly string[];
  /** Accepted `aud` values; `*` accepts any. */
  readonly acceptedAudiences: readonly string[];
  /** Asymmetric algorithms accepted from JWKS and key servers. */
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  /** A JWKS is fetched again for an unknown kid at most this often. */
  readonly jwksCooldownSeconds: number;
  /** Lifetime of the tokens the edge mints. */
  readonly tokenTtlSeconds: number;
  /** True when at least one way of verifying tokens is configured. */
  readonly verifying: boolean;
}

export interface ClaimMapping {
  /** Claim (dotted path) for `context.user.id`. */
  readonly id: string;
  /** Claims tried in order for the display name. */
  readonly name: readonly string[];
  readonly email: string;
  readonly avatar: string;
  /** Claim (dotted path, e.g. `groups` or `realm_access.roles`) whose values may make a moderator. */
  readonly moderator: string;
  /** Values of that claim that make a moderator (a leading `/`, Keycloak's group path, is ignored). */
  readonly moderatorValues: readonly string[];
  /** Claim holding `context.features`: an object of booleans, or an array of feature names. */
  readonly features: string;
}

export interface LoginConfig {
  /** The OpenID Provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: URL;
  readonly clientId: string;
  /** Confidential clients; unset: a public client (PKCE only). */
  readonly clientSecret: string | undefined;
  /** HMAC key of the login cookie. */
  readonly cookieSecret: string;
  readonly scopes: string;
  /** Where the provider sends the browser back (same origin). */
  readonly redirectPath: string;
  /** Public base URL of the edge; unset: the request's origin. */
  readonly publicUrl: URL | undefined;
  /** Bounded wait for every request to the provider. */
  readonly timeoutMs: number;
  /** How long a login may take from redirect to callback. */
  readonly loginTtlSeconds: number;
  readonly claims: ClaimMapping;
  /** `context.features` every logged-in user gets unless the features claim says otherwise. */
  readonly defaultFeatures: Readonly<Record<string, boolean>>;
}

const FEATURE_RE = /^[a-z][a-z0-9-]{0,39}$/;
const CLAIM_RE = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;

function signingKeysOf(raw: Raw, p: ConfigProblems): SigningJwk[] {
  const s = str(raw, 'JWT_SIGNING_JWKS');
  if (s === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    p.add('JWT_SIGNING_JWKS', 'expected a JSON JWK set {"keys":[...]}');
    return [];
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    p.add('JWT_SIGNING_JWKS', 'expected a JSON JWK set with at least one key');
    return [];
  }
  const out: SigningJwk[] = [];
  for (const k of keys as Record<string, unknown>[]) {
    const { kid, alg, d } = k;
    if (typeof kid !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(kid)) p.add('JWT_SIGNING_JWKS', 'every key needs a kid (letters, digits, . _ -)');
    else if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'EdDSA') p.add('JWT_SIGNING_JWKS', `key ${kid}: alg must be RS256, ES256 or EdDSA`);
    else if (typeof d !== 'string') p.add('JWT_SIGNING_JWKS', `key ${kid}: a private key is required`);
    else out.push({ kid, alg, jwk: Object.freeze({ ...k }) });
  }
  if (new Set(out.map((k) => k.kid)).size !== out.length) p.add('JWT_SIGNING_JWKS', 'kids must be unique');
  return out;
}

function policyOf(raw: Raw, verifying: boolean, p: ConfigProblems): AuthPolicy {
  const allowAnonymous = boolOf(raw, 'JWT_ALLOW_ANONYMOUS', false, p);
  const s = str(raw, 'AUTH_POLICY');
  if (s === undefined) return verifying && !allowAnonymous ? 'token' : 'anonymous';
  if (s !== 'anonymous' && s !== 'token' && s !== 'guests') {
    p.add('AUTH_POLICY', 'expected anonymous, token or guests');
    return 'anonymous';
  }
  if (s !== 'anonymous' && !verifying) p.add('AUTH_POLICY', `${s} needs a way to verify tokens (JWT_APP_SECRET, JWT_SIGNING_JWKS, JWT_JWKS_URLS or JWT_ASAP_KEY_SERVER)`);
  return s;
}

export function parseTokenAuthConfig(raw: Raw, domain: string, domainOf: (key: string, fallback: string) => string, p: ConfigProblems): TokenAuthConfig {
  const appId = str(raw, 'JWT_APP_ID');
  const appSecret = str(raw, 'JWT_APP_SECRET');
  if (appSecret !== undefined && appSecret.length < 32) p.add('JWT_APP_SECRET', 'must be at least 32 characters');
  const signingKeys = signingKeysOf(raw, p);
  if ((appSecret !== undefined || signingKeys.length > 0) && appId === undefined) p.add('JWT_APP_ID', 'required with JWT_APP_SECRET or JWT_SIGNING_JWKS');
  if (appId !== undefined && appSecret === undefined && signingKeys.length === 0 && str(raw, 'JWT_JWKS_URLS') === undefined && str(raw, 'JWT_ASAP_KEY_SERVER') === undefined) {
    p.add('JWT_APP_SECRET', 'JWT_APP_ID needs JWT_APP_SECRET or JWT_SIGNING_JWKS (or a JWKS URL / key server to verify with)');
  }
  const jwksUrls = listOf(raw, 'JWT_JWKS_URLS', []).map((u) => checkedUrl(u, 'JWT_JWKS_URLS', p)).filter((u): u is URL => u !== undefined);
  const asapKeyServer = urlOf(raw, 'JWT_ASAP_KEY_SERVER', p);
  const verifying = appSecret !== undefined || signingKeys.length > 0 || jwksUrls.length > 0 || asapKeyServer !== undefined;
  const acceptedIssuers = listOf(raw, 'JWT_ACCEPTED_ISSUERS', appId ? [appId] : []);
  if (verifying && acceptedIssuers.length === 0) p.add('JWT_ACCEPTED_ISSUERS', 'required when JWT_APP_ID is unset');
  const algorithms = listOf(raw, 'JWT_ALGORITHMS', ['RS256', 'ES256', 'EdDSA']);
  const bad = algorithms.filter((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if (bad.length > 0) p.add('JWT_ALGORITHMS', `only asymmetric algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')}); HS256 is implied by JWT_APP_SECRET; got ${bad.join(',')}`);
  const policy = policyOf(raw, verifying, p);
  return {
    policy,
    guestDomain: policy === 'guests' ? domainOf('GUEST_DOMAIN', `guest.${domain}`) : undefined,
    appId, appSecret, signingKeys, jwksUrls, asapKeyServer, acceptedIssuers,
    acceptedAudiences: listOf(raw, 'JWT_ACCEPTED_AUDIENCES', ['*']),
    algorithms,
    clockSkewSeconds: intOf(raw, 'JWT_CLOCK_SKEW_SECONDS', 30, 0, 300, p),
    jwksCooldownSeconds: intOf(raw, 'JWT_JWKS_COOLDOWN_SECONDS', 30, 1, 3600, p),
    tokenTtlSeconds: intOf(raw, 'JWT_TOKEN_TTL_SECONDS', 3600, 60, 86_400, p),
    verifying,
  };
}

function claimOf(raw: Raw, key: string, fallback: string, p: ConfigProblems): string {
  const v = str(raw, key) ?? fallback;
  if (!CLAIM_RE.test(v)) p.add(key, 'expected a claim name or dotted path (realm_access.roles)');
  return v;
}

function featuresOf(raw: Raw, p: ConfigProblems): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const f of listOf(raw, 'OIDC_DEFAULT_FEATURES', [])) {
    if (!FEATURE_RE.test(f)) p.add('OIDC_DEFAULT_FEATURES', `not a feature name: ${JSON.stringify(f)}`);
    else out[f] = true;
  }
  return Object.freeze(out);
}

/** OIDC login at the edge; undefined when OIDC_ISSUER_URL is unset. */
export function parseLoginConfig(raw: Raw, auth: TokenAuthConfig, p: ConfigProblems): LoginConfig | undefined {
  const issuer = urlOf(raw, 'OIDC_ISSUER_URL', p);
  if (issuer === undefined) return undefined;
  const clientId = str(raw, 'OIDC_CLIENT_ID');
  if (clientId === undefined) p.add('OIDC_CLIENT_ID', 'required with OIDC_ISSUER_URL');
  const cookieSecret = str(raw, 'OIDC_COOKIE_SECRET');
  if (cookieSecret === undefined || cookieSecret.length < 32) p.add('OIDC_COOKIE_SECRET', 'required with OIDC_ISSUER_URL, at least 32 characters');
  if (auth.appId === undefined || (auth.appSecret === undefined && auth.signingKeys.length === 0)) {
    p.add('OIDC_ISSUER_URL', 'logins mint Jitsi JWTs: set JWT_APP_ID and JWT_APP_SECRET or JWT_SIGNING_JWKS');
  }
  const redirectPath = str(raw, 'OIDC_REDIRECT_PATH') ?? '/oidc/callback';
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(redirectPath) || redirectPath.startsWith('//')) p.add('OIDC_REDIRECT_PATH', 'expected a path such as /oidc/callback');
  const moderatorValues = listOf(raw, 'OIDC_MODERATOR_VALUES', ['moderators']).map((v) => v.replace(/^\//, ''));
  return {
    issuer,
    clientId: clientId ?? '',
    clientSecret: str(raw, 'OIDC_CLIENT_SECRET'),
    cookieSecret: cookieSecret ?? '',
    scopes: str(raw, 'OIDC_SCOPES') ?? 'openid profile email',
    redirectPath,
    publicUrl: urlOf(raw, 'PUBLIC_URL', p),
    timeoutMs: intOf(raw, 'OIDC_TIMEOUT_MS', 5000, 100, 60_000, p),
    loginTtlSeconds: intOf(raw, 'OIDC_LOGIN_TTL_SECONDS', 600, 30, 3600, p),
    claims: Object.freeze({
      id: claimOf(raw, 'OIDC_CLAIM_ID', 'sub', p),
      name: listOf(raw, 'OIDC_CLAIM_NAME', ['name', 'preferred_username']),
      email: claimOf(raw, 'OIDC_CLAIM_EMAIL', 'email', p),
      avatar: claimOf(raw, 'OIDC_CLAIM_AVATAR', 'picture', p),
      moderator: claimOf(raw, 'OIDC_MODERATOR_CLAIM', 'groups', p),
      moderatorValues: Object.freeze(moderatorValues),
      features: claimOf(raw, 'OIDC_FEATURES_CLAIM', 'jitsi_features', p),
    }),
    defaultFeatures: featuresOf(raw, p),
  };
}
