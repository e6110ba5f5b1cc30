/**
 * The Polls panel of the room: a form to create a poll (a question and one answer per line), each
 * poll with its choices to vote on, and, once voted, the results (votes per answer and who).
 * Changing a vote sends a new answer, as jitsi-meet's "change vote" does.
 * @module
 */
import type { Poll } from '@edgemeet/protocol';
import { h } from './dom.ts';
import type { Meeting } from './meeting.ts';
import { MAX_POLL_ANSWERS } from './poll-book.ts';

export interface PollsPanel {
  readonly element: HTMLElement;
  /** Draws the polls again (after a change). */
  render(polls: Poll[]): void;
}

export function pollsPanel(meeting: Meeting): PollsPanel {
  const list = h('ol', { id: 'polls', 'aria-label': 'Polls' });
  const question = h('input', { id: 'poll-question', placeholder: 'Ask a question', 'aria-label': 'Poll question', required: true, maxlength: 200, autocomplete: 'off' });
  const answers = h('textarea', { id: 'poll-answers', placeholder: 'One answer per line', 'aria-label': 'Poll answers', rows: 3, required: true });
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  /** Polls whose vote is being changed (the choices show again). */
  const changing = new Set<string>();
  /** Choices ticked but not yet sent, kept when the list is drawn again. */
  const drafts = new Map<string, boolean[]>();
  const form = h('form', {
    id: 'poll-create', onsubmit: (ev: Event) => {
      ev.preventDefault();
      const names = answers.value.split('\n').map((a) => a.trim()).filter((a) => a.length > 0);
      if (!question.value.trim() || names.length < 2 || names.length > MAX_POLL_ANSWERS) {
        problem.textContent = `A poll needs a question and 2 to ${MAX_POLL_ANSWERS} answers.`;
        problem.hidden = false;
        return;
      }
      problem.hidden = true;
      meeting.createPoll(question.value.trim(), names);
      question.value = '';
      answers.value = '';
    },
  }, question, answers, problem, h('button', { type: 'submit', id: 'poll-submit' }, 'Create poll'));

  /** A creator's or voter's name: the one the component gave, else the participant's, as jitsi-meet shows it. */
  const nameOf = (id: string, given: string | undefined) =>
    given ?? (id === meeting.myId ? meeting.local.name : meeting.participants.get(id)?.name) ?? id;

  const render = (polls: Poll[]) => {
    list.replaceChildren(...polls.map((poll) => {
      const mine = meeting.polls.voteOf(poll, meeting.myId);
      const item = h('li', { class: 'poll', dataset: { pollId: poll.pollId } }, h('strong', { class: 'poll-question' }, poll.question),
        h('span', { class: 'status' }, ` asked by ${nameOf(poll.senderId, poll.senderName)}`));
      if (mine && !changing.has(poll.pollId)) {
        item.append(h('ul', { class: 'poll-results' }, ...poll.answers.map((a, i) => {
          const voters = a.voters ?? [];
          return h('li', { dataset: { index: String(i), votes: String(voters.length) } }, `${a.name}: ${voters.length} vote${voters.length === 1 ? '' : 's'}`,
            voters.length ? h('span', { class: 'status' }, ` (${voters.map((v) => nameOf(v.id, v.name)).join(', ')})`) : '');
        })), h('button', { type: 'button', class: 'poll-change', onclick: () => { changing.add(poll.pollId); render(meeting.polls.list()); } }, 'Change vote'));
        return item;
      }
      const ticked = drafts.get(poll.pollId) ?? mine;
      const boxes = poll.answers.map((a, i) => h('input', {
        type: 'checkbox', name: `poll-${poll.pollId}`, value: String(i), checked: ticked?.[i] === true, 'aria-label': a.name,
        onchange: () => drafts.set(poll.pollId, boxes.map((b) => b.checked)),
      }));
      item.append(h('form', {
        class: 'poll-vote', onsubmit: (ev: Event) => {
          ev.preventDefault();
          const choices = boxes.map((b) => b.checked);
          if (!choices.some(Boolean)) return;
          changing.delete(poll.pollId);
          drafts.delete(poll.pollId);
          meeting.answerPoll(poll.pollId, choices);
        },
      }, ...poll.answers.map((a, i) => h('label', { class: 'poll-choice' }, boxes[i]!, ` ${a.name}`)), h('button', { type: 'submit', class: 'poll-submit-vote' }, 'Vote')));
      return item;
    }));
  };

  const element = h('div', { id: 'polls-panel' }, h('h2', {}, 'Polls'), list, form);
  return { element, render };
}
