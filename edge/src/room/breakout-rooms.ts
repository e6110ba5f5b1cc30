/**
 * The room's breakout rooms (jitsi-meet's mod_muc_breakout_rooms): MUC rooms
 * `<uuid>@breakout.<domain>` held by the same Durable Object as their main room (lib-jitsi-meet
 * moves one connection between them), kept in the same storage, each a conference of its own with
 * its own focus and bridge conference.
 *
 * - Moderators (of the main room or any of its breakout rooms) add, rename and remove rooms and
 *   move participants with `<breakout_rooms/>` messages to `breakout.<domain>`; the moved
 *   participant is told to join the target (`move-to-room`), and does so itself.
 * - Everyone in the main room and its breakout rooms gets the list (`update`: each room with who
 *   is in it) whenever it changes: once per event that changed it (Prosody sends at most every 0.3 s).
 * - A breakout room is listed by its main room (its settings' `breakout`) and exists as a MUC room
 *   while someone is in it: the focus creates it (Prosody's `restrict_room_creation`; clients send
 *   the `conference` IQ first), a room that is not listed cannot be created, and it goes when its
 *   last occupant leaves; its affiliations are the main room's.
 * - Removing a room destroys it with the main room as the alternate venue (its people go back) and
 *   stops its conference; the main room, once it had breakout rooms, outlives its last occupant and
 *   is closed 5 s after nobody is left in any of its rooms; destroying it destroys its breakout rooms.
 *
 * What Prosody's handler refuses (no command, not an occupant, not a moderator, a move to a room
 * that is not listed) gets `cancel`/`service-unavailable`; what it ignores (removing or renaming a
 * room it does not list, moving someone not connected) changes nothing and gets no answer.
 * @module
 */
// Internal: not exported from the package entry.
import {
  BREAKOUT_ROOMINFO_IS_BREAKOUT, BREAKOUT_ROOMINFO_MAIN_ROOM, BREAKOUT_ROOMS_IDENTITY_TYPE, BREAKOUT_ROOMS_RENAME_FEATURE,
  BREAKOUT_ROOM_REMOVED_REASON, IqRouter, LOBBY_ROOMINFO_FIELD, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING, StanzaError,
  bareJid, buildBreakoutRoomsUpdate, buildComponentMessage, buildMoveToRoom, errorReply, jid, parseXml, placementKey,
  presenceDisplayName, readBreakoutCommand, refused, xml, type BreakoutParticipant, type BreakoutRoomInfo, type Element,
} from '@edgemeet/protocol';
import type { FocusComponent } from '@edgemeet/focus';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RoomComponent } from './component.ts';
import type { FocusHub } from './focus-link.ts';
import { MucRoom, atLeast, type JoinAttempt, type JoinDecision, type RoomInfoField } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { BreakoutEntry, BreakoutState, BreakoutStore, OccupantRow, RoomStore, SessionRow } from './store.ts';

/** Prosody's ROOMS_TTL_IF_ALL_LEFT: the main room closes this long after its rooms all emptied. */
export const ROOMS_TTL_IF_ALL_LEFT_MS = 5000;
/** The reason the main room's `<destroy/>` gives then. */
export const ALL_LEFT_REASON = 'All occupants left.';

export interface BreakoutRoomsOptions {
  readonly config: EdgeConfig;
  readonly log: Logger;
  readonly roomName: string;
  readonly main: MucRoom;
  readonly store: RoomStore;
  readonly sessions: Sessions;
  readonly now: () => number;
  /** Bare JIDs that own every room (the focus): left out of the lists, never sent them. */
  readonly superOwners: readonly string[];
  /** Where each breakout room's focus runs; null where no focus runs (plain MUC). */
  readonly focus: FocusHub | null;
  /** The main room's focus, stopped when the main room closes. */
  readonly mainFocus: () => FocusComponent | null;
  readonly scheduleWakeUp: (at: number) => void;
}

interface OpenRoom {
  readonly entry: BreakoutEntry;
  readonly room: MucRoom;
  readonly store: BreakoutStore;
  readonly focus: FocusComponent | null;
}

export class BreakoutRooms implements RoomComponent {
  readonly #o: BreakoutRoomsOptions;
  readonly #superOwners: ReadonlySet<string>;
  /** By id (the room's node). */
  readonly #rooms = new Map<string, OpenRoom>();
  /** The list changed since it was last sent. */
  #dirty = false;

  constructor(o: BreakoutRoomsOptions) {
    this.#o = o;
    this.#superOwners = new Set(o.superOwners);
    for (const entry of this.#state?.rooms ?? []) this.#open(entry);
  }

  get address(): string {
    return this.#o.config.breakoutDomain;
  }

  get #state(): BreakoutState | undefined {
    return this.#o.main.settings?.breakout;
  }

  #jidOf(id: string): string {
    return `${id}@${this.#o.config.breakoutDomain}`;
  }

  /** The breakout room named by its node, if the main room lists it. */
  roomFor(id: string): MucRoom | undefined {
    return this.#rooms.get(id.toLowerCase())?.room;
  }

  /** Every breakout room held now. */
  get rooms(): readonly MucRoom[] {
    return [...this.#rooms.values()].map((r) => r.room);
  }

  /** The main room keeps itself while it has (had) breakout rooms (Prosody makes it persistent). */
  get keepsMainRoom(): boolean {
    return this.#state !== undefined;
  }

  #open(entry: BreakoutEntry): OpenRoom {
    const store = this.#o.store.breakout(entry.id);
    const room: MucRoom = new MucRoom({
      jid: jid(entry.id, this.#o.config.breakoutDomain), store, sessions: this.#o.sessions, config: this.#o.config,
      log: this.#o.log.child({ muc: 'breakout', breakout: entry.id }), now: this.#o.now, superOwners: this.#o.superOwners,
      policy: {
        affiliationOf: (bare) => this.#o.main.affiliationOf(bare),
        // Only the focus creates one (Prosody's restrict_room_creation; clients send the conference IQ first); without a focus, joins do.
        autoOwner: false, restrictCreation: this.#o.focus !== null,
        newRoom: () => ({ name: entry.id, subject: entry.name, meetingId: entry.meetingId }),
        roomInfo: () => this.#roomInfo(),
        preJoin: (attempt) => this.#preJoin(room, attempt),
      },
      onJoined: (occ) => this.#changed(occ),
      onLeaving: (occ) => this.#changed(occ),
    });
    const focus = this.#o.focus?.add({
      room: entry.id, mucDomain: this.#o.config.breakoutDomain, placement: placementKey(this.#o.roomName, entry.id),
      store: { load: () => store.focusState, save: (state) => { store.focusState = state; } },
      meetingId: () => entry.meetingId,
    }) ?? null;
    const open = { entry, room, store, focus };
    this.#rooms.set(entry.id, open);
    return open;
  }

  /** mod_muc_breakout_rooms' disco#info fields of a breakout room (and the main room's lobby, which it shares). */
  #roomInfo(): RoomInfoField[] {
    const main = this.#o.main.settings;
    return [
      { var: BREAKOUT_ROOMINFO_IS_BREAKOUT, label: 'Is this a breakout room?', type: 'boolean', value: 'true' },
      { var: BREAKOUT_ROOMINFO_MAIN_ROOM, label: 'The main room associated with this breakout room', type: 'text-single', value: this.#o.main.jid },
      ...(main?.lobbyRoom && main.membersOnly ? [{ var: LOBBY_ROOMINFO_FIELD, label: 'Lobby room jid', type: 'text-single' as const, value: main.lobbyRoom }] : []),
    ];
  }

  /**
   * Joining a breakout room: members-only as its main room is (Prosody's breakout rooms take the
   * main room's `get_members_only`: nobody waiting in the lobby gets in this way); a nick is one
   * participant's across the main room and its breakout rooms (another user holding it: conflict).
   */
  #preJoin(room: MucRoom, a: JoinAttempt): JoinDecision {
    if (this.#o.main.settings?.membersOnly && !atLeast(a.affiliation, 'member')) {
      return { refuse: errorReply(a.presence, new StanzaError('registration-required', { text: 'this room is members-only' })) };
    }
    const bare = bareJid(a.from);
    const holders = [this.#o.main, ...this.rooms].filter((r) => r !== room).map((r) => r.occupants.get(a.nick));
    if (holders.some((h) => h !== undefined && bareJid(h.jid) !== bare)) {
      return { refuse: errorReply(a.presence, new StanzaError('conflict', { text: 'that nickname is in use in another room of this meeting' })) };
    }
    return null;
  }

  // Hooks of the main room and the breakout rooms

  /** Someone joined or leaves a room of the meeting: the list is sent again, and the close timer follows. */
  #changed(occ: OccupantRow): void {
    const state = this.#state;
    if (!state || this.#superOwners.has(bareJid(occ.jid))) return;
    this.#dirty = true;
    if (state.closeAt !== undefined) this.#saveState({ ...state, closeAt: undefined });
  }

  /** The main room's joins and leaves (its onJoined / onLeaving). */
  mainOccupantChanged(occ: OccupantRow): void {
    this.#changed(occ);
  }

  /** A session's presence ends: it leaves every breakout room. */
  removeSession(sid: string): void {
    for (const r of this.rooms) r.removeSession(sid);
  }

  /** The main room is gone: so are its breakout rooms (their people told to go to it) and their conferences. */
  mainDestroyed(reason?: string): void {
    for (const open of [...this.#rooms.values()]) this.#close(open, reason ?? BREAKOUT_ROOM_REMOVED_REASON);
    this.#dirty = false;
  }

  #close(open: OpenRoom, reason: string): void {
    if (open.room.settings) open.room.destroy(reason, this.#o.main.jid);
    open.store.clearRoom();
    open.focus?.roomDestroyed().catch((err: unknown) => this.#o.log.error('breakout.focus_stop_failed', { err, breakout: open.entry.id }));
    open.store.focusState = null;
    this.#o.focus?.remove(open.room.jid);
    this.#rooms.delete(open.entry.id);
  }

  /**
   * After each entry point: the list to everyone if it changed; the close timer armed when nobody
   * is left in any room of the meeting.
   */
  flush(): void {
    const state = this.#state;
    if (!state) return;
    if (state.closeAt === undefined && !this.#anyoneLeft()) {
      const closeAt = this.#o.now() + ROOMS_TTL_IF_ALL_LEFT_MS;
      this.#saveState({ ...state, closeAt });
      this.#o.scheduleWakeUp(closeAt);
      this.#o.log.info('breakout.all_left', { closeAt });
    }
    if (!this.#dirty) return;
    this.#dirty = false;
    const update = { roomCounter: state.counter, rooms: this.#list(state) };
    for (const room of [this.#o.main, ...this.rooms]) {
      for (const occ of room.occupants.values()) {
        if (this.#superOwners.has(bareJid(occ.jid))) continue;
        this.#o.sessions.deliver(occ.sid, buildComponentMessage(this.address, occ.jid, buildBreakoutRoomsUpdate(update)));
      }
    }
  }

  #anyoneLeft(): boolean {
    return [this.#o.main, ...this.rooms].some((r) => [...r.occupants.values()].some((o) => !this.#superOwners.has(bareJid(o.jid))));
  }

  /** The close timer: the main room (and with it its breakout rooms) goes if its rooms are still empty. Returns the next deadline. */
  onWakeUp(): number | null {
    const closeAt = this.#state?.closeAt;
    if (closeAt === undefined) return null;
    if (this.#o.now() < closeAt) return closeAt;
    if (this.#anyoneLeft()) {
      this.#saveState({ ...this.#state!, closeAt: undefined });
      return null;
    }
    this.#o.log.info('breakout.main_closed', { rooms: this.#rooms.size });
    this.#o.mainFocus()?.roomDestroyed().catch((err: unknown) => this.#o.log.error('breakout.focus_stop_failed', { err }));
    this.#o.main.destroy(ALL_LEFT_REASON);
    return null;
  }

  #list(state: BreakoutState): Record<string, BreakoutRoomInfo> {
    const main = this.#o.main;
    const rooms: Record<string, BreakoutRoomInfo> = {
      [this.#o.roomName]: {
        isMainRoom: true, id: this.#o.roomName, jid: main.jid, name: main.settings?.subject ?? '', participants: this.#participants(main),
      },
    };
    for (const entry of state.rooms) {
      const open = this.#rooms.get(entry.id);
      rooms[entry.id] = { id: entry.id, jid: this.#jidOf(entry.id), name: entry.name, participants: open ? this.#participants(open.room) : {} };
    }
    return rooms;
  }

  /** A room's participants as the list names them: by occupant JID, with real JID, role and display name (the focus left out). */
  #participants(room: MucRoom): Record<string, BreakoutParticipant> {
    const out: Record<string, BreakoutParticipant> = {};
    for (const occ of room.occupants.values()) {
      if (this.#superOwners.has(bareJid(occ.jid))) continue;
      const displayName = presenceDisplayName(parseXml(occ.presence));
      out[`${room.jid}/${occ.nick}`] = { jid: occ.jid, role: occ.role, ...(displayName ? { displayName } : {}) };
    }
    return out;
  }

  #saveState(state: BreakoutState): void {
    const settings = this.#o.main.settings;
    if (settings) this.#o.main.saveSettings({ ...settings, breakout: state });
  }

  // The component (`breakout.<domain>`)

  /** A message to `breakout.<domain>` (IQs go to {@link serviceIqRouter}). */
  handle(session: SessionRow, stanza: Element): void {
    if (stanza.name !== 'message' || stanza.attrs.type === 'error') return;
    const command = readBreakoutCommand(stanza);
    if (!command) throw refused('breakout_rooms: no command');
    const settings = this.#o.main.settings;
    if (!settings) throw refused('breakout_rooms: no such room');
    const actor = [this.#o.main, ...this.rooms].map((r) => r.occupantBySid(session.sid)).find((o) => o !== undefined);
    if (!actor) throw refused('breakout_rooms: not an occupant of this meeting');
    if (actor.role !== 'moderator') throw refused('breakout_rooms: only moderators may do this');
    const state: BreakoutState = settings.breakout ?? { counter: 0, rooms: [] };
    switch (command.type) {
      case 'add': return this.#add(state, command.subject ?? '', actor);
      case 'remove': return this.#remove(state, command.breakoutRoomJid, actor);
      case 'rename': return this.#rename(state, command.breakoutRoomJid, command.subject ?? '', actor);
      case 'move-to-room': return this.#move(command.participantJid, command.roomJid, actor);
      default: throw refused(`breakout_rooms: unknown action ${command.action ?? ''}`);
    }
  }

  #add(state: BreakoutState, name: string, actor: OccupantRow): void {
    const entry: BreakoutEntry = { id: crypto.randomUUID(), name, meetingId: crypto.randomUUID() };
    this.#saveState({ ...state, counter: state.counter + 1, rooms: [...state.rooms, entry] });
    this.#open(entry);
    this.#dirty = true;
    this.#o.log.info('breakout.created', { breakout: entry.id, actor: actor.nick, rooms: state.rooms.length + 1 });
  }

  /** The listed room a JID names (breakout room JIDs compare case-insensitively). */
  #entryOf(roomJid: string | undefined): OpenRoom | undefined {
    const at = roomJid?.toLowerCase().indexOf('@') ?? -1;
    if (!roomJid || at < 0 || roomJid.slice(at + 1).toLowerCase() !== this.#o.config.breakoutDomain.toLowerCase()) return undefined;
    return this.#rooms.get(roomJid.slice(0, at).toLowerCase());
  }

  #remove(state: BreakoutState, roomJid: string | undefined, actor: OccupantRow): void {
    const open = this.#entryOf(roomJid);
    if (!open) {
      this.#o.log.warn('breakout.remove_unknown', { room: roomJid, actor: actor.nick });
      return;
    }
    this.#saveState({ ...state, rooms: state.rooms.filter((e) => e.id !== open.entry.id) });
    this.#close(open, BREAKOUT_ROOM_REMOVED_REASON);
    this.#dirty = true;
    this.#o.log.info('breakout.removed', { breakout: open.entry.id, actor: actor.nick });
  }

  #rename(state: BreakoutState, roomJid: string | undefined, name: string, actor: OccupantRow): void {
    const open = this.#entryOf(roomJid);
    if (!open) {
      this.#o.log.warn('breakout.rename_unknown', { room: roomJid, actor: actor.nick });
      return;
    }
    open.entry.name = name;
    this.#saveState({ ...state, rooms: state.rooms.map((e) => (e.id === open.entry.id ? { ...e, name } : e)) });
    open.room.setSubject(name);
    this.#dirty = true;
    this.#o.log.info('breakout.renamed', { breakout: open.entry.id, actor: actor.nick });
  }

  /** Tells a participant to join a room of the meeting (the main room or a listed breakout room); it moves itself. */
  #move(participantJid: string | undefined, roomJid: string | undefined, actor: OccupantRow): void {
    const target = roomJid?.toLowerCase() === this.#o.main.jid.toLowerCase() ? this.#o.main.jid : this.#entryOf(roomJid)?.room.jid;
    if (!target) throw refused(`breakout_rooms: no room ${roomJid ?? ''} in this meeting`);
    const session = participantJid ? this.#o.sessions.byJid(participantJid) : undefined;
    if (!session) {
      this.#o.log.warn('breakout.move_unknown_participant', { participant: participantJid, actor: actor.nick });
      return;
    }
    this.#o.sessions.deliver(session.sid, buildComponentMessage(this.address, session.jid, buildMoveToRoom(target)));
    this.#o.log.info('breakout.moved', { to: target, actor: actor.nick });
  }

  /** disco#info of `breakout.<domain>`; on node `breakout_rooms`, its features (rename). */
  #serviceInfo(payload: Element): Element {
    const node = payload.attrs.node as string | undefined;
    if (node === BREAKOUT_ROOMS_IDENTITY_TYPE) {
      return xml('query', { xmlns: NS_DISCO_INFO, node }, xml('feature', { var: BREAKOUT_ROOMS_RENAME_FEATURE }));
    }
    if (node !== undefined) throw new StanzaError('item-not-found', { text: `no node ${node}` });
    return xml('query', { xmlns: NS_DISCO_INFO },
      xml('identity', { category: 'conference', type: 'text', name: 'Breakout rooms' }),
      ...[NS_MUC, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING].map((v) => xml('feature', { var: v })));
  }

  /** IQs to `breakout.<domain>` itself. */
  serviceIqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<null> {
    return new IqRouter<null>({ onHandlerError })
      .on('get', NS_DISCO_INFO, 'query', (_ctx, _iq, payload) => this.#serviceInfo(payload))
      .on('get', NS_DISCO_ITEMS, 'query', () => xml('query', { xmlns: NS_DISCO_ITEMS }))
      .on('get', NS_PING, 'ping', () => null);
  }
}
