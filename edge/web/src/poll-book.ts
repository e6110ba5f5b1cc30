/**
 * The polls this page knows, kept as jitsi-meet's polls reducer keeps them: a poll arrives new or
 * from the history (`old-polls`), an answer replaces its voter's earlier one
 * (protocol's applyPollAnswer). Fed by what the polls component sends (readPollsEvents).
 * @module
 */
import { applyPollAnswer, type Poll, type PollsEvent } from '@edgemeet/protocol';

/** jitsi-meet shows at most this many answers of a poll. */
export const MAX_POLL_ANSWERS = 32;

export class PollBook {
  readonly #polls = new Map<string, Poll>();

  /** Applies the component's events; whether anything changed. */
  apply(events: readonly PollsEvent[]): boolean {
    let changed = false;
    for (const e of events) {
      if (e.kind === 'poll') {
        this.#polls.set(e.poll.pollId, { ...e.poll, answers: e.poll.answers.slice(0, MAX_POLL_ANSWERS) });
        changed = true;
        continue;
      }
      const poll = this.#polls.get(e.pollId);
      if (!poll) continue;
      this.#polls.set(e.pollId, applyPollAnswer(poll, { id: e.senderId, ...(e.senderName !== undefined ? { name: e.senderName } : {}) }, e.answers));
      changed = true;
    }
    return changed;
  }

  /** Every poll, in the order they came. */
  list(): Poll[] {
    return [...this.#polls.values()];
  }

  /** What `voterId` chose in a poll, or null if it has not voted. */
  voteOf(poll: Poll, voterId: string): boolean[] | null {
    const choices = poll.answers.map((a) => (a.voters ?? []).some((v) => v.id === voterId));
    return choices.some(Boolean) ? choices : null;
  }
}
