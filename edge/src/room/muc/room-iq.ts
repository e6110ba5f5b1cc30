/**
 * IQs addressed to the room itself: disco (XEP-0045 §6.4), muc#admin (§8–9) and muc#owner
 * (§10), and ping. Permission rules of XEP-0045 are checked here; state changes go through
 * {@link MucRoom}.
 * @module
 */
// Internal: not exported from the package entry.
import {
  IqRouter, NS_DATA_FORMS, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_ROOMCONFIG,
  NS_MUC_ROOMINFO, NS_MUC_STABLE_ID, NS_PING, LOBBY_ROOMINFO_FIELD, StanzaError, bareJid, buildMucAdmin, tryParseJid, xml,
  type Element, type MucItem,
} from '@edgemeet/protocol';
import { buildForm, isTrue, readSubmittedForm, type FormField } from './data-form.ts';
import { type Affiliation, type MucRoom, type Role } from './muc-room.ts';
import type { Sessions } from '../sessions.ts';
import type { OccupantRow } from '../store.ts';

export interface RoomIqContext {
  readonly sid: string;
  readonly from: string;
  readonly room: MucRoom;
  readonly sessions: Sessions;
}

const AFFILIATIONS: readonly Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];
const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];
const RANK: Record<Affiliation, number> = { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 };

function requireRoom(ctx: RoomIqContext) {
  const settings = ctx.room.settings;
  if (!settings) throw new StanzaError('item-not-found', { text: 'the room does not exist' });
  return settings;
}

function actorOf(ctx: RoomIqContext): OccupantRow {
  const actor = ctx.room.occupantBySid(ctx.sid);
  if (!actor) throw new StanzaError('forbidden', { text: 'only occupants may administer the room' });
  return actor;
}

function discoInfo(ctx: RoomIqContext): Element {
  const s = requireRoom(ctx);
  const features = [
    NS_MUC, NS_MUC_STABLE_ID, s.password ? 'muc_passwordprotected' : 'muc_unsecured',
    s.membersOnly ? 'muc_membersonly' : 'muc_open', 'muc_nonanonymous', 'muc_temporary', 'muc_public', 'muc_unmoderated',
  ];
  const info: FormField[] = [
    { var: 'FORM_TYPE', type: 'hidden', values: [NS_MUC_ROOMINFO] },
    { var: 'muc#roominfo_meetingId', type: 'text-single', label: 'Meeting id', values: [s.meetingId] },
    // mod_conference_duration: when the meeting started (a second occupant joined), empty before.
    { var: 'muc#roominfo_created_timestamp', type: 'text-single', label: 'The meeting created_timestamp.', values: [s.startedAt === undefined ? '' : String(s.startedAt)] },
    { var: 'muc#roominfo_occupants', type: 'text-single', label: 'Occupants', values: [String(ctx.room.occupants.size)] },
    { var: 'muc#roominfo_subject', type: 'text-single', label: 'Subject', values: [s.subject] },
    { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Title', values: [s.title || s.name] },
    // mod_muc_lobby_rooms: the lobby room to knock at, while the room is members-only with one.
    ...(s.lobbyRoom && s.membersOnly ? [{ var: LOBBY_ROOMINFO_FIELD, type: 'text-single' as const, label: 'Lobby room jid', values: [s.lobbyRoom] }] : []),
  ];
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'conference', type: 'text', name: s.title || s.name }),
    ...features.map((v) => xml('feature', { var: v })),
    buildForm('result', info));
}

function discoItems(ctx: RoomIqContext): Element {
  requireRoom(ctx);
  return xml('query', { xmlns: NS_DISCO_ITEMS },
    ...[...ctx.room.occupants.values()].map((o) => xml('item', { jid: ctx.room.occupantJid(o.nick).toString(), name: o.nick })));
}

function adminGet(ctx: RoomIqContext, _iq: Element, query: Element): Element {
  requireRoom(ctx);
  const actor = actorOf(ctx);
  const item = query.getChild('item');
  const affiliation = item?.attrs.affiliation as Affiliation | undefined;
  const role = item?.attrs.role as Role | undefined;
  if (affiliation && AFFILIATIONS.includes(affiliation)) {
    if (RANK[ctx.room.affiliationOf(actor.jid)] < RANK.admin) throw new StanzaError('forbidden');
    const items: MucItem[] = [];
    for (const o of ctx.room.occupants.values()) {
      if (ctx.room.affiliationOf(o.jid) === affiliation) items.push({ affiliation, jid: bareJid(o.jid), nick: o.nick, role: o.role });
    }
    return buildMucAdmin(items);
  }
  if (role && ROLES.includes(role)) {
    if (actor.role !== 'moderator') throw new StanzaError('forbidden');
    return buildMucAdmin([...ctx.room.occupants.values()].filter((o) => o.role === role).map((o) => ({
      role: o.role, nick: o.nick, jid: o.jid, affiliation: ctx.room.affiliationOf(o.jid),
    })));
  }
  throw new StanzaError('bad-request', { text: 'expected an item with a role or an affiliation' });
}

function adminSet(ctx: RoomIqContext, _iq: Element, query: Element): null {
  requireRoom(ctx);
  const actor = actorOf(ctx);
  const actorAffiliation = ctx.room.affiliationOf(actor.jid);
  const items = query.getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', { text: 'no item' });
  for (const item of items) {
    const reason = item.getChildText('reason') ?? undefined;
    const nick = item.attrs.nick as string | undefined;
    const target = nick !== undefined ? ctx.room.occupants.get(nick) : undefined;
    if (nick !== undefined && !target) throw new StanzaError('item-not-found', { text: `no occupant ${nick}` });
    if (item.attrs.role !== undefined) {
      const role = item.attrs.role as Role;
      if (!target || !ROLES.includes(role)) throw new StanzaError('bad-request', { text: 'a role change needs a nick and a valid role' });
      changeRole(ctx, actor, actorAffiliation, target, role, reason);
    } else if (item.attrs.affiliation !== undefined) {
      const affiliation = item.attrs.affiliation as Affiliation;
      const jid = target ? bareJid(target.jid) : tryParseJid(item.attrs.jid as string | undefined)?.bare().toString();
      if (!jid || !AFFILIATIONS.includes(affiliation)) throw new StanzaError('bad-request', { text: 'an affiliation change needs a jid and a valid affiliation' });
      changeAffiliation(ctx, actor, actorAffiliation, jid, affiliation, reason);
    } else {
      throw new StanzaError('bad-request', { text: 'item needs a role or an affiliation' });
    }
  }
  return null;
}

function changeRole(ctx: RoomIqContext, actor: OccupantRow, actorAff: Affiliation, target: OccupantRow, role: Role, reason?: string): void {
  if (actor.role !== 'moderator') throw new StanzaError('forbidden', { text: 'only moderators may change roles' });
  const targetAff = ctx.room.affiliationOf(target.jid);
  // XEP-0045 §8.2, §8.5: nobody may kick or demote an occupant of higher affiliation; only admins and owners grant moderator.
  if (RANK[targetAff] > RANK[actorAff] || (RANK[targetAff] >= RANK.admin && role !== 'moderator')) {
    throw new StanzaError('not-allowed', { text: 'that occupant has a higher affiliation' });
  }
  if (role === 'moderator' && RANK[actorAff] < RANK.admin) throw new StanzaError('forbidden', { text: 'only admins and owners may grant moderator' });
  ctx.room.setRole(target, role, actor, reason);
}

function changeAffiliation(ctx: RoomIqContext, actor: OccupantRow, actorAff: Affiliation, jid: string, affiliation: Affiliation, reason?: string): void {
  const current = ctx.room.affiliationOf(jid);
  const ownerOnly = affiliation === 'owner' || affiliation === 'admin' || current === 'owner' || current === 'admin';
  // Jitsi lets moderators grant moderator (owner) to others, as Prosody does for the focus-made owner.
  if (actorAff !== 'owner' && (ownerOnly || RANK[actorAff] < RANK.admin)) {
    throw new StanzaError('forbidden', { text: 'not allowed to change that affiliation' });
  }
  if (current === 'owner' && affiliation !== 'owner') {
    const owners = [...ctx.room.occupants.values()].filter((o) => ctx.room.affiliationOf(o.jid) === 'owner');
    if (owners.length <= 1 && owners.every((o) => bareJid(o.jid) === jid)) {
      throw new StanzaError('conflict', { text: 'the room needs at least one owner' });
    }
  }
  ctx.room.setAffiliation(jid, affiliation, actor, reason);
}

function ownerGet(ctx: RoomIqContext): Element {
  const s = requireRoom(ctx);
  if (ctx.room.affiliationOf(actorOf(ctx).jid) !== 'owner') throw new StanzaError('forbidden', { text: 'only owners may configure the room' });
  return xml('query', { xmlns: NS_MUC_OWNER }, buildForm('form', [
    { var: 'FORM_TYPE', type: 'hidden', values: [NS_MUC_ROOMCONFIG] },
    { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Title', values: [s.title] },
    { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', values: [s.password ?? ''] },
    { var: 'muc#roomconfig_passwordprotectedroom', type: 'boolean', label: 'Password protected', values: [s.password ? '1' : '0'] },
    { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Members only', values: [s.membersOnly ? '1' : '0'] },
    { var: 'muc#roomconfig_whois', type: 'list-single', label: 'Who may discover real JIDs', values: ['anyone'] },
    { var: 'muc#roomconfig_maxusers', type: 'list-single', label: 'Maximum occupants', values: [String(s.maxOccupants)] },
    { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent', values: ['0'] },
  ]));
}

function ownerSet(ctx: RoomIqContext, _iq: Element, query: Element): null {
  const s = requireRoom(ctx);
  const actor = actorOf(ctx);
  if (ctx.room.affiliationOf(actor.jid) !== 'owner') throw new StanzaError('forbidden', { text: 'only owners may configure the room' });
  const destroy = query.getChild('destroy');
  if (destroy) {
    ctx.room.destroy(destroy.getChildText('reason') ?? undefined, (destroy.attrs.jid as string | undefined) || undefined);
    return null;
  }
  const x = query.getChild('x', NS_DATA_FORMS);
  if (x?.attrs.type === 'cancel') return null;
  const form = readSubmittedForm(query);
  if (!form) throw new StanzaError('bad-request', { text: 'expected a submitted muc#roomconfig form' });
  const one = (name: string) => form.get(`muc#roomconfig_${name}`)?.[0];
  const next = { ...s };
  if (one('roomname') !== undefined) next.title = one('roomname') ?? '';
  const secret = one('roomsecret');
  const protectedFlag = one('passwordprotectedroom');
  if (protectedFlag !== undefined && !isTrue(protectedFlag)) next.password = null;
  else if (secret !== undefined) next.password = secret === '' ? null : secret;
  if (one('membersonly') !== undefined) next.membersOnly = isTrue(one('membersonly'));
  const whois = one('whois');
  if (whois !== undefined && whois !== 'anyone') throw new StanzaError('not-acceptable', { text: 'rooms here are non-anonymous (whois=anyone)' });
  const max = one('maxusers');
  if (max !== undefined) {
    const n = Number(max);
    if (!Number.isInteger(n) || n < 1) throw new StanzaError('not-acceptable', { text: 'maxusers must be a positive integer' });
    next.maxOccupants = n;
  }
  // XEP-0045 §10.2.1: status 104 tells occupants to re-read the room's disco#info (lib-jitsi-meet does).
  ctx.room.configure(actor, next);
  return null;
}

/** The router for IQs whose `to` is the bare room JID. */
export function createRoomIqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<RoomIqContext> {
  return new IqRouter<RoomIqContext>({ onHandlerError })
    .on('get', NS_DISCO_INFO, 'query', discoInfo)
    .on('get', NS_DISCO_ITEMS, 'query', discoItems)
    .on('get', NS_MUC_ADMIN, 'query', adminGet)
    .on('set', NS_MUC_ADMIN, 'query', adminSet)
    .on('get', NS_MUC_OWNER, 'query', ownerGet)
    .on('set', NS_MUC_OWNER, 'query', ownerSet)
    .on('get', NS_PING, 'ping', () => null);
}
