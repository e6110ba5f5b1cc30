import { describe, expect, it } from 'vitest';
import { IqRouter, jid, xml, type Element } from '@edgemeet/protocol';
import { RecordingConnection, memoryStore, silentLog, testConfig } from '../testing/room-kit.ts';
import { AvModeration } from './av-moderation.ts';
import { Lobby } from './lobby.ts';
import { RoomMetadata } from './room-metadata.ts';
import { MucRoom } from './muc/muc-room.ts';
import { createRoomIqRouter } from './muc/room-iq.ts';
import { createMucServiceIqRouter, createServerIqRouter } from './server-iq.ts';
import { Sessions } from './sessions.ts';
import { StanzaRouter, type FocusIqContext } from './stanza-router.ts';

const ROOM = 'r1@conference.meet.jitsi';

function setup(withFocus = false) {
  const store = memoryStore();
  const config = testConfig();
  let room: MucRoom;
  const sessions = new Sessions({
    store, config, log: silentLog, now: () => 1,
    hooks: { sessionEnded: (sid) => room.removeSession(sid), scheduleWakeUp() {} },
  });
  room = new MucRoom({ jid: jid('r1', 'conference.meet.jitsi'), store, sessions, config, log: silentLog, now: () => 1 });
  const onHandlerError = () => {};
  const metadata = new RoomMetadata({ address: config.roomMetadataDomain, room, sessions, log: silentLog, isService: () => false });
  const lobby = new Lobby({ config, log: silentLog, roomName: 'r1', main: room, store: store.lobby, sessions, metadata, now: () => 1, superOwners: [] });
  const focusIq = withFocus
    ? new IqRouter<FocusIqContext>({ onHandlerError }).on('set', 'http://jitsi.org/protocol/focus', 'conference', () => xml('conference', { ready: 'true' }))
    : undefined;
  const router = new StanzaRouter({
    config, log: silentLog, sessions, room, roomName: 'r1',
    serverIq: createServerIqRouter(onHandlerError), mucServiceIq: createMucServiceIqRouter(onHandlerError),
    roomIq: createRoomIqRouter(onHandlerError), focusIq,
    avModeration: new AvModeration({ address: config.avModerationDomain, room, sessions, log: silentLog }),
    lobby, lobbyServiceIq: lobby.serviceIqRouter(onHandlerError),
  });
  const user = (name: string) => {
    const conn = new RecordingConnection(name);
    const session = sessions.bind(conn, `${name}@meet.jitsi/res`);
    /** Routes a stanza as the server does after stamping `from`. */
    const send = (stanza: Element) => {
      stanza.attrs.from = session.jid;
      return router.route(session, stanza);
    };
    return { conn, session, send, last: () => conn.stanzas().at(-1) };
  };
  return { sessions, room, router, user };
}

const errorCondition = (stanza: Element | undefined) =>
  stanza?.attrs.type === 'error' ? stanza.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name : undefined;
const join = (nick: string) => xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }));

describe('StanzaRouter', () => {
  it('route() of an IQ with no to (or to the domain) reaches the server: disco#info lists its identities and features', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(xml('iq', { type: 'get', id: 'd1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const reply = alice.last()!;
    expect(reply.attrs).toMatchObject({ type: 'result', id: 'd1' });
    expect(reply.getChild('query')?.getChildren('feature').map((f) => f.attrs.var)).toContain('urn:xmpp:sm:3');
    await alice.send(xml('iq', { type: 'get', id: 'p1', to: 'meet.jitsi' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(alice.last()?.attrs).toMatchObject({ type: 'result', id: 'p1' });
  });

  it('route() of an IQ nobody handles answers service-unavailable', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(xml('iq', { type: 'get', id: 'x1' }, xml('query', { xmlns: 'urn:example' })));
    expect(errorCondition(alice.last())).toBe('service-unavailable');
  });

  it('route() with a malformed to answers jid-malformed; an unknown domain remote-server-not-found', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(xml('message', { to: 'a@b@c/', id: 'm1' }, xml('body', null, 'x')));
    expect(errorCondition(alice.last())).toBe('jid-malformed');
    await alice.send(xml('message', { to: 'bob@example.org', id: 'm2' }, xml('body', null, 'x')));
    expect(errorCondition(alice.last())).toBe('remote-server-not-found');
  });

  it('route() to another room of the MUC service is not-allowed: a connection belongs to one room', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(join('alice').attr('to', 'other@conference.meet.jitsi/alice'));
    expect(errorCondition(alice.last())).toBe('not-allowed');
  });

  it('route() of presence to room/nick joins; to the bare room it is jid-malformed', async () => {
    const { user, room } = setup();
    const alice = user('alice');
    await alice.send(join('alice'));
    expect(room.occupants.has('alice')).toBe(true);
    await alice.send(xml('presence', { to: ROOM }));
    expect(errorCondition(alice.last())).toBe('jid-malformed');
  });

  it('route() of a groupchat reaches occupants from the bare room; to an occupant JID it is bad-request', async () => {
    const { user } = setup();
    const alice = user('alice');
    const bob = user('bob');
    await alice.send(join('alice'));
    await bob.send(join('bob'));
    await alice.send(xml('message', { to: ROOM, type: 'groupchat' }, xml('body', null, 'hi')));
    expect(bob.last()?.attrs).toMatchObject({ from: `${ROOM}/alice`, type: 'groupchat' });
    await alice.send(xml('message', { to: `${ROOM}/bob`, type: 'groupchat', id: 'g2' }, xml('body', null, 'hi')));
    expect(errorCondition(alice.last())).toBe('bad-request');
    await alice.send(xml('message', { to: ROOM, type: 'chat', id: 'g3' }, xml('body', null, 'hi')));
    expect(errorCondition(alice.last())).toBe('bad-request');
  });

  it('route() of a private message to room/nick reaches that occupant\'s real JID', async () => {
    const { user } = setup();
    const alice = user('alice');
    const bob = user('bob');
    await alice.send(join('alice'));
    await bob.send(join('bob'));
    await alice.send(xml('message', { to: `${ROOM}/bob`, type: 'chat' }, xml('body', null, 'psst')));
    expect(bob.last()?.attrs).toMatchObject({ from: `${ROOM}/alice`, to: 'bob@meet.jitsi/res', type: 'chat' });
  });

  it('route() of a ping to one\'s own occupant JID is answered by the room (XEP-0410 self-ping)', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(join('alice'));
    await alice.send(xml('iq', { to: `${ROOM}/alice`, type: 'get', id: 'sp' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(alice.last()?.attrs).toMatchObject({ type: 'result', id: 'sp', from: `${ROOM}/alice`, to: 'alice@meet.jitsi/res' });
  });

  it('route() to another user of this room\'s sessions delivers it; to a user who is not here is service-unavailable', async () => {
    const { user } = setup();
    const alice = user('alice');
    const bob = user('bob');
    await alice.send(xml('message', { to: 'bob@meet.jitsi', type: 'chat' }, xml('body', null, 'hi')));
    expect(bob.last()?.attrs).toMatchObject({ from: 'alice@meet.jitsi/res', to: 'bob@meet.jitsi' });
    await alice.send(xml('message', { to: 'carol@meet.jitsi/x', id: 'c1' }, xml('body', null, 'hi')));
    expect(errorCondition(alice.last())).toBe('service-unavailable');
  });

  it('route() never answers an error or a result with an error', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(xml('iq', { to: 'nowhere.example', type: 'result', id: 'r1' }));
    await alice.send(xml('message', { to: 'nowhere.example', type: 'error' }));
    expect(alice.conn.frames).toEqual([]);
  });

  it('route() to the focus domain goes to the focus router, and only IQs do', async () => {
    const { user } = setup(true);
    const alice = user('alice');
    await alice.send(xml('iq', { to: 'focus.meet.jitsi', type: 'set', id: 'c1' }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM })));
    expect(alice.last()?.getChild('conference')?.attrs.ready).toBe('true');
    await alice.send(xml('message', { to: 'focus.meet.jitsi', id: 'm1' }, xml('body', null, 'x')));
    expect(errorCondition(alice.last())).toBe('service-unavailable');
  });

  it('route() to the focus domain without a focus is remote-server-not-found', async () => {
    const { user } = setup(false);
    const alice = user('alice');
    await alice.send(xml('iq', { to: 'focus.meet.jitsi', type: 'set', id: 'c1' }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus' })));
    expect(errorCondition(alice.last())).toBe('remote-server-not-found');
  });

  it('route() of a broadcast unavailable presence takes the user out of the room', async () => {
    const { user, room } = setup();
    const alice = user('alice');
    await alice.send(join('alice'));
    await alice.send(xml('presence', { type: 'unavailable' }));
    expect(room.occupants.size).toBe(0);
  });

  it('route() of a message with an over-deep json-message is refused before anyone parses it', async () => {
    const { user } = setup();
    const alice = user('alice');
    await alice.send(join('alice'));
    const deep = '['.repeat(200) + ']'.repeat(200);
    await alice.send(xml('message', { to: ROOM, type: 'groupchat', id: 'j1' }, xml('json-message', { xmlns: 'http://jitsi.org/jitmeet' }, deep)));
    expect(errorCondition(alice.last())).toBe('bad-request');
  });
});
