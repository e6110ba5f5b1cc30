/**
 * Jitsi's room size limit (jitsi-meet's mod_muc_max_occupants, Prosody's `muc_max_occupants` and
 * `muc_access_whitelist`): a room holds at most `max` occupants who are not exempt; an exempt user
 * (the focus, and every listed domain or bare JID, e.g. a recorder's) neither counts nor is ever
 * refused. Whoever else would make the room exceed it is refused with cancel/service-unavailable
 * (the module's error, no text). Unset: no limit (the module is not loaded).
 * @module
 */
// Internal: not exported from the package entry.
import { bareJid } from '@edgemeet/protocol';

export interface OccupantLimit {
  /** Occupants (not exempt) a room may hold; null: unlimited. */
  readonly max: number | null;
  /** Domains and bare JIDs (lower-case) that are exempt (`muc_access_whitelist`). */
  readonly exempt: readonly string[];
}

/** Whether a real JID is exempt: its domain or its bare JID is listed. */
export function isExempt(limit: OccupantLimit, realJid: string): boolean {
  const bare = bareJid(realJid).toLowerCase();
  const domain = bare.slice(bare.indexOf('@') + 1);
  return limit.exempt.includes(bare) || limit.exempt.includes(domain);
}

/** Whether a newcomer with this real JID is refused because the room is full. */
export function isFullFor(limit: OccupantLimit, realJid: string, occupantJids: Iterable<string>): boolean {
  if (limit.max === null || isExempt(limit, realJid)) return false;
  let counted = 0;
  for (const jid of occupantJids) if (!isExempt(limit, jid)) counted += 1;
  return counted >= limit.max;
}
