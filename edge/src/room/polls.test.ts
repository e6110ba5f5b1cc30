import { describe, expect, it } from 'vitest';
import { jid, xml, type Element } from '@edgemeet/protocol';
import { RecordingConnection, memoryStore, silentLog, testConfig } from '../testing/room-kit.ts';
import { AvModeration } from './av-moderation.ts';
import { Lobby } from './lobby.ts';
import { MucRoom } from './muc/muc-room.ts';
import { createRoomIqRouter } from './muc/room-iq.ts';
import { Polls } from './polls.ts';
import { RoomMetadata } from './room-metadata.ts';
import { createMucServiceIqRouter, createServerIqRouter } from './server-iq.ts';
import { Sessions } from './sessions.ts';
import { StanzaRouter } from './stanza-router.ts';

const ROOM = 'r1@conference.meet.jitsi';
const POLLS = 'polls.meet.jitsi';
const JM = 'http://jitsi.org/jitmeet';

function setup() {
  const store = memoryStore();
  const config = testConfig();
  let room: MucRoom;
  let polls: Polls;
  const sessions = new Sessions({
    store, config, log: silentLog, now: () => 1,
    hooks: { sessionEnded: (sid) => room.removeSession(sid), scheduleWakeUp() {} },
  });
  room = new MucRoom({ jid: jid('r1', 'conference.meet.jitsi'), store, sessions, config, log: silentLog, now: () => 1, onJoined: (occ) => polls.occupantJoined(occ) });
  polls = new Polls({ address: POLLS, room, sessions, log: silentLog, isService: () => false, tokenFeatures: (sid) => store.sessionAuth(sid)?.features });
  const onHandlerError = () => {};
  const metadata = new RoomMetadata({ address: config.roomMetadataDomain, room, sessions, log: silentLog, isService: () => false });
  const lobby = new Lobby({ config, log: silentLog, roomName: 'r1', main: room, store: store.lobby, sessions, metadata, now: () => 1, superOwners: [] });
  const router = new StanzaRouter({
    config, log: silentLog, sessions, room, roomName: 'r1',
    serverIq: createServerIqRouter(onHandlerError), mucServiceIq: createMucServiceIqRouter(onHandlerError), roomIq: createRoomIqRouter(onHandlerError),
    avModeration: new AvModeration({ address: config.avModerationDomain, room, sessions, log: silentLog }), components: [polls],
    lobby, lobbyServiceIq: lobby.serviceIqRouter(onHandlerError),
  });
  const user = async (name: string, features?: Record<string, boolean>) => {
    const conn = new RecordingConnection(name);
    const session = sessions.bind(conn, `${name}@meet.jitsi/res`);
    if (features) store.putSessionAuth(session.sid, { room: '*', moderator: false, user: {}, features });
    const send = (stanza: Element) => {
      stanza.attrs.from = session.jid;
      return router.route(session, stanza);
    };
    await send(xml('presence', { to: `${ROOM}/${name}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }), xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, name.toUpperCase())));
    const pollsHeard = () => conn.stanzas().filter((s) => s.attrs.from === POLLS && s.name === 'message').map((s) => JSON.parse(s.getChildText('json-message', JM)!) as Record<string, unknown>);
    return { conn, session, send, last: () => conn.stanzas().at(-1), pollsHeard };
  };
  return { room, polls, user };
}

const command = (body: unknown) => xml('message', { to: POLLS, type: 'chat' }, xml('json-message', { xmlns: JM }, JSON.stringify(body)));
const newPoll = (pollId: string, answers = ['Yes', 'No']) => command({ type: 'polls', command: 'new-poll', pollId, question: `${pollId}?`, answers: answers.map((name) => ({ name })) });
const answer = (pollId: string, answers: boolean[]) => command({ type: 'polls', command: 'answer-poll', pollId, answers });
const errorOf = (s: Element | undefined) => (s?.attrs.type === 'error' ? `${s.getChild('error')?.attrs.type}/${s.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name}` : undefined);

describe('Polls (mod_polls_component)', () => {
  it('with the room metadata\'s permissions.pollCreationRestricted only a token allowing create-polls, or one without features, creates polls', async () => {
    const s = setup();
    const owner = await s.user('owner');
    const limited = await s.user('limited', { recording: true });
    const allowed = await s.user('allowed', { 'create-polls': true });
    s.room.saveSettings({ ...s.room.settings!, metadata: { permissions: { pollCreationRestricted: true } } });
    await limited.send(newPoll('p1'));
    expect(errorOf(limited.last())).toBe('cancel/not-allowed');
    expect(limited.last()?.getChild('error')?.getChildText('text')).toBe('Creation of polls not allowed for user');
    expect(s.polls.polls).toEqual([]);
    await allowed.send(newPoll('p1'));
    await owner.send(newPoll('p2'));
    expect(s.polls.polls.map((p) => [p.pollId, p.senderId, p.senderName])).toEqual([['p1', 'allowed', 'ALLOWED'], ['p2', 'owner', 'OWNER']]);
    // Answering is never restricted.
    await limited.send(answer('p1', [true, false]));
    expect(s.polls.polls[0]!.answers[0]!.voters).toEqual([{ id: 'limited', name: 'LIMITED' }]);
  });

  it('at most 128 polls per room: later ones are dropped without a reply; the ids are checked before', async () => {
    const s = setup();
    const a = await s.user('a');
    for (let i = 0; i < 128; i++) await a.send(newPoll(`p${i}`));
    const heard = a.pollsHeard().length;
    await a.send(newPoll('p0'));
    await a.send(newPoll('one-too-many'));
    expect(s.polls.polls).toHaveLength(128);
    expect(a.pollsHeard()).toHaveLength(heard);
    // Full: even a repeated id is dropped silently (the module checks the count first).
    expect(a.conn.stanzas().filter((x) => x.attrs.type === 'error')).toEqual([]);
  });

  it('a command that would make the room\'s polls outgrow their storage (512 KiB serialized) is dropped without a reply; smaller ones still fit', async () => {
    const s = setup();
    const a = await s.user('a');
    // A display name of 40,000 characters: each answer it votes for stores it.
    const big = await s.user('big');
    await big.send(xml('presence', { to: `${ROOM}/big` }, xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'x'.repeat(40_000))));
    const all = [true, true, true, true, true, true, true, true];
    for (const id of ['p0', 'p1']) await a.send(newPoll(id, ['1', '2', '3', '4', '5', '6', '7', '8']));
    const size = () => JSON.stringify(s.polls.polls).length;
    await big.send(answer('p0', all));
    expect(size()).toBeGreaterThan(320_000);
    const heard = a.pollsHeard().length;
    const before = JSON.stringify(s.polls.polls);
    await big.send(answer('p1', all));
    expect(JSON.stringify(s.polls.polls)).toBe(before);
    expect(a.pollsHeard()).toHaveLength(heard);
    expect(big.conn.stanzas().filter((x) => x.attrs.type === 'error')).toEqual([]);
    await a.send(answer('p1', all));
    expect(s.polls.polls[1]!.answers.every((x) => x.voters?.length === 1 && x.voters[0]!.id === 'a')).toBe(true);
    expect(size()).toBeLessThanOrEqual(524_288);
  });

  it('an answer with more choices than the poll has is dropped; with fewer, the missing ones are not chosen', async () => {
    const s = setup();
    const a = await s.user('a');
    const b = await s.user('b');
    await a.send(newPoll('p', ['x', 'y', 'z']));
    await b.send(answer('p', [true, true, true]));
    const heard = a.pollsHeard().length;
    await b.send(answer('p', [true, true, true, true]));
    expect(a.pollsHeard()).toHaveLength(heard);
    expect(b.conn.stanzas().filter((x) => x.attrs.type === 'error')).toEqual([]);
    await b.send(answer('p', [false, true]));
    expect(s.polls.polls[0]!.answers.map((x) => x.voters?.map((v) => v.id) ?? [])).toEqual([[], ['b'], []]);
    expect(a.pollsHeard().at(-1)).toEqual({ type: 'polls', command: 'answer-poll', pollId: 'p', answers: [false, true], senderId: 'b', senderName: 'B' });
  });
});
