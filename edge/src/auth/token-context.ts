/**
 * What a verified Jitsi JWT says about its holder (Prosody keeps the same in the session as
 * `jitsi_meet_context_user`, `_group`, `_features`): kept with the XMPP session, shown to others as
 * `<identity/>` and, for features, as `<permissions/>` in the holder's self-presence.
 * @module
 */
// Internal: not exported from the package entry.
import type { JWTPayload } from 'jose';

export interface TokenUser {
  readonly id?: string;
  readonly name?: string;
  readonly email?: string;
  readonly avatar?: string;
}

export interface TokenContext {
  /** Room the token is for, lower-case (`*`: any). */
  readonly room: string;
  readonly moderator: boolean;
  readonly user: TokenUser;
  readonly group?: string;
  /** `context.features` (recording, livestreaming, screen-sharing, …); absent when the token has none. */
  readonly features?: Readonly<Record<string, boolean>>;
  /** `context.user.lobby_bypass` is `true` (jitsi-contrib's token_lobby_bypass): past an active lobby. */
  readonly lobbyBypass?: true;
}

const MAX_FEATURES = 32;
const FEATURE_RE = /^[a-z][a-z0-9-]{0,39}$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : undefined);
const truthy = (v: unknown): boolean => v === true || v === 'true';
const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});

/** `context.features` as booleans (Jitsi tokens use true/false or "true"/"false"); unknown shapes are dropped. */
export function featuresOf(v: unknown): Record<string, boolean> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, boolean> = {};
  for (const [k, val] of Object.entries(v).slice(0, MAX_FEATURES)) {
    if (FEATURE_RE.test(k) && (typeof val === 'boolean' || val === 'true' || val === 'false')) out[k] = truthy(val);
  }
  return out;
}

/** The context of a verified payload; undefined without a usable `room` claim. */
export function tokenContextOf(payload: JWTPayload): TokenContext | undefined {
  const room = str(payload.room);
  if (!room) return undefined;
  const context = record(payload.context);
  const user = record(context.user);
  const features = featuresOf(context.features);
  return {
    room: room.toLowerCase(),
    moderator: truthy(payload.moderator) || truthy(user.moderator),
    user: { id: str(user.id), name: str(user.name), email: str(user.email), avatar: str(user.avatar) },
    ...(str(context.group) ? { group: str(context.group) } : {}),
    ...(features ? { features } : {}),
    // token_lobby_bypass compares with the boolean true only.
    ...(user.lobby_bypass === true ? { lobbyBypass: true as const } : {}),
  };
}
