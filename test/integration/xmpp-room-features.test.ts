import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { NS_MUC_USER, connectClient, isSelfPresence, joinPresence, joinRoom, sleep, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const JITMEET = 'http://jitsi.org/jitmeet';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const STATS = 'speakerstats.meet.jitsi';
const END = 'endconference.meet.jitsi';
const META = 'metadata.meet.jitsi';
const DURATION = 'conferenceduration.meet.jitsi';
const POLLS = 'polls.meet.jitsi';

const jsonOf = (s: Element) => JSON.parse(s.getChildText('json-message', JITMEET) ?? 'null') as Record<string, unknown> | null;
const fromComponent = (address: string, type: string) => (s: Element) => s.name === 'message' && s.attrs.from === address && jsonOf(s)?.type === type;
const errorCondition = (s: Element) => s.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;
const isError = (s: Element) => s.name === 'message' && s.attrs.type === 'error';
const nick = (name: string) => xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, name);
const report = (room: string, silence = false) => xml('message', { to: STATS }, xml('speakerstats', { xmlns: JITMEET, room, silence: String(silence) }));
const metadataCommand = (room: string, body: string) => xml('message', { to: META }, xml('room_metadata', { xmlns: JITMEET, room }, body));
const roomInfo = async (c: TestClient, roomJid: string) => {
  const reply = await c.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  const field = (name: string) => reply.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
  return { createdTimestamp: field('muc#roominfo_created_timestamp') };
};
/** A ping round trip: whatever the server sent before its answer has arrived. */
const roundTrip = (c: TestClient) => c.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));

describe('the room-feature components (speaker stats, end conference, room metadata, conference duration, polls, as jitsi-meet\'s Prosody modules)', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  const join = async (room: string, n: string, ...extra: Element[]) => {
    const c = await joinRoom(edge.wsUrl, room, n, MUC, ...extra);
    clients.push(c);
    return c;
  };
  beforeAll(async () => { edge = await startEdge({ LOG_LEVEL: 'warn' }); });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });

  it('are announced in the domain\'s disco#info with the identities lib-jitsi-meet keys on', async () => {
    const c = await connectClient(edge.wsUrl, 'disco');
    clients.push(c);
    const info = await c.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const identities = info.getChild('query')?.getChildren('identity').map((i) => i.attrs) ?? [];
    for (const [type, name] of [['speakerstats', STATS], ['end_conference', END], ['room_metadata', META], ['conference_duration', DURATION], ['polls', POLLS]]) {
      expect(identities).toContainEqual({ category: 'component', type, name });
    }
  });

  it('speaker stats: clients report themselves dominant; newcomers get the totals (who spoke, who left with their name, who speaks); reports for other rooms or from outsiders are refused', async () => {
    const room = 'stats';
    const roomJid = `${room}@${MUC}`;
    const alice = await join(room, 'alice', nick('Alice'));
    const bob = await join(room, 'bob', nick('Bob'));
    // Nobody spoke yet: a newcomer gets no stats message.
    const early = await join(room, 'early');
    await roundTrip(early);
    expect(early.received(fromComponent(STATS, 'speakerstats'))).toEqual([]);

    await alice.send(report(roomJid));
    await roundTrip(alice);
    await sleep(400);
    await bob.send(report(roomJid));
    await roundTrip(bob);
    await sleep(200);
    // Bob goes silent: his time stops.
    await bob.send(report(roomJid, true));
    await roundTrip(bob);

    const carol = await join(room, 'carol');
    const stats = jsonOf(await carol.waitFor(fromComponent(STATS, 'speakerstats')))!.users as Record<string, { totalDominantSpeakerTime: number; displayName?: string }>;
    expect(Object.keys(stats).sort()).toEqual(['alice', 'bob']);
    expect(stats.alice!.totalDominantSpeakerTime).toBeGreaterThanOrEqual(350);
    expect(stats.alice!.totalDominantSpeakerTime).toBeLessThan(3000);
    expect(stats.bob!.totalDominantSpeakerTime).toBeGreaterThanOrEqual(150);
    const bobTime = stats.bob!.totalDominantSpeakerTime;

    // Alice leaves: her time and display name stay for latecomers; bob's silent time did not grow.
    await alice.send(xml('presence', { to: `${roomJid}/alice`, type: 'unavailable' }));
    await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === `${roomJid}/alice` && s.attrs.type === 'unavailable');
    await sleep(300);
    const dave = await join(room, 'dave');
    const later = jsonOf(await dave.waitFor(fromComponent(STATS, 'speakerstats')))!.users as typeof stats;
    expect(later.alice).toEqual({ displayName: 'Alice', totalDominantSpeakerTime: stats.alice!.totalDominantSpeakerTime });
    expect(later.bob!.totalDominantSpeakerTime).toBe(bobTime);

    // A report naming another room, and one from a session that is not an occupant: Prosody's refusal.
    await bob.send(report(`elsewhere@${MUC}`));
    expect(errorCondition(await bob.waitFor(isError))).toBe('service-unavailable');
    const outsider = await connectClient(edge.wsUrl, room);
    clients.push(outsider);
    await outsider.send(report(roomJid));
    expect(errorCondition(await outsider.waitFor(isError))).toBe('service-unavailable');
    // An IQ to the component is refused too.
    await expect(bob.iq(xml('iq', { type: 'get', to: STATS }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toThrow(/service-unavailable/);
  });

  it('end conference: a participant is refused and nothing happens; a moderator ends the meeting for everyone (destroy, Jitsi\'s reason); another room carries on', async () => {
    const room = 'ending';
    const roomJid = `${room}@${MUC}`;
    const mod = await join(room, 'mod');
    const pat = await join(room, 'pat');
    const other = await join('ending-other', 'mod2');

    await pat.send(xml('message', { to: END }, xml('end_conference')));
    expect(errorCondition(await pat.waitFor(isError))).toBe('service-unavailable');
    await mod.send(xml('message', { to: END }, xml('body', null, 'not a command')));
    expect(errorCondition(await mod.waitFor(isError))).toBe('service-unavailable');
    // Still in the room: a groupchat reaches both.
    await pat.send(xml('message', { to: roomJid, type: 'groupchat' }, xml('body', null, 'still here')));
    await mod.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'still here');
    expect(pat.received((s) => s.name === 'presence' && s.attrs.type === 'unavailable')).toEqual([]);

    await mod.send(xml('message', { to: END }, xml('end_conference')));
    for (const [c, self] of [[mod, 'mod'], [pat, 'pat']] as const) {
      const gone = await c.waitFor((s) => s.name === 'presence' && s.attrs.type === 'unavailable' && s.attrs.from === `${roomJid}/${self}`);
      const destroy = gone.getChild('x', NS_MUC_USER)?.getChild('destroy');
      expect(destroy?.getChildText('reason')).toBe('The meeting has been terminated');
      expect(destroy?.attrs.jid).toBeUndefined();
    }
    // Pat, still there when the moderator went, saw the moderator go with the same notice.
    expect(pat.received((s) => s.attrs.from === `${roomJid}/mod` && s.attrs.type === 'unavailable')[0]?.getChild('x', NS_MUC_USER)?.getChild('destroy')).toBeDefined();
    // The room is gone; a new join creates it afresh (201).
    await expect(pat.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toThrow(/item-not-found/);
    await pat.send(joinPresence(roomJid, 'pat'));
    const again = await pat.waitFor(isSelfPresence(roomJid, 'pat'));
    expect(again.getChild('x', NS_MUC_USER)?.getChildren('status').map((s) => s.attrs.code)).toContain('201');
    // The other room's occupant saw nothing of it and is still in its room.
    await other.send(xml('message', { to: `ending-other@${MUC}`, type: 'groupchat' }, xml('body', null, 'unaffected')));
    await other.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'unaffected');
    expect(other.received((s) => s.name === 'presence' && s.attrs.type === 'unavailable')).toEqual([]);
  });

  it('room metadata: moderators set keys and everyone hears; newcomers learn it before their own join presence; participants, blocked keys, bad JSON and other rooms are refused and change nothing', async () => {
    const room = 'meta';
    const roomJid = `${room}@${MUC}`;
    const mod = await join(room, 'mod');
    const pat = await join(room, 'pat');
    // The first metadata message reached pat before its own join presence (as the component's filter does).
    const order = pat.stanzas.findIndex(fromComponent(META, 'room_metadata'));
    expect(order).toBeGreaterThanOrEqual(0);
    expect(order).toBeLessThan(pat.stanzas.findIndex(isSelfPresence(roomJid, 'pat')));
    expect(jsonOf(pat.stanzas[order]!)).toEqual({ type: 'room_metadata', metadata: {} });
    expect(pat.stanzas[order]!.getChild('json-message', JITMEET)?.attrs.room).toBe(roomJid);
    await pat.waitFor(fromComponent(META, 'room_metadata'));

    const set = (c: TestClient, key: unknown, data: unknown) => c.send(metadataCommand(roomJid, JSON.stringify({ key, data, type: 'room_metadata' })));
    await set(mod, 'topic', { title: 'Standup' });
    for (const c of [mod, pat]) {
      expect(jsonOf(await c.waitFor((s) => fromComponent(META, 'room_metadata')(s) && jsonOf(s)!.metadata !== undefined && Object.keys(jsonOf(s)!.metadata as object).length > 0)))
        .toEqual({ type: 'room_metadata', metadata: { topic: { title: 'Standup' } } });
    }
    const count = () => pat.received(fromComponent(META, 'room_metadata')).length;
    const before = count();
    // The same value again: no broadcast. A key that is not a string: ignored.
    await set(mod, 'topic', { title: 'Standup' });
    await set(mod, 7, 'x');
    await roundTrip(mod);
    await roundTrip(pat);
    expect(count()).toBe(before);
    expect(mod.received(isError)).toEqual([]);

    for (const [c, body] of [
      [pat, JSON.stringify({ key: 'topic', data: 'hijack' })],
      [mod, JSON.stringify({ key: 'participants', data: ['x'] })],
      [mod, '{"key":"topic","data":'],
      [mod, JSON.stringify({ key: 'topic' })],
      [mod, JSON.stringify({ key: 'big', data: 'x'.repeat(5000) })],
    ] as const) {
      await c.send(metadataCommand(roomJid, body));
      expect(errorCondition(await c.waitFor(isError)), body.slice(0, 40)).toBe('service-unavailable');
    }
    await mod.send(metadataCommand(`elsewhere@${MUC}`, JSON.stringify({ key: 'topic', data: 'x' })));
    expect(errorCondition(await mod.waitFor(isError))).toBe('service-unavailable');
    await roundTrip(pat);
    expect(count()).toBe(before);

    // A latecomer learns it; another room has none of it.
    const late = await join(room, 'late');
    expect(jsonOf(late.stanzas.find(fromComponent(META, 'room_metadata'))!)).toEqual({ type: 'room_metadata', metadata: { topic: { title: 'Standup' } } });
    const elsewhere = await join('meta-other', 'x');
    expect(jsonOf(elsewhere.stanzas.find(fromComponent(META, 'room_metadata'))!)).toEqual({ type: 'room_metadata', metadata: {} });
  });

  it('conference duration: the meeting starts when a second occupant joins; the room\'s created_timestamp and the component\'s message say when', async () => {
    const room = 'duration';
    const roomJid = `${room}@${MUC}`;
    const first = await join(room, 'first');
    expect((await roomInfo(first, roomJid)).createdTimestamp).toBe('');
    await roundTrip(first);
    expect(first.received(fromComponent(DURATION, 'conference_duration'))).toEqual([]);
    const t0 = Date.now();
    const second = await join(room, 'second');
    const told = jsonOf(await second.waitFor(fromComponent(DURATION, 'conference_duration')))!.created_timestamp as number;
    expect(told).toBeGreaterThanOrEqual(t0 - 1000);
    expect(told).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await roomInfo(first, roomJid)).createdTimestamp).toBe(String(told));
    const third = await join(room, 'third');
    expect(jsonOf(await third.waitFor(fromComponent(DURATION, 'conference_duration')))!.created_timestamp).toBe(told);
    await second.send(xml('message', { to: DURATION }, xml('body', null, 'hi')));
    expect(errorCondition(await second.waitFor(isError))).toBe('service-unavailable');
  });

  it('polls: any occupant creates and answers, everyone hears; a latecomer gets every poll with who voted what after its join; bad polls and answers change nothing; another room has none', async () => {
    const room = 'polls';
    const roomJid = `${room}@${MUC}`;
    const pollMessage = (body: string, attrs: Record<string, string> = { type: 'chat' }) => xml('message', { to: POLLS, ...attrs }, xml('json-message', { xmlns: JITMEET }, body));
    // What lib-jitsi-meet's Polls.createPoll() and answerPoll() send.
    const create = (c: TestClient, pollId: string, question: string, answers: string[]) =>
      c.send(pollMessage(JSON.stringify({ answers: answers.map((name) => ({ name })), command: 'new-poll', pollId, question, type: 'polls' })));
    const vote = (c: TestClient, pollId: string, answers: unknown[]) => c.send(pollMessage(JSON.stringify({ answers, command: 'answer-poll', pollId, type: 'polls' })));
    // The component's messages (its error replies echo the command, which is of type polls too).
    const polls = (c: TestClient) => c.received((s) => fromComponent(POLLS, 'polls')(s) && s.attrs.type !== 'error').map((s) => jsonOf(s)!);
    const ann = await join(room, 'ann', nick('Ann'));
    const ben = await join(room, 'ben', nick('Ben'));

    await create(ben, 'p1', 'Lunch at noon?', ['Yes', 'No']);
    for (const c of [ann, ben]) {
      expect(jsonOf(await c.waitFor(fromComponent(POLLS, 'polls'))))
        .toEqual({ answers: [{ name: 'Yes' }, { name: 'No' }], command: 'new-poll', pollId: 'p1', question: 'Lunch at noon?', senderId: 'ben', type: 'polls' });
    }
    await vote(ann, 'p1', [true, false]);
    await ben.waitFor((s) => fromComponent(POLLS, 'polls')(s) && jsonOf(s)!.command === 'answer-poll');
    // Ann changes her mind: her vote moves.
    await vote(ann, 'p1', [false, true]);
    await vote(ben, 'p1', [true, false]);
    const lastAnswer = await ann.waitFor((s) => fromComponent(POLLS, 'polls')(s) && jsonOf(s)!.senderId === 'ben');
    await ben.waitFor((s) => fromComponent(POLLS, 'polls')(s) && jsonOf(s)!.senderId === 'ben');
    expect(jsonOf(lastAnswer)).toEqual({ answers: [true, false], command: 'answer-poll', pollId: 'p1', senderId: 'ben', senderName: 'Ben', type: 'polls' });
    expect(polls(ben).filter((j) => j.command === 'answer-poll').map((j) => [j.senderId, j.senderName, j.answers]))
      .toEqual([['ann', 'Ann', [true, false]], ['ann', 'Ann', [false, true]], ['ben', 'Ben', [true, false]]]);

    // Bad input: the module's error for a repeated id; Prosody's refusal for what it does not handle; the rest dropped silently.
    const heard = () => polls(ann).length;
    const before = heard();
    await create(ann, 'p1', 'Again?', ['a']);
    const again = await ann.waitFor(isError);
    expect(errorCondition(again)).toBe('not-allowed');
    expect(again.getChild('error')?.attrs.type).toBe('cancel');
    for (const bad of [
      pollMessage(JSON.stringify({ answers: [true], command: 'answer-poll', pollId: 'nope', type: 'polls' })),
      pollMessage(JSON.stringify({ command: 'old-polls', type: 'polls' })),
      pollMessage(JSON.stringify({ answers: [true], command: 'answer-poll', pollId: 'p1', type: 'polls' }), { type: 'groupchat' }),
      xml('message', { to: POLLS, type: 'chat' }, xml('body', null, 'a poll?')),
    ]) {
      await ann.send(bad);
      expect(errorCondition(await ann.waitFor(isError))).toBe('service-unavailable');
    }
    for (const dropped of [
      JSON.stringify({ answers: [], command: 'new-poll', pollId: 'p2', question: 'empty', type: 'polls' }),
      JSON.stringify({ answers: [{ name: 'a' }], command: 'new-poll', pollId: 'p2', question: 5, type: 'polls' }),
      JSON.stringify({ answers: [{ name: 'a' }], command: 'new-poll', pollId: 'p2', question: 'x'.repeat(1100), type: 'polls' }),
      JSON.stringify({ answers: ['yes'], command: 'answer-poll', pollId: 'p1', type: 'polls' }),
      JSON.stringify({ answers: [true, false, true], command: 'answer-poll', pollId: 'p1', type: 'polls' }),
    ]) await ann.send(pollMessage(dropped));
    const errorsNow = ann.received(isError).length;
    await roundTrip(ann);
    await roundTrip(ben);
    expect(heard()).toBe(before);
    expect(ann.received(isError).slice(errorsNow).map((e) => e.toString())).toEqual([]);
    // Not JSON at all: the stanza router's bad-request, as for any json-message.
    await ann.send(pollMessage('{"command":'));
    expect(errorCondition(await ann.waitFor(isError))).toBe('bad-request');
    // Someone who is not in the room, and an IQ: refused.
    const outsider = await connectClient(edge.wsUrl, room);
    clients.push(outsider);
    await create(outsider, 'p9', 'sneaky?', ['a']);
    expect(errorCondition(await outsider.waitFor(isError))).toBe('service-unavailable');
    await expect(ann.iq(xml('iq', { type: 'get', to: POLLS }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).rejects.toThrow(/service-unavailable/);

    await create(ann, 'p2', 'Tea?', ['Green', 'Black', 'None']);
    await ben.waitFor((s) => fromComponent(POLLS, 'polls')(s) && jsonOf(s)!.pollId === 'p2');
    // A latecomer: every poll with its voters, after its own join presence.
    const cid = await join(room, 'cid');
    const old = await cid.waitFor(fromComponent(POLLS, 'polls'));
    expect(cid.stanzas.indexOf(old)).toBeGreaterThan(cid.stanzas.findIndex(isSelfPresence(roomJid, 'cid')));
    expect(jsonOf(old)).toEqual({
      command: 'old-polls', type: 'polls', polls: [
        { pollId: 'p1', senderId: 'ben', senderName: 'Ben', question: 'Lunch at noon?', answers: [{ name: 'Yes', voters: [{ id: 'ben', name: 'Ben' }] }, { name: 'No', voters: [{ id: 'ann', name: 'Ann' }] }] },
        { pollId: 'p2', senderId: 'ann', senderName: 'Ann', question: 'Tea?', answers: [{ name: 'Green' }, { name: 'Black' }, { name: 'None' }] },
      ],
    });
    // Another room knows nothing of them.
    const elsewhere = await join('polls-other', 'ann');
    await roundTrip(elsewhere);
    expect(elsewhere.received(fromComponent(POLLS, 'polls'))).toEqual([]);
  });
});
