/**
 * XEP-0045 presence as Jitsi uses it (jitsi-wire-protocol §3.1–3.3): the join a client sends
 * (`<x xmlns=muc>` with an optional password), presence updates and leaves, and the presence a
 * room sends about an occupant (`<x xmlns=muc#user>` with the item, status codes, a destroy notice).
 * A presence's other children (Jitsi's extensions, see jitsi/presence-extensions.ts) travel as
 * `extensions`, untouched.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_CLIENT, NS_MUC, NS_MUC_USER } from '../xml/namespaces.ts';

export type MucAffiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type MucRole = 'moderator' | 'participant' | 'visitor' | 'none';

/** XEP-0045 §15.6 status codes used here. */
export const MUC_STATUS = {
  NON_ANONYMOUS: '100',
  CONFIG_CHANGED: '104',
  SELF: '110',
  CREATED: '201',
  BANNED: '301',
  NICK_CHANGED: '303',
  KICKED: '307',
  AFFILIATION_CHANGED: '321',
  MEMBERS_ONLY: '322',
  SHUTDOWN: '332',
} as const;

/** A muc#user or muc#admin `<item/>` (XEP-0045 §7.2.3, §9). */
export interface MucItem {
  affiliation?: string;
  role?: string;
  /** The occupant's real JID (full in presence, bare in affiliation changes). */
  jid?: string;
  nick?: string;
  /** Nick of the occupant who caused the change (`<actor nick/>`). */
  actor?: string;
  reason?: string;
}

/** The `<x xmlns=muc#user/>` of a presence from a room. */
export interface MucUser {
  item?: MucItem;
  statuses: string[];
  /** Room destruction (XEP-0045 §10.9). */
  destroy?: { jid?: string; reason?: string };
}

export function buildMucItem(i: MucItem): Element {
  return xml('item', { affiliation: i.affiliation, role: i.role, jid: i.jid, nick: i.nick },
    i.actor !== undefined ? xml('actor', { nick: i.actor }) : null,
    i.reason !== undefined ? xml('reason', null, i.reason) : null);
}

export function parseMucItem(el: Element): MucItem {
  const item: MucItem = {};
  for (const key of ['affiliation', 'role', 'jid', 'nick'] as const) {
    const v = el.attrs[key];
    if (typeof v === 'string') item[key] = v;
  }
  const actor = el.getChild('actor')?.attrs.nick;
  if (typeof actor === 'string') item.actor = actor;
  const reason = el.getChildText('reason');
  if (reason !== null) item.reason = reason;
  return item;
}

export function buildMucUser(u: MucUser): Element {
  return xml('x', { xmlns: NS_MUC_USER },
    u.item ? buildMucItem(u.item) : null,
    ...u.statuses.map((code) => xml('status', { code })),
    u.destroy ? xml('destroy', { jid: u.destroy.jid }, u.destroy.reason !== undefined ? xml('reason', null, u.destroy.reason) : null) : null);
}

/** The muc#user part of a presence (or message); undefined when it has none. */
export function parseMucUser(stanza: Element): MucUser | undefined {
  const x = stanza.getChild('x', NS_MUC_USER);
  if (!x) return undefined;
  const user: MucUser = { statuses: x.getChildren('status').map((s) => String(s.attrs.code ?? '')).filter((c) => c !== '') };
  const item = x.getChild('item');
  if (item) user.item = parseMucItem(item);
  const destroy = x.getChild('destroy');
  if (destroy) {
    user.destroy = {};
    if (typeof destroy.attrs.jid === 'string') user.destroy.jid = destroy.attrs.jid;
    const reason = destroy.getChildText('reason');
    if (reason !== null) user.destroy.reason = reason;
  }
  return user;
}

/** What a client sends to `room/nick` (XEP-0045 §7.2, §7.14: the same without `join` updates). */
export interface MucClientPresence {
  /** `room@service/nick`. */
  to: string;
  /** A join carries `<x xmlns=muc/>` (with the room password, if any). */
  join?: { password?: string };
  extensions?: Element[];
}

/**
 * @example
 * buildMucPresence({ to: 'r1@conference.meet.jitsi/a1b2c3d4', join: {}, extensions: buildJitsiPresence({ nick: 'Alice' }) });
 */
export function buildMucPresence(p: MucClientPresence): Element {
  return xml('presence', { to: p.to },
    p.join ? xml('x', { xmlns: NS_MUC }, p.join.password !== undefined ? xml('password', null, p.join.password) : null) : null,
    ...(p.extensions ?? []));
}

/** Reads a client's presence to a room: join (and password) and the other children, minus MUC elements. */
export function parseMucPresence(presence: Element): MucClientPresence {
  const p: MucClientPresence = { to: String(presence.attrs.to ?? ''), extensions: mucExtensions(presence) };
  const x = presence.getChild('x', NS_MUC);
  if (x) {
    p.join = {};
    const password = x.getChildText('password');
    if (password !== null) p.join.password = password;
  }
  return p;
}

/** Leaving a room (XEP-0045 §7.14). */
export function buildMucLeave(to: string): Element {
  return xml('presence', { to, type: 'unavailable' });
}

/** A presence's children other than the MUC protocol's own (`x` in muc or muc#user). */
export function mucExtensions(presence: Element): Element[] {
  return presence.getChildElements().filter((c) => !(c.name === 'x' && (c.attrs.xmlns === NS_MUC || c.attrs.xmlns === NS_MUC_USER)));
}

/** The presence a room sends about an occupant (XEP-0045 §7.2.3): from its occupant JID. */
export interface OccupantPresence {
  /** `room@service/nick`. */
  from: string;
  to: string;
  type?: 'unavailable';
  /** The occupant's own presence children (empty when unavailable). */
  extensions?: Element[];
  user: MucUser;
}

/**
 * The children in `extensions` are appended as they are, not copied: one parsed list can serve
 * every recipient, as serialization only reads them.
 *
 * @example
 * buildOccupantPresence({ from: 'r1@conference.meet.jitsi/bob', to: aliceJid,
 *   user: { item: { affiliation: 'none', role: 'participant', jid: bobJid }, statuses: [] } });
 */
export function buildOccupantPresence(p: OccupantPresence): Element {
  const presence = xml('presence', { xmlns: NS_CLIENT, from: p.from, to: p.to, type: p.type });
  if (p.extensions) presence.children.push(...p.extensions);
  presence.children.push(buildMucUser(p.user));
  return presence;
}

/** Reads a presence from a room; the muc#user part is empty when absent. */
export function parseOccupantPresence(presence: Element): OccupantPresence {
  const p: OccupantPresence = {
    from: String(presence.attrs.from ?? ''), to: String(presence.attrs.to ?? ''), extensions: mucExtensions(presence),
    user: parseMucUser(presence) ?? { statuses: [] },
  };
  if (presence.attrs.type === 'unavailable') p.type = 'unavailable';
  return p;
}
