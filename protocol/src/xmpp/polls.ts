/**
 * The wire format of Jitsi's polls component (`polls.<domain>`, jitsi-meet's
 * mod_polls_component; lib-jitsi-meet's `modules/xmpp/Polls.ts`), read for behaviour, not copied.
 *
 * A client sends the component a message (type `chat`, no `<body/>`) with a `<json-message
 * xmlns="http://jitsi.org/jitmeet">` of `{type: "polls", command, pollId, …}`:
 * - `new-poll`: `question` (string) and `answers` (a non-empty array of `{name: string}`);
 * - `answer-poll`: `answers` (a non-empty array of booleans, one per answer of the poll).
 *
 * The component sends every occupant, as `json-message` from its address, the poll
 * (`command: "new-poll"` with the creator's `senderId`) or the answer (`command: "answer-poll"`
 * with the voter's `senderId` and `senderName`), and a newcomer `command: "old-polls"` with every
 * poll so far and who voted for what (`answers: [{name, voters: [{id, name}]}]`).
 *
 * What the module does not handle (a groupchat, a message with a body, no json-message, a command
 * that is not one of the two) falls to Prosody's unhandled-stanza reply ({@link readPollsMessage}
 * returns `null`); what it handles but drops (too large, not JSON, not a valid poll or answer) it
 * drops without a reply (`dropped`).
 * @module
 */
import { parseBoundedJson, type JsonLimits } from '../json/bounded-json.ts';
import { utf8Length } from '../utf8.ts';
import type { Element } from '../xml/element.ts';
import { NS_JITMEET } from '../xml/namespaces.ts';
import { buildJsonMessage } from './json-message.ts';

/**
 * mod_polls_component's bounds: polls per room, and the JSON text of one command (bytes,
 * exclusive); and ours: the room's polls with their voters, serialized (they live in the room's
 * storage, where one value is at most 2 MB; Prosody keeps them in memory, unbounded).
 */
export const POLLS_LIMITS = Object.freeze({ maxPolls: 128, maxPayloadBytes: 1024, maxStoredChars: 524_288 });

/** Bounds of the JSON walk (the payload is under 1 KB, so these never bind before it does). */
const POLLS_JSON_LIMITS: JsonLimits = Object.freeze({
  maxChars: POLLS_LIMITS.maxPayloadBytes, maxDepth: 8, maxEntries: 512, maxTotalEntries: 1024, maxStringChars: POLLS_LIMITS.maxPayloadBytes,
});

export interface NewPollCommand {
  readonly command: 'new-poll';
  readonly pollId: string;
  readonly question: string;
  readonly answers: readonly { readonly name: string }[];
}

export interface AnswerPollCommand {
  readonly command: 'answer-poll';
  readonly pollId: string;
  /** Whether the voter chose each answer, in the poll's order. */
  readonly answers: readonly boolean[];
}

export type PollCommand = NewPollCommand | AnswerPollCommand;

/** What a message to the polls component asks: a command, or one the module drops (with why). */
export type PollsMessage = { readonly command: PollCommand } | { readonly dropped: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The poll command in a message to the polls component; null for what the module does not
 * handle (Prosody then answers service-unavailable), `dropped` for what it handles and drops.
 */
export function readPollsMessage(message: Element): PollsMessage | null {
  if (message.attrs.type === 'groupchat' || message.getChild('body')) return null;
  const el = message.getChild('json-message', NS_JITMEET) ?? message.getChildren('json-message').find((c) => c.attrs.xmlns === undefined);
  if (!el) return null;
  const text = el.text();
  if (utf8Length(text, POLLS_LIMITS.maxPayloadBytes) >= POLLS_LIMITS.maxPayloadBytes) return { dropped: 'payload too large' };
  let data: unknown;
  try {
    data = parseBoundedJson(text, POLLS_JSON_LIMITS);
  } catch {
    return { dropped: 'not JSON' };
  }
  if (!isObject(data)) return { dropped: 'not a JSON object' };
  if (data.command !== 'new-poll' && data.command !== 'answer-poll') return null;
  const command = validPoll(data);
  return command ? { command } : { dropped: 'invalid poll data' };
}

/** mod_polls_component's validation: the command's fields with their types, nothing else taken. */
function validPoll(data: Record<string, unknown>): PollCommand | null {
  const { type, pollId, answers, question } = data;
  if (type !== 'polls' || typeof pollId !== 'string' || !Array.isArray(answers) || answers.length === 0) return null;
  if (data.command === 'new-poll') {
    if (typeof question !== 'string') return null;
    if (!answers.every((a) => isObject(a) && typeof a.name === 'string')) return null;
    return { command: 'new-poll', pollId, question, answers: answers.map((a) => ({ name: (a as { name: string }).name })) };
  }
  if (!answers.every((a) => typeof a === 'boolean')) return null;
  return { command: 'answer-poll', pollId, answers: answers as boolean[] };
}

/** A client's command as lib-jitsi-meet's createPoll()/answerPoll() send it (the `<json-message/>` of a chat message to the component). */
export function buildPollCommand(command: PollCommand): Element {
  return command.command === 'new-poll'
    ? buildJsonMessage({ answers: command.answers.map((a) => ({ name: a.name })), command: 'new-poll', pollId: command.pollId, question: command.question, type: 'polls' })
    : buildJsonMessage({ answers: [...command.answers], command: 'answer-poll', pollId: command.pollId, type: 'polls' });
}

/** One voter of an answer, as the component keeps and sends them (`name`: the display name, if any). */
export interface PollVoter {
  readonly id: string;
  readonly name?: string;
}

/** A poll as the room keeps it and a newcomer gets it (`old-polls`). */
export interface Poll {
  readonly pollId: string;
  /** The creator's occupant nick (lib-jitsi-meet's participant id). */
  readonly senderId: string;
  readonly senderName?: string;
  readonly question: string;
  /** `voters` is absent while nobody chose the answer. */
  readonly answers: readonly { readonly name: string; readonly voters?: readonly PollVoter[] }[];
}

/** A new poll to every occupant: the command as sent, with the creator's id. */
export function buildNewPollMessage(poll: { pollId: string; senderId: string; question: string; answers: readonly { name: string }[] }): Element {
  return buildJsonMessage({
    answers: poll.answers.map((a) => ({ name: a.name })), command: 'new-poll', pollId: poll.pollId, question: poll.question,
    senderId: poll.senderId, type: 'polls',
  });
}

/** An answer to every occupant: the voter's choices with its id and display name. */
export function buildAnswerPollMessage(answer: { pollId: string; senderId: string; senderName?: string; answers: readonly boolean[] }): Element {
  return buildJsonMessage({
    answers: [...answer.answers], command: 'answer-poll', pollId: answer.pollId, senderId: answer.senderId,
    ...(answer.senderName !== undefined ? { senderName: answer.senderName } : {}), type: 'polls',
  });
}

/** Every poll so far, to a newcomer. */
export function buildOldPollsMessage(polls: readonly Poll[]): Element {
  return buildJsonMessage({ command: 'old-polls', polls, type: 'polls' });
}

/** What a client hears from the polls component (lib-jitsi-meet's POLL_RECEIVED and POLL_ANSWER_RECEIVED). */
export type PollsEvent =
  | { readonly kind: 'poll'; readonly poll: Poll; readonly history: boolean }
  | { readonly kind: 'answer'; readonly pollId: string; readonly senderId: string; readonly senderName?: string; readonly answers: readonly boolean[] };

const voterOf = (v: unknown): PollVoter | null => (isObject(v) && typeof v.id === 'string'
  ? { id: v.id, ...(typeof v.name === 'string' ? { name: v.name } : {}) } : null);

function pollOf(v: unknown): Poll | null {
  if (!isObject(v) || typeof v.pollId !== 'string' || typeof v.question !== 'string' || typeof v.senderId !== 'string' || !Array.isArray(v.answers)) return null;
  const answers = v.answers.map((a) => {
    if (!isObject(a) || typeof a.name !== 'string') return null;
    const voters = Array.isArray(a.voters) ? a.voters.map(voterOf).filter((x): x is PollVoter => x !== null) : [];
    return voters.length > 0 ? { name: a.name, voters } : { name: a.name };
  });
  if (answers.some((a) => a === null)) return null;
  return {
    pollId: v.pollId, senderId: v.senderId, ...(typeof v.senderName === 'string' ? { senderName: v.senderName } : {}), question: v.question,
    answers: answers as Poll['answers'],
  };
}

/** The events in one `json-message` body from the polls component (a client's side); [] for anything else. */
export function readPollsEvents(json: unknown): PollsEvent[] {
  if (!isObject(json) || json.type !== 'polls') return [];
  if (json.command === 'new-poll') {
    const poll = pollOf(json);
    return poll ? [{ kind: 'poll', poll, history: false }] : [];
  }
  if (json.command === 'old-polls' && Array.isArray(json.polls)) {
    return json.polls.map(pollOf).filter((p): p is Poll => p !== null).map((poll) => ({ kind: 'poll', poll, history: true }));
  }
  if (json.command === 'answer-poll' && typeof json.pollId === 'string' && typeof json.senderId === 'string' && Array.isArray(json.answers)) {
    return [{
      kind: 'answer', pollId: json.pollId, senderId: json.senderId, ...(typeof json.senderName === 'string' ? { senderName: json.senderName } : {}),
      answers: json.answers.map(Boolean),
    }];
  }
  return [];
}

/**
 * `poll` with `voter`'s choices applied, as jitsi-meet's reducer applies an incoming answer (and
 * the component keeps its state): the voter is removed from answers not chosen and added, once,
 * to answers chosen; answers beyond `choices` count as not chosen.
 */
export function applyPollAnswer(poll: Poll, voter: PollVoter, choices: readonly boolean[]): Poll {
  return {
    ...poll,
    answers: poll.answers.map((a, i) => {
      const voters = a.voters ?? [];
      const has = voters.some((v) => v.id === voter.id);
      const chosen = choices[i] === true;
      const next = chosen && !has ? [...voters, voter] : !chosen && has ? voters.filter((v) => v.id !== voter.id) : voters;
      return next.length > 0 ? { name: a.name, voters: next } : { name: a.name };
    }),
  };
}
