/**
 * Turns the provider's claims (the validated id_token, overlaid with userinfo) into the Jitsi
 * token's `context.user`, moderator flag and `context.features`, as configured by the OIDC_CLAIM_*
 * keys (docs/login.md). Claims are read by dotted path (`realm_access.roles`).
 * @module
 */
// Internal: not exported from the package entry.
import type { ClaimMapping } from '../config-auth.ts';
import { featuresOf, type TokenUser } from './token-context.ts';

export interface MappedIdentity {
  readonly user: TokenUser;
  readonly moderator: boolean;
  readonly features: Readonly<Record<string, boolean>>;
}

const MAX_CLAIM = 512;

export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let v: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= MAX_CLAIM ? v : undefined);

function values(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/[\s,]+/).filter((s) => s.length > 0);
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
  return [];
}

/** `context.features` from the claim: an object of booleans, or an array of granted names. */
function featuresFrom(v: unknown, defaults: Readonly<Record<string, boolean>>): Record<string, boolean> {
  if (Array.isArray(v)) return { ...defaults, ...featuresOf(Object.fromEntries(values(v).map((f) => [f, true]))) };
  return { ...defaults, ...featuresOf(v) };
}

export function mapClaims(mapping: ClaimMapping, defaults: Readonly<Record<string, boolean>>, claims: Record<string, unknown>): MappedIdentity {
  const name = mapping.name.map((c) => text(claimAt(claims, c))).find((v) => v !== undefined);
  const avatar = text(claimAt(claims, mapping.avatar));
  const wanted = new Set(mapping.moderatorValues);
  const moderator = values(claimAt(claims, mapping.moderator)).some((v) => wanted.has(v.replace(/^\//, '')));
  return {
    user: {
      id: text(claimAt(claims, mapping.id)),
      name,
      email: text(claimAt(claims, mapping.email)),
      avatar: avatar && /^https:\/\//.test(avatar) ? avatar : undefined,
    },
    moderator,
    features: featuresFrom(claimAt(claims, mapping.features), defaults),
  };
}
