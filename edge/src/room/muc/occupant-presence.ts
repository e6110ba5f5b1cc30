/**
 * Builds the presence an occupant shows to others (XEP-0045 §7.2.3): the occupant's own presence
 * children (Jitsi extensions carried through untouched) plus the `muc#user` item with affiliation,
 * role and real JID (rooms are non-anonymous, as lib-jitsi-meet requires).
 * @module
 */
// Internal: not exported from the package entry.
import {
  MUC_STATUS, buildIdentity, buildOccupantPresence, mucExtensions, parseXml, serialize, xml, type Element,
} from '@edgemeet/protocol';
import type { OccupantRow } from '../store.ts';
import type { TokenContext } from '../../auth/token-context.ts';

/** XEP-0045 §15.6 status codes (protocol's). */
export const STATUS = MUC_STATUS;

export interface PresenceExtras {
  type?: 'unavailable';
  statuses?: readonly string[];
  /** Occupant the item is about after a nick change (303). */
  newNick?: string;
  actorNick?: string;
  reason?: string;
  /** Room destruction (XEP-0045 §10.9), with the alternate venue the owner named, if any. */
  destroy?: { reason?: string; jid?: string };
}

/**
 * Keeps what the client said in its presence, minus the MUC protocol elements the room owns and
 * any `<identity/>` (only the server vouches for identities); adds the token's identity if any,
 * as Prosody's presence_identity module does.
 */
export function storablePresence(presence: Element, token?: TokenContext): string {
  const kept = mucExtensions(presence).filter((c) => c.name !== 'identity');
  if (token) kept.push(buildIdentity(token.user));
  return serialize(xml('presence', null, ...kept));
}

const parsedCache = new WeakMap<OccupantRow, { source: string; children: Element[] }>();

function presenceChildren(occ: OccupantRow): Element[] {
  const cached = parsedCache.get(occ);
  if (cached && cached.source === occ.presence) return cached.children;
  const children = parseXml(occ.presence).getChildElements();
  parsedCache.set(occ, { source: occ.presence, children });
  return children;
}

/** The presence of `occ` as `to` sees it. */
export function occupantPresence(
  roomJid: string, occ: OccupantRow, affiliation: string, to: string, extras: PresenceExtras = {},
): Element {
  const unavailable = extras.type === 'unavailable';
  return buildOccupantPresence({
    from: `${roomJid}/${occ.nick}`, to, type: extras.type,
    // Shared child elements: serialization only reads them, so one parsed copy serves every recipient.
    extensions: unavailable ? undefined : presenceChildren(occ),
    user: {
      item: {
        affiliation, role: unavailable ? 'none' : occ.role, jid: occ.jid, nick: extras.newNick,
        actor: extras.actorNick || undefined, reason: extras.reason || undefined,
      },
      statuses: [...(extras.statuses ?? [])],
      destroy: extras.destroy ? { jid: extras.destroy.jid || undefined, reason: extras.destroy.reason || undefined } : undefined,
    },
  });
}
