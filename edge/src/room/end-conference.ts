/**
 * The room's end-conference component, `endconference.<domain>` (jitsi-meet's mod_end_conference;
 * lib-jitsi-meet finds it as an `end_conference` identity and `conference.end()` sends it
 * `<end_conference/>`). A moderator of this room ends the meeting for everyone: the room is
 * destroyed with Jitsi's reason ("The meeting has been terminated"), every occupant getting the
 * unavailable presence with `<destroy/>` (lib-jitsi-meet: CONFERENCE_FAILED, CONFERENCE_DESTROYED),
 * and the focus stops the conference, expiring it on the bridge (Jicofo does when its room goes).
 * Anyone else, or anything else, is refused as Prosody refuses it (service-unavailable).
 * @module
 */
// Internal: not exported from the package entry.
import { END_CONFERENCE_REASON, isEndConferenceCommand, refused, type Element } from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { componentMessage, type RoomComponent } from './component.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { SessionRow } from './store.ts';

export interface EndConferenceOptions {
  readonly address: string;
  readonly room: MucRoom;
  readonly log: Logger;
  /** Stops the focus's conference (bridge endpoints and conference expired); absent where no focus runs. */
  readonly onEnd?: () => Promise<void>;
}

export class EndConference implements RoomComponent {
  readonly #o: EndConferenceOptions;

  constructor(o: EndConferenceOptions) {
    this.#o = o;
  }

  get address(): string {
    return this.#o.address;
  }

  async handle(session: SessionRow, stanza: Element): Promise<void> {
    const message = componentMessage(stanza);
    if (!message) return;
    if (!isEndConferenceCommand(message)) throw refused('expected <end_conference/>');
    const actor = this.#o.room.occupantBySid(session.sid);
    if (!actor) throw refused('not an occupant of the room');
    if (actor.role !== 'moderator') throw refused('only moderators may end the meeting');
    this.#o.log.info('conference.ended', { actor: actor.nick, occupants: this.#o.room.occupants.size });
    // The focus stops first, so that it takes the destroy presences it is sent as the end they are.
    const stopped = this.#o.onEnd?.();
    this.#o.room.destroy(END_CONFERENCE_REASON);
    await stopped;
  }
}
