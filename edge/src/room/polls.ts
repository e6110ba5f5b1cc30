/**
 * The room's polls component, `polls.<domain>` (jitsi-meet's mod_polls_component; lib-jitsi-meet
 * finds it as a `polls` identity and `conference.getPolls()` sends it `new-poll` and
 * `answer-poll`). Any occupant creates a poll or answers one; the component tells every occupant
 * (the creator's or voter's id is its nick, the voter's name its display name), keeps the polls
 * with who voted for what, and sends a newcomer all of them after its join (`old-polls`). As in
 * Jitsi: at most {@link POLLS_LIMITS} polls per room, a poll id only once (cancel/not-allowed),
 * and when the room metadata's `permissions.pollCreationRestricted` is set only holders of a
 * token whose features allow `create-polls` (or that lists no features) create polls. A command
 * that is too large, not JSON or not a valid poll or answer is dropped, as the module drops it,
 * and so is one that would make the room's polls outgrow their storage ({@link POLLS_LIMITS}, our
 * bound); what it does not handle is refused (service-unavailable). A voter's later answer replaces its
 * earlier one (jitsi-meet's clients apply answers that way; the module appends, so its history
 * could count a changed vote twice). The polls live in the room's settings (storage): they survive
 * an eviction and go with the room.
 * @module
 */
// Internal: not exported from the package entry.
import {
  NS_NICK, POLLS_LIMITS, StanzaError, applyPollAnswer, buildAnswerPollMessage, buildComponentMessage, buildNewPollMessage,
  buildOldPollsMessage, parseXml, readPollsMessage, refused, type AnswerPollCommand, type Element, type NewPollCommand, type Poll,
} from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { componentMessage, type RoomComponent, type ServiceOccupant } from './component.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { OccupantRow, SessionRow } from './store.ts';

export interface PollsOptions {
  readonly address: string;
  readonly room: MucRoom;
  readonly sessions: Sessions;
  readonly log: Logger;
  readonly isService: ServiceOccupant;
  /** The `context.features` of a session's token; undefined without a token or without features. */
  readonly tokenFeatures: (sid: string) => Readonly<Record<string, boolean>> | undefined;
}

/** Lua's truth: everything but nil and false (Jitsi's metadata flags are tested that way). */
const luaTruthy = (v: unknown): boolean => v !== undefined && v !== null && v !== false;

export class Polls implements RoomComponent {
  readonly #o: PollsOptions;

  constructor(o: PollsOptions) {
    this.#o = o;
  }

  get address(): string {
    return this.#o.address;
  }

  /** The room's polls, oldest first. */
  get polls(): readonly Poll[] {
    return this.#o.room.settings?.polls ?? [];
  }

  handle(session: SessionRow, stanza: Element): void {
    const message = componentMessage(stanza);
    if (!message) return;
    const occupant = this.#o.room.occupantBySid(session.sid);
    if (!occupant) throw refused('not an occupant of the room');
    const read = readPollsMessage(message);
    if (!read) throw refused('not a poll command');
    if ('dropped' in read) {
      this.#o.log.warn('polls.dropped', { nick: occupant.nick, reason: read.dropped });
      return;
    }
    if (read.command.command === 'new-poll') this.#create(session, occupant, read.command);
    else this.#answer(occupant, read.command);
  }

  #create(session: SessionRow, creator: OccupantRow, command: NewPollCommand): void {
    const polls = this.polls;
    if (polls.length >= POLLS_LIMITS.maxPolls) {
      this.#o.log.warn('polls.dropped', { nick: creator.nick, reason: 'too many polls in the room' });
      return;
    }
    if (polls.some((p) => p.pollId === command.pollId)) throw new StanzaError('not-allowed', { text: 'Poll already exists' });
    const permissions = this.#o.room.settings?.metadata?.permissions as Record<string, unknown> | undefined;
    if (luaTruthy(permissions?.pollCreationRestricted)) {
      const features = this.#o.tokenFeatures(session.sid);
      if (features !== undefined && features['create-polls'] !== true) {
        throw new StanzaError('not-allowed', { text: 'Creation of polls not allowed for user' });
      }
    }
    const senderName = displayName(creator);
    const poll: Poll = {
      pollId: command.pollId, senderId: creator.nick, ...(senderName !== undefined ? { senderName } : {}), question: command.question,
      answers: command.answers.map((a) => ({ name: a.name })),
    };
    if (!this.#save([...polls, poll], creator.nick)) return;
    this.#o.log.info('polls.created', { pollId: poll.pollId, nick: creator.nick, answers: poll.answers.length });
    this.#broadcast(buildNewPollMessage(poll));
  }

  #answer(voter: OccupantRow, command: AnswerPollCommand): void {
    const polls = this.polls;
    const index = polls.findIndex((p) => p.pollId === command.pollId);
    if (index < 0) throw refused('no such poll');
    const poll = polls[index]!;
    // The module fails on an answer beyond the poll's (nothing is sent); fewer count as not chosen.
    if (command.answers.length > poll.answers.length) {
      this.#o.log.warn('polls.dropped', { nick: voter.nick, reason: 'more answers than the poll has' });
      return;
    }
    const senderName = displayName(voter);
    const next = [...polls];
    next[index] = applyPollAnswer(poll, { id: voter.nick, ...(senderName !== undefined ? { name: senderName } : {}) }, command.answers);
    if (!this.#save(next, voter.nick)) return;
    this.#o.log.debug('polls.answered', { pollId: poll.pollId, nick: voter.nick });
    this.#broadcast(buildAnswerPollMessage({ pollId: poll.pollId, senderId: voter.nick, senderName, answers: command.answers }));
  }

  /** A newcomer gets every poll so far, after its join (the module's muc-occupant-joined). */
  occupantJoined(occ: OccupantRow): void {
    const polls = this.polls;
    if (this.#o.isService(occ) || polls.length === 0) return;
    this.#o.sessions.deliver(occ.sid, buildComponentMessage(this.#o.address, occ.jid, buildOldPollsMessage(polls)));
  }

  /** Stores the polls; false (and nothing stored) without a room or when they would outgrow {@link POLLS_LIMITS}. */
  #save(polls: Poll[], nick: string): boolean {
    const settings = this.#o.room.settings;
    if (!settings) return false;
    if (JSON.stringify(polls).length > POLLS_LIMITS.maxStoredChars) {
      this.#o.log.warn('polls.dropped', { nick, reason: 'the room\'s polls are full' });
      return false;
    }
    this.#o.room.saveSettings({ ...settings, polls });
    return true;
  }

  #broadcast(payload: Element): void {
    for (const occ of this.#o.room.occupants.values()) {
      if (this.#o.isService(occ)) continue;
      this.#o.sessions.deliver(occ.sid, buildComponentMessage(this.#o.address, occ.jid, payload));
    }
  }
}

/** The occupant's display name (`<nick/>` of its presence), if it has one. */
function displayName(occ: OccupantRow): string | undefined {
  return parseXml(occ.presence).getChildText('nick', NS_NICK) ?? undefined;
}
