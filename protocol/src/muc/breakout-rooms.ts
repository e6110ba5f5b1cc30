/**
 * The breakout rooms' wire formats (jitsi-meet's mod_muc_breakout_rooms, as lib-jitsi-meet's
 * BreakoutRooms speaks to it), read for behaviour, not copied:
 *
 * - the domain's disco#info announces a `component` identity of type `breakout_rooms` named by the
 *   breakout MUC (`breakout.<domain>`); that MUC's disco#info on node `breakout_rooms` carries
 *   `…breakout_rooms#rename` (lib-jitsi-meet's `isFeatureSupported('rename')`);
 * - a moderator sends `<message to="breakout.<domain>"><breakout_rooms type=ACTION …/></message>`
 *   (attributes, client namespace): `features/breakout-rooms/add` with `subject`,
 *   `…/remove` with `breakoutRoomJid`, `…/rename` with `breakoutRoomJid` and `subject`,
 *   `…/move-to-room` with `participantJid` (a real JID) and `roomJid`;
 * - the component sends `json-message`s `{type: "breakout_rooms", event, …}` from its address:
 *   `…/update` with `roomCounter` and `rooms` (by room node: `id`, `jid`, `name`, `isMainRoom` for
 *   the main room, `participants` by occupant JID `room@service/nick`: `jid`, `role`, `displayName`) to everyone in the
 *   main room and its breakout rooms, and `…/move-to-room` with `roomJid` to the participant moved;
 * - a breakout room's disco#info has `muc#roominfo_isbreakout` and `muc#roominfo_breakout_main_room`.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_CLIENT, NS_JITMEET } from '../xml/namespaces.ts';
import { buildJsonMessage } from '../xmpp/json-message.ts';

/** The disco identity type (and disco node) of the breakout rooms component; also the json-message type. */
export const BREAKOUT_ROOMS_IDENTITY_TYPE = 'breakout_rooms';

/** Feature of the `breakout_rooms` node: rooms can be renamed. */
export const BREAKOUT_ROOMS_RENAME_FEATURE = 'http://jitsi.org/protocol/breakout_rooms#rename';

/** A breakout room's disco#info fields. */
export const BREAKOUT_ROOMINFO_IS_BREAKOUT = 'muc#roominfo_isbreakout';
export const BREAKOUT_ROOMINFO_MAIN_ROOM = 'muc#roominfo_breakout_main_room';

/** The reason in a breakout room's `<destroy/>` when a moderator removes it. */
export const BREAKOUT_ROOM_REMOVED_REASON = 'Breakout room removed.';

/** The status a client puts in its leave presence while it moves between rooms. */
export const SWITCH_ROOM_STATUS = 'switch_room';

const FEATURE_KEY = 'features/breakout-rooms';
export const BREAKOUT_ADD = `${FEATURE_KEY}/add`;
export const BREAKOUT_REMOVE = `${FEATURE_KEY}/remove`;
export const BREAKOUT_RENAME = `${FEATURE_KEY}/rename`;
export const BREAKOUT_MOVE_TO_ROOM = `${FEATURE_KEY}/move-to-room`;
export const BREAKOUT_UPDATE = `${FEATURE_KEY}/update`;

/** A moderator's command to the component. */
export type BreakoutCommand =
  | { readonly type: 'add'; readonly subject: string | undefined }
  | { readonly type: 'remove'; readonly breakoutRoomJid: string | undefined }
  | { readonly type: 'rename'; readonly breakoutRoomJid: string | undefined; readonly subject: string | undefined }
  | { readonly type: 'move-to-room'; readonly participantJid: string | undefined; readonly roomJid: string | undefined }
  | { readonly type: 'unknown'; readonly action: string | undefined };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The `<breakout_rooms/>` of a message to the component (client namespace, as Strophe sends it);
 * null when there is none (Prosody's handler declines the message). Missing attributes stay
 * undefined: the component decides what they mean.
 */
export function readBreakoutCommand(message: Element): BreakoutCommand | null {
  const el = message.getChildren('breakout_rooms').find((c) => c.attrs.xmlns === undefined || c.attrs.xmlns === NS_CLIENT);
  if (!el) return null;
  const a = el.attrs;
  switch (a.type) {
    case BREAKOUT_ADD: return { type: 'add', subject: str(a.subject) };
    case BREAKOUT_REMOVE: return { type: 'remove', breakoutRoomJid: str(a.breakoutRoomJid) };
    case BREAKOUT_RENAME: return { type: 'rename', breakoutRoomJid: str(a.breakoutRoomJid), subject: str(a.subject) };
    case BREAKOUT_MOVE_TO_ROOM: return { type: 'move-to-room', participantJid: str(a.participantJid), roomJid: str(a.roomJid) };
    default: return { type: 'unknown', action: str(a.type) };
  }
}

/** The command lib-jitsi-meet sends (for tests and our web app): `<breakout_rooms type=…/>` with its attributes. */
export function buildBreakoutCommand(componentAddress: string, command: Exclude<BreakoutCommand, { type: 'unknown' }>): Element {
  const { type, ...rest } = command;
  const attrs: Record<string, string> = { type: `${FEATURE_KEY}/${type}` };
  for (const [k, v] of Object.entries(rest)) if (typeof v === 'string') attrs[k] = v;
  return xml('message', { xmlns: NS_CLIENT, to: componentAddress }, xml('breakout_rooms', attrs));
}

export interface BreakoutParticipant {
  readonly jid: string;
  readonly role: string;
  readonly displayName?: string;
}

export interface BreakoutRoomInfo {
  readonly id: string;
  readonly jid: string;
  readonly name: string;
  readonly isMainRoom?: true;
  /** By occupant JID (`room@service/nick`: Prosody keys them by occupant JID). */
  readonly participants: Readonly<Record<string, BreakoutParticipant>>;
}

export interface BreakoutRoomsUpdate {
  readonly roomCounter: number;
  /** By room node (the main room's name, a breakout room's id). */
  readonly rooms: Readonly<Record<string, BreakoutRoomInfo>>;
}

/** The `…/update` json-message everyone in the main room and its breakout rooms gets. */
export function buildBreakoutRoomsUpdate(update: BreakoutRoomsUpdate): Element {
  return buildJsonMessage({ type: BREAKOUT_ROOMS_IDENTITY_TYPE, event: BREAKOUT_UPDATE, roomCounter: update.roomCounter, rooms: update.rooms });
}

/** The `…/move-to-room` json-message the moved participant gets: join `roomJid`. */
export function buildMoveToRoom(roomJid: string): Element {
  return buildJsonMessage({ type: BREAKOUT_ROOMS_IDENTITY_TYPE, event: BREAKOUT_MOVE_TO_ROOM, roomJid });
}

export type BreakoutEvent =
  | { readonly event: 'update'; readonly update: BreakoutRoomsUpdate }
  | { readonly event: 'move-to-room'; readonly roomJid: string };

/** A breakout json-message read back (clients: our web app, tests); null when it is not one. */
export function readBreakoutEvent(message: Element): BreakoutEvent | null {
  const text = message.getChildText('json-message', NS_JITMEET);
  if (text === undefined || text === null) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (b.type !== BREAKOUT_ROOMS_IDENTITY_TYPE) return null;
  if (b.event === BREAKOUT_MOVE_TO_ROOM && typeof b.roomJid === 'string') return { event: 'move-to-room', roomJid: b.roomJid };
  if (b.event === BREAKOUT_UPDATE && typeof b.rooms === 'object' && b.rooms !== null) {
    return { event: 'update', update: { roomCounter: Number(b.roomCounter ?? 0), rooms: b.rooms as BreakoutRoomsUpdate['rooms'] } };
  }
  return null;
}
