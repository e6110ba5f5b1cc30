/**
 * The lobby's wire formats (jitsi-meet's mod_muc_lobby_rooms and token_lobby_bypass, as
 * lib-jitsi-meet's Lobby and ChatRoom speak to them), read for behaviour, not copied:
 *
 * - the domain's disco#info announces a `component` identity of type `lobbyrooms` named by the
 *   lobby MUC (`lobby.<domain>`); that MUC's disco#info on node `lobbyrooms` carries the feature
 *   `…lobbyrooms#displayname_required` while the connection's room has a lobby;
 * - a members-only room with a lobby refuses a newcomer who is not a member with
 *   `auth`/`registration-required` (code 407) and `<lobbyroom xmlns="http://jitsi.org/jitmeet">`
 *   naming the lobby room (plus the same element without a namespace beside the error, which
 *   Jitsi still sends for old clients), or with `modify`/`not-acceptable` (406) and
 *   `<displayname-required lobby="true"/>` when the presence has no display name;
 * - a moderator admits by a mediated invite (XEP-0045 §7.8.2) to the main room,
 *   `<message to=ROOM><x xmlns=muc#user><invite to=REAL-JID/>…</x></message>` (several at once);
 *   the room sends `<message from=ROOM><x xmlns=muc#user><invite from=INVITER/></x></message>`
 *   to each invitee;
 * - the main room's occupants hear of it in `json-message`s `{type: "lobby-notify", event, …}`
 *   from the acting moderator's occupant JID.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_CLIENT, NS_JITMEET, NS_MUC, NS_MUC_USER, NS_NICK } from '../xml/namespaces.ts';
import { errorReply, StanzaError } from '../xmpp/stanza-error.ts';
import { buildJsonMessage } from '../xmpp/json-message.ts';

/** The disco identity type (and disco node) of the lobby component. */
export const LOBBY_IDENTITY_TYPE = 'lobbyrooms';

/** Feature of the lobby's `lobbyrooms` node: joining needs a display name. */
export const LOBBY_DISPLAY_NAME_REQUIRED_FEATURE = 'http://jitsi.org/protocol/lobbyrooms#displayname_required';

/** The reason in the lobby room's `<destroy/>` when its lobby is closed. */
export const LOBBY_CLOSED_REASON = 'Lobby room closed.';

/** The main room's disco#info field naming its lobby room. */
export const LOBBY_ROOMINFO_FIELD = 'muc#roominfo_lobbyroom';

/** The refusal of a newcomer who is not a member of a room with a lobby (code 407, the lobby named twice). */
export function buildLobbyRefusal(presence: Element, lobbyRoomJid: string): Element {
  const error = new StanzaError('registration-required', { application: xml('lobbyroom', { xmlns: NS_JITMEET }, lobbyRoomJid) });
  const reply = errorReply(presence, error);
  reply.getChild('error')!.attrs.code = '407';
  reply.cnode(xml('lobbyroom', null, lobbyRoomJid));
  reply.cnode(xml('x', { xmlns: NS_MUC }));
  return reply;
}

/** The refusal of a newcomer without a display name at a room with a lobby (code 406). */
export function buildDisplayNameRequired(presence: Element): Element {
  const error = new StanzaError('not-acceptable', { application: xml('displayname-required', { xmlns: NS_JITMEET, lobby: 'true' }) });
  const reply = errorReply(presence, error);
  reply.getChild('error')!.attrs.code = '406';
  reply.cnode(xml('x', { xmlns: NS_MUC }));
  return reply;
}

/** What a client reads from a refused join: the lobby to knock at, or that it must name itself. */
export interface LobbyRefusal {
  /** The lobby room to join, when the room is members-only with a lobby. */
  readonly lobbyRoom?: string;
  readonly displayNameRequired: boolean;
}

/** The lobby details of a presence error; null when it is no lobby refusal. */
export function readLobbyRefusal(presence: Element): LobbyRefusal | null {
  const error = presence.getChild('error');
  if (!error) return null;
  if (error.attrs.type === 'auth' && error.getChild('registration-required')) {
    const lobbyRoom = error.getChildText('lobbyroom', NS_JITMEET) ?? error.getChildText('lobbyroom') ?? undefined;
    return { displayNameRequired: false, ...(lobbyRoom ? { lobbyRoom } : {}) };
  }
  if (error.attrs.type === 'modify' && error.getChild('displayname-required', NS_JITMEET)) return { displayNameRequired: true };
  return null;
}

/** One invite of a mediated invitation. */
export interface MediatedInvite {
  /** The invitee's JID as written (unchecked). */
  readonly to: string;
  readonly reason?: string;
}

/**
 * The invites of a message to a room (`<x xmlns=muc#user>` with `<invite to=…/>` children, of a
 * normal message); null when the message has none (it is not an invitation).
 */
export function readMediatedInvites(message: Element): MediatedInvite[] | null {
  const type = message.attrs.type as string | undefined;
  if (type !== undefined && type !== 'normal') return null;
  const x = message.getChild('x', NS_MUC_USER);
  const invites = (x?.getChildren('invite') ?? []).filter((i) => typeof i.attrs.to === 'string' && i.attrs.to !== '');
  if (invites.length === 0) return null;
  return invites.map((i) => {
    const reason = i.getChildText('reason');
    return { to: String(i.attrs.to), ...(reason ? { reason } : {}) };
  });
}

/** The mediated invitation to one invitee, sent by the room (XEP-0045 §7.8.2). */
export function buildMediatedInvite(roomJid: string, invitee: string, inviter: string, reason?: string): Element {
  return xml('message', { xmlns: NS_CLIENT, from: roomJid, to: invitee },
    xml('x', { xmlns: NS_MUC_USER }, xml('invite', { from: inviter }, xml('reason', null, reason ?? ''))));
}

/** The approval lib-jitsi-meet's `approveAccess` sends (a client-side builder, also for tests). */
export function buildLobbyApproval(roomJid: string, invitees: readonly string[]): Element {
  return xml('message', { xmlns: NS_CLIENT, to: roomJid },
    xml('x', { xmlns: NS_MUC_USER }, ...invitees.map((to) => xml('invite', { to }))));
}

export type LobbyNotifyEvent = 'LOBBY-ENABLED' | 'LOBBY-ACCESS-GRANTED' | 'LOBBY-ACCESS-DENIED';

/** The `lobby-notify` payloads: the lobby switched on or off, or a knocker admitted or refused. */
export type LobbyNotice =
  | { readonly event: 'LOBBY-ENABLED'; readonly value: boolean }
  | { readonly event: 'LOBBY-ACCESS-GRANTED' | 'LOBBY-ACCESS-DENIED'; readonly value: string; readonly name?: string };

/** A lobby notice to one main-room occupant, groupchat from the acting moderator's occupant JID. */
export function buildLobbyNotify(from: string, to: string, notice: LobbyNotice): Element {
  return xml('message', { xmlns: NS_CLIENT, type: 'groupchat', from, to }, buildJsonMessage({ ...notice, type: 'lobby-notify' }));
}

/** The display name of a presence (`<nick xmlns=…/nick>`), empty when it has none. */
export function presenceDisplayName(presence: Element): string {
  return presence.getChildText('nick', NS_NICK) ?? '';
}
