/**
 * Builds the presence an occupant shows to others (XEP-0045 §7.2.3): the occupant's own presence
 * children (Jitsi extensions carried through untouched) plus the `muc#user` item with affiliation,
 * role and real JID (rooms are non-anonymous, as lib-jitsi-meet requires).
 * @module
 */
// Internal: not exported from the package entry.
import { NS_CLIENT, NS_MUC, NS_MUC_USER, parseXml, serialize, xml, type Element } from '@edgemeet/protocol';
import type { OccupantRow } from '../store.ts';
import type { TokenContext } from '../../xmpp/token-context.ts';

/** XEP-0045 §15.6 status codes used here. */
export const STATUS = {
  NON_ANONYMOUS: '100',
  SELF: '110',
  CREATED: '201',
  BANNED: '301',
  NICK_CHANGED: '303',
  KICKED: '307',
  AFFILIATION_CHANGED: '321',
  MEMBERS_ONLY: '322',
  SHUTDOWN: '332',
} as const;

export interface PresenceExtras {
  type?: 'unavailable';
  statuses?: readonly string[];
  /** Occupant the item is about after a nick change (303). */
  newNick?: string;
  actorNick?: string;
  reason?: string;
  /** Room destruction (XEP-0045 §10.9). */
  destroy?: { reason?: string };
}

/**
 * The `<identity/>` Prosody's presence_identity module adds for token users: `<user>` with id,
 * name, email and avatar from the token's `context.user`.
 */
export function identityElement(token: TokenContext): Element {
  const { id, name, email, avatar } = token.user;
  const fields = Object.entries({ id, name, email, avatar }).filter((e): e is [string, string] => e[1] !== undefined);
  return xml('identity', null, xml('user', null, ...fields.map(([k, v]) => xml(k, null, v))));
}

/**
 * Keeps what the client said in its presence, minus the MUC protocol elements the room owns and
 * any `<identity/>` (only the server vouches for identities); adds the token's identity if any.
 */
export function storablePresence(presence: Element, token?: TokenContext): string {
  const kept = presence.children.filter(
    (c): c is Element => typeof c !== 'string' && c.name !== 'identity'
      && !(c.name === 'x' && (c.attrs.xmlns === NS_MUC || c.attrs.xmlns === NS_MUC_USER)),
  );
  if (token) kept.push(identityElement(token));
  return serialize(xml('presence', null, ...kept));
}

const parsedCache = new WeakMap<OccupantRow, { source: string; children: Element[] }>();

function presenceChildren(occ: OccupantRow): Element[] {
  const cached = parsedCache.get(occ);
  if (cached && cached.source === occ.presence) return cached.children;
  const children = parseXml(occ.presence).children.filter((c): c is Element => typeof c !== 'string');
  parsedCache.set(occ, { source: occ.presence, children });
  return children;
}

/** The presence of `occ` as `to` sees it. */
export function occupantPresence(
  roomJid: string, occ: OccupantRow, affiliation: string, to: string, extras: PresenceExtras = {},
): Element {
  const role = extras.type === 'unavailable' ? 'none' : occ.role;
  const item = xml('item', { affiliation, role, jid: occ.jid, nick: extras.newNick },
    extras.actorNick ? xml('actor', { nick: extras.actorNick }) : null,
    extras.reason ? xml('reason', null, extras.reason) : null);
  const x = xml('x', { xmlns: NS_MUC_USER }, item,
    ...(extras.statuses ?? []).map((code) => xml('status', { code })),
    extras.destroy ? xml('destroy', { jid: roomJid }, extras.destroy.reason ? xml('reason', null, extras.destroy.reason) : null) : null);
  const presence = xml('presence', { xmlns: NS_CLIENT, from: `${roomJid}/${occ.nick}`, to, type: extras.type });
  // Shared child elements: serialization only reads them, so one parsed copy serves every recipient.
  if (extras.type !== 'unavailable') presence.children.push(...presenceChildren(occ));
  presence.children.push(x);
  return presence;
}
