import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml/parse.ts';
import { parseJsonMessage } from './json-message.ts';
import {
  POLLS_LIMITS, applyPollAnswer, buildAnswerPollMessage, buildNewPollMessage, buildOldPollsMessage, buildPollCommand, readPollsEvents, readPollsMessage,
  type Poll, type PollCommand,
} from './polls.ts';

const JM = 'http://jitsi.org/jitmeet';
const escape = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
const msg = (json: string, attrs = 'type="chat"', extra = '') =>
  parseXml(`<message xmlns="jabber:client" to="polls.meet.jitsi" ${attrs}><json-message xmlns="${JM}">${escape(json)}</json-message>${extra}</message>`);
const newPoll = { answers: [{ name: 'Yes' }, { name: 'No' }], command: 'new-poll', pollId: 'p1', question: 'Lunch?', type: 'polls' };

describe('polls wire format (mod_polls_component, lib-jitsi-meet Polls)', () => {
  it('readPollsMessage() reads what lib-jitsi-meet\'s createPoll() and answerPoll() send', () => {
    expect(readPollsMessage(msg(JSON.stringify(newPoll)))).toEqual({
      command: { command: 'new-poll', pollId: 'p1', question: 'Lunch?', answers: [{ name: 'Yes' }, { name: 'No' }] },
    });
    expect(readPollsMessage(msg(JSON.stringify({ answers: [true, false], command: 'answer-poll', pollId: 'p1', type: 'polls' })))).toEqual({
      command: { command: 'answer-poll', pollId: 'p1', answers: [true, false] },
    });
    // Extra keys the client adds are not taken over.
    expect(readPollsMessage(msg(JSON.stringify({ ...newPoll, senderId: 'forged', answers: [{ name: 'A', voters: ['x'] }] }))))
      .toEqual({ command: { command: 'new-poll', pollId: 'p1', question: 'Lunch?', answers: [{ name: 'A' }] } });
  });

  it('buildPollCommand() writes what lib-jitsi-meet sends, and readPollsMessage() reads it back', () => {
    const commands: PollCommand[] = [
      { command: 'new-poll', pollId: 'p1', question: 'Lunch?', answers: [{ name: 'Yes' }, { name: 'No' }] },
      { command: 'answer-poll', pollId: 'p1', answers: [false, true] },
    ];
    for (const command of commands) {
      const el = buildPollCommand(command);
      expect(el.attrs.xmlns).toBe(JM);
      const stanza = parseXml(`<message xmlns="jabber:client" type="chat" to="polls.meet.jitsi">${el.toString()}</message>`);
      expect(readPollsMessage(stanza)).toEqual({ command });
    }
    expect(parseJsonMessage(buildPollCommand(commands[0]!))).toEqual(newPoll);
  });

  it('what the module does not handle is null (Prosody\'s unhandled-stanza reply): groupchat, a body, no json-message, another command', () => {
    expect(readPollsMessage(msg(JSON.stringify(newPoll), 'type="groupchat"'))).toBeNull();
    expect(readPollsMessage(msg(JSON.stringify(newPoll), 'type="chat"', '<body>hi</body>'))).toBeNull();
    expect(readPollsMessage(parseXml('<message xmlns="jabber:client" to="polls.meet.jitsi"><body>x</body></message>'))).toBeNull();
    expect(readPollsMessage(parseXml('<message xmlns="jabber:client" to="polls.meet.jitsi"/>'))).toBeNull();
    expect(readPollsMessage(msg(JSON.stringify({ ...newPoll, command: 'old-polls' })))).toBeNull();
    expect(readPollsMessage(msg(JSON.stringify({ type: 'polls', pollId: 'p1' })))).toBeNull();
  });

  it('what it drops: over 1 KB (in bytes), not JSON, not an object, or not a valid poll or answer', () => {
    const big = JSON.stringify({ ...newPoll, question: 'x'.repeat(POLLS_LIMITS.maxPayloadBytes) });
    expect(readPollsMessage(msg(big))).toEqual({ dropped: 'payload too large' });
    // 1023 bytes passes, 1024 does not; multi-byte characters count as bytes.
    const sized = (bytes: number) => {
      const base = JSON.stringify({ ...newPoll, question: '' });
      return JSON.stringify({ ...newPoll, question: 'q'.repeat(bytes - base.length) });
    };
    expect(readPollsMessage(msg(sized(1023)))).toHaveProperty('command');
    expect(readPollsMessage(msg(sized(1024)))).toEqual({ dropped: 'payload too large' });
    expect(readPollsMessage(msg(JSON.stringify({ ...newPoll, question: 'é'.repeat(470) })))).toEqual({ dropped: 'payload too large' });
    expect(readPollsMessage(msg('{"command":"new-poll"'))).toEqual({ dropped: 'not JSON' });
    expect(readPollsMessage(msg('[1,2]'))).toEqual({ dropped: 'not a JSON object' });
    for (const bad of [
      { ...newPoll, type: 'other' },
      { ...newPoll, pollId: 7 },
      { ...newPoll, answers: [] },
      { ...newPoll, answers: { 0: { name: 'a' } } },
      { ...newPoll, question: null },
      { ...newPoll, answers: [{ name: 'a' }, 'b'] },
      { ...newPoll, answers: [{ name: 3 }] },
      { answers: [true, 'yes'], command: 'answer-poll', pollId: 'p1', type: 'polls' },
      { answers: [], command: 'answer-poll', pollId: 'p1', type: 'polls' },
      { answers: [true], command: 'answer-poll', type: 'polls' },
    ]) {
      expect(readPollsMessage(msg(JSON.stringify(bad))), JSON.stringify(bad)).toEqual({ dropped: 'invalid poll data' });
    }
  });

  it('the component\'s messages round-trip through readPollsEvents() as lib-jitsi-meet\'s events', () => {
    const created = parseJsonMessage(buildNewPollMessage({ pollId: 'p1', senderId: 'ab12', question: 'Lunch?', answers: [{ name: 'Yes' }, { name: 'No' }] }));
    expect(created).toEqual({ ...newPoll, senderId: 'ab12' });
    expect(readPollsEvents(created)).toEqual([{
      kind: 'poll', history: false, poll: { pollId: 'p1', senderId: 'ab12', question: 'Lunch?', answers: [{ name: 'Yes' }, { name: 'No' }] },
    }]);
    const answered = parseJsonMessage(buildAnswerPollMessage({ pollId: 'p1', senderId: 'cd34', senderName: 'Cat', answers: [false, true] }));
    expect(answered).toEqual({ answers: [false, true], command: 'answer-poll', pollId: 'p1', senderId: 'cd34', senderName: 'Cat', type: 'polls' });
    expect(readPollsEvents(answered)).toEqual([{ kind: 'answer', pollId: 'p1', senderId: 'cd34', senderName: 'Cat', answers: [false, true] }]);
    const polls: Poll[] = [
      { pollId: 'p1', senderId: 'ab12', senderName: 'Ann', question: 'Lunch?', answers: [{ name: 'Yes', voters: [{ id: 'cd34', name: 'Cat' }] }, { name: 'No' }] },
      { pollId: 'p2', senderId: 'cd34', question: 'Tea?', answers: [{ name: 'Sure', voters: [{ id: 'ab12' }] }] },
    ];
    const old = parseJsonMessage(buildOldPollsMessage(polls));
    expect(old).toEqual({ command: 'old-polls', polls, type: 'polls' });
    expect(readPollsEvents(old)).toEqual(polls.map((poll) => ({ kind: 'poll', poll, history: true })));
    expect(readPollsEvents({ type: 'speakerstats' })).toEqual([]);
    expect(readPollsEvents({ type: 'polls', command: 'new-poll', pollId: 'p', question: 'q', senderId: 's', answers: [3] })).toEqual([]);
  });

  it('applyPollAnswer() keeps one vote per voter: a changed vote moves it, an unchosen answer loses it, extra choices are ignored', () => {
    const poll: Poll = { pollId: 'p', senderId: 's', question: 'q', answers: [{ name: 'A' }, { name: 'B' }] };
    const ann = { id: 'ann', name: 'Ann' };
    const once = applyPollAnswer(poll, ann, [true, false]);
    expect(once.answers).toEqual([{ name: 'A', voters: [ann] }, { name: 'B' }]);
    expect(applyPollAnswer(once, ann, [true, false])).toEqual(once);
    const moved = applyPollAnswer(once, ann, [false, true]);
    expect(moved.answers).toEqual([{ name: 'A' }, { name: 'B', voters: [ann] }]);
    const bob = { id: 'bob' };
    expect(applyPollAnswer(moved, bob, [true]).answers).toEqual([{ name: 'A', voters: [bob] }, { name: 'B', voters: [ann] }]);
    expect(applyPollAnswer(moved, ann, []).answers).toEqual([{ name: 'A' }, { name: 'B' }]);
  });
});
