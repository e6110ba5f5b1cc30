/**
 * XEP-0045 muc#admin queries (§8–9) and the room's configuration-change notice (§10.2.1), as
 * Jitsi uses them: the focus granting owner, moderators kicking and granting moderator.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_CLIENT, NS_MUC_ADMIN, NS_MUC_USER } from '../xml/namespaces.ts';
import { MUC_STATUS, buildMucItem, parseMucItem, type MucItem } from './presence.ts';

/**
 * `<query xmlns=muc#admin>` with items, for a set (a change) or a result (a list).
 *
 * @example
 * buildIq('set', roomJid, id, buildMucAdmin([{ affiliation: 'owner', jid: 'alice@meet.jitsi' }]));
 */
export function buildMucAdmin(items: readonly MucItem[]): Element {
  return xml('query', { xmlns: NS_MUC_ADMIN }, ...items.map(buildMucItem));
}

/** The items of a muc#admin query. */
export function parseMucAdmin(query: Element): MucItem[] {
  return query.getChildren('item').map(parseMucItem);
}

/** Status 104 to an occupant: the room's configuration changed, re-read its disco#info. */
export function buildConfigChanged(roomJid: string, to: string): Element {
  return xml('message', { xmlns: NS_CLIENT, type: 'groupchat', from: roomJid, to },
    xml('x', { xmlns: NS_MUC_USER }, xml('status', { code: MUC_STATUS.CONFIG_CHANGED })));
}

/** The room subject, sent to a newcomer after the presences (XEP-0045 §7.2.15). */
export function buildRoomSubject(roomJid: string, to: string, subject: string): Element {
  return xml('message', { xmlns: NS_CLIENT, type: 'groupchat', from: roomJid, to }, xml('subject', null, subject));
}
