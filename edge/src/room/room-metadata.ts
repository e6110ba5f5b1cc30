/**
 * The room's metadata component, `metadata.<domain>` (jitsi-meet's mod_room_metadata_component;
 * lib-jitsi-meet finds it as a `room_metadata` identity, `conference.getMetadataHandler()
 * .setMetadata(key, data)` sends `<room_metadata room=…>{"key","data"}</room_metadata>`). A
 * moderator sets a key (not one of Jitsi's blocked, server-owned keys); when the value changed the
 * whole metadata goes to every occupant as `json-message` `{type: "room_metadata", metadata}`, and
 * a newcomer gets it before its own join presence. Bounded ({@link ROOM_METADATA_LIMITS}: one
 * update's JSON, the room's keys and size), kept in the room's settings (storage), gone with the
 * room. Refusals are Prosody's (service-unavailable); what Jitsi ignores is ignored.
 * @module
 */
// Internal: not exported from the package entry.
import {
  ROOM_METADATA_BLOCKED_KEYS, ROOM_METADATA_LIMITS, buildComponentMessage, buildRoomMetadataMessage, parseRoomMetadataUpdate,
  readRoomMetadataCommand, refused, type Element,
} from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { componentMessage, isRoom, type RoomComponent, type ServiceOccupant } from './component.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { OccupantRow, SessionRow } from './store.ts';

export interface RoomMetadataOptions {
  readonly address: string;
  readonly room: MucRoom;
  readonly sessions: Sessions;
  readonly log: Logger;
  readonly isService: ServiceOccupant;
}

/** Structural equality of two JSON values (Prosody compares tables, lib-jitsi-meet uses isEqual). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export class RoomMetadata implements RoomComponent {
  readonly #o: RoomMetadataOptions;

  constructor(o: RoomMetadataOptions) {
    this.#o = o;
  }

  get address(): string {
    return this.#o.address;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.#o.room.settings?.metadata ?? {};
  }

  handle(session: SessionRow, stanza: Element): void {
    const message = componentMessage(stanza);
    if (!message) return;
    const command = readRoomMetadataCommand(message);
    if (!command) return;
    if (!isRoom(command.room, this.#o.room.jid)) throw refused('no such room here');
    const actor = this.#o.room.occupantBySid(session.sid);
    if (!actor) throw refused('not an occupant of the room');
    const update = parseRoomMetadataUpdate(command.json);
    if (!update) return;
    if (actor.role !== 'moderator') throw refused('only moderators may set room metadata');
    if (ROOM_METADATA_BLOCKED_KEYS.has(update.key)) throw refused(`room metadata key ${update.key} is the server's`);
    const current = this.metadata;
    if (Object.hasOwn(current, update.key) && sameJson(current[update.key], update.data)) return;
    const next = { ...current, [update.key]: update.data };
    if (Object.keys(next).length > ROOM_METADATA_LIMITS.maxKeys || JSON.stringify(next).length > ROOM_METADATA_LIMITS.maxStoredChars) {
      throw refused('room metadata is full');
    }
    const settings = this.#o.room.settings;
    if (!settings) return;
    this.#o.room.saveSettings({ ...settings, metadata: next });
    this.#o.log.info('room_metadata.updated', { key: update.key, actor: actor.nick });
    for (const occ of this.#o.room.occupants.values()) this.#send(occ, next);
  }

  /** A key the server sets (the lobby's `lobbyEnabled`, as mod_muc_lobby_rooms does): everyone hears of a change. */
  setByServer(key: string, value: unknown): void {
    const settings = this.#o.room.settings;
    if (!settings || sameJson(this.metadata[key], value)) return;
    const next = { ...this.metadata, [key]: value };
    this.#o.room.saveSettings({ ...settings, metadata: next });
    for (const occ of this.#o.room.occupants.values()) this.#send(occ, next);
  }

  /** A newcomer learns the metadata before its own join presence (as the component's presence filter does). */
  occupantJoining(occ: OccupantRow): void {
    this.#send(occ, this.metadata);
  }

  #send(occ: OccupantRow, metadata: Readonly<Record<string, unknown>>): void {
    if (this.#o.isService(occ)) return;
    this.#o.sessions.deliver(occ.sid, buildComponentMessage(this.#o.address, occ.jid, buildRoomMetadataMessage(this.#o.room.jid, metadata)));
  }
}
