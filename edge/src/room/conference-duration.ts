/**
 * Conference duration, as jitsi-meet's mod_conference_duration(_component) keeps it: the meeting
 * starts when a second occupant is in the room (in Jitsi the focus and the first participant);
 * that time (epoch ms) is the room's `muc#roominfo_created_timestamp` disco#info field, which
 * today's lib-jitsi-meet reads (CONFERENCE_CREATED_TIMESTAMP), and every occupant who joins after
 * it gets `json-message` `{type: "conference_duration", created_timestamp}` from
 * `conferenceduration.<domain>` (the component's address, announced as a `conference_duration`
 * identity: the 2021 lib-jitsi-meet reads the message). Kept in the room's settings.
 * @module
 */
// Internal: not exported from the package entry.
import { StanzaError, buildComponentMessage, buildConferenceDurationMessage, type Element } from '@edgemeet/protocol';
import { componentMessage, type RoomComponent, type ServiceOccupant } from './component.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { OccupantRow, SessionRow } from './store.ts';

export interface ConferenceDurationOptions {
  readonly address: string;
  readonly room: MucRoom;
  readonly sessions: Sessions;
  readonly now: () => number;
  readonly isService: ServiceOccupant;
}

export class ConferenceDuration implements RoomComponent {
  readonly #o: ConferenceDurationOptions;

  constructor(o: ConferenceDurationOptions) {
    this.#o = o;
  }

  get address(): string {
    return this.#o.address;
  }

  /** The component takes no messages (Prosody's has no handler: service-unavailable). */
  handle(_session: SessionRow, stanza: Element): void {
    if (componentMessage(stanza)) throw new StanzaError('service-unavailable');
  }

  occupantJoined(occ: OccupantRow): void {
    const settings = this.#o.room.settings;
    if (!settings || this.#o.room.occupants.size < 2) return;
    let started = settings.startedAt;
    if (started === undefined) {
      started = this.#o.now();
      this.#o.room.saveSettings({ ...settings, startedAt: started });
    }
    if (this.#o.isService(occ)) return;
    this.#o.sessions.deliver(occ.sid, buildComponentMessage(this.#o.address, occ.jid, buildConferenceDurationMessage(started)));
  }
}
