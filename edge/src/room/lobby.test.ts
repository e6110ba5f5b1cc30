import { describe, expect, it } from 'vitest';
import { buildLobbyApproval, jid, parseJsonMessage, readLobbyRefusal, xml, type Element } from '@edgemeet/protocol';
import { RecordingConnection, memorySql, silentLog, testConfig } from '../testing/room-kit.ts';
import type { TokenContext } from '../auth/token-context.ts';
import { AvModeration } from './av-moderation.ts';
import { Lobby } from './lobby.ts';
import { MucRoom } from './muc/muc-room.ts';
import { createRoomIqRouter } from './muc/room-iq.ts';
import { RoomMetadata } from './room-metadata.ts';
import { createMucServiceIqRouter, createServerIqRouter } from './server-iq.ts';
import { Sessions } from './sessions.ts';
import { StanzaRouter } from './stanza-router.ts';
import { RoomStore } from './store.ts';

const ROOM = 'r1@conference.meet.jitsi';
const LOBBY = 'r1@lobby.meet.jitsi';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

/** The room's pieces wired as RoomXmppServer wires them (main room, metadata, lobby, router), over one storage. */
function setup(sql = memorySql()) {
  const store = new RoomStore(sql);
  const config = testConfig();
  let room: MucRoom;
  let lobby: Lobby;
  const sessions = new Sessions({
    store, config, log: silentLog, now: () => 1,
    hooks: { sessionEnded: (sid) => { room.removeSession(sid); lobby.removeSession(sid); }, scheduleWakeUp() {} },
  });
  room = new MucRoom({
    jid: jid('r1', 'conference.meet.jitsi'), store, sessions, config, log: silentLog, now: () => 1,
    policy: { preJoin: (a) => lobby.preJoin(a) },
    onConfigured: (actor, before, after) => lobby.configured(actor, before, after),
    onDestroyed: () => lobby.mainDestroyed(),
  });
  const metadata = new RoomMetadata({ address: config.roomMetadataDomain, room, sessions, log: silentLog, isService: () => false });
  lobby = new Lobby({ config, log: silentLog, roomName: 'r1', main: room, store: store.lobby, sessions, metadata, now: () => 1, superOwners: [] });
  const onHandlerError = () => {};
  const router = new StanzaRouter({
    config, log: silentLog, sessions, room, roomName: 'r1',
    serverIq: createServerIqRouter(onHandlerError), mucServiceIq: createMucServiceIqRouter(onHandlerError),
    roomIq: createRoomIqRouter(onHandlerError),
    avModeration: new AvModeration({ address: config.avModerationDomain, room, sessions, log: silentLog }),
    lobby, lobbyServiceIq: lobby.serviceIqRouter(onHandlerError),
  });
  const user = (name: string, token?: TokenContext) => {
    const conn = new RecordingConnection(name);
    const session = sessions.bind(conn, `${name}@meet.jitsi/res`);
    if (token) store.putSessionAuth(session.sid, token);
    const send = (stanza: Element) => {
      stanza.attrs.from = session.jid;
      return router.route(session, stanza);
    };
    /** What arrived since the last call. */
    let seen = 0;
    const fresh = () => {
      const out = conn.stanzas(seen);
      seen = conn.frames.length;
      return out;
    };
    return { conn, session, jid: session.jid, send, fresh, last: () => conn.stanzas().at(-1) };
  };
  return { store, sessions, room, lobby, router, user };
}

type User = ReturnType<ReturnType<typeof setup>['user']>;

const nick = (name: string) => xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, name);
const joinMain = (u: User, n: string, children: Element[] = []) => u.send(xml('presence', { to: `${ROOM}/${n}` }, xml('x', { xmlns: NS_MUC }, ...children), nick(n.toUpperCase())));
const joinLobby = (u: User, n: string, display = n.toUpperCase()) => u.send(xml('presence', { to: `${LOBBY}/${n}` }, xml('x', { xmlns: NS_MUC }), display ? nick(display) : null));
const errorOf = (s: Element | undefined) => s?.attrs.type === 'error' ? s.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name : undefined;
const iq = (type: 'get' | 'set', to: string, id: string, payload: Element) => xml('iq', { type, to, id }, payload);
const form = (fields: Record<string, string>) => xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' },
  xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', null, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: `muc#roomconfig_${k}` }, xml('value', null, v)))));
const grantMember = (...jids: string[]) => iq('set', ROOM, 'g', xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' },
  ...jids.map((j) => xml('item', { affiliation: 'member', jid: j.replace(/\/.*/, '') }))));
const notices = (stanzas: Element[]) => stanzas.map((s) => s.getChild('json-message', 'http://jitsi.org/jitmeet'))
  .filter((j): j is Element => j !== undefined).map((j) => parseJsonMessage(j) as Record<string, unknown>).filter((j) => j.type === 'lobby-notify');
const presencesFrom = (stanzas: Element[], prefix: string) => stanzas.filter((s) => s.name === 'presence' && String(s.attrs.from).startsWith(prefix));

/** Alice (owner) and Bob (made a member first, as lib-jitsi-meet does) in a room whose lobby Alice enabled. */
async function withLobby() {
  const s = setup();
  const alice = s.user('alice');
  const bob = s.user('bob');
  await joinMain(alice, 'alice');
  await joinMain(bob, 'bob');
  await alice.send(grantMember(bob.jid));
  await alice.send(iq('set', ROOM, 'cfg', form({ membersonly: '1' })));
  await joinLobby(alice, 'alice', '');
  return { ...s, alice, bob };
}

describe('Lobby', () => {
  it('configured() with members-only attaches the lobby: 104, LOBBY-ENABLED from the moderator, lobbyEnabled metadata, the lobby JID in disco#info', async () => {
    const s = setup();
    const alice = s.user('alice');
    const bob = s.user('bob');
    await joinMain(alice, 'alice');
    await joinMain(bob, 'bob');
    await alice.send(grantMember(bob.jid));
    bob.fresh();
    await alice.send(iq('set', ROOM, 'cfg', form({ membersonly: '1' })));
    expect(alice.last()?.attrs).toMatchObject({ type: 'result', id: 'cfg' });
    const toBob = bob.fresh();
    // Bob, a member, stays; he is told to re-read the configuration, and hears of the lobby.
    expect(s.room.occupants.has('bob')).toBe(true);
    expect(toBob.some((m) => m.getChild('x', NS_MUC_USER)?.getChild('status')?.attrs.code === '104')).toBe(true);
    expect(notices(toBob)).toEqual([{ type: 'lobby-notify', event: 'LOBBY-ENABLED', value: true }]);
    expect(toBob.find((m) => m.getChild('json-message')?.text().includes('lobby-notify'))?.attrs).toMatchObject({ type: 'groupchat', from: `${ROOM}/alice` });
    expect(toBob.map((m) => m.getChild('json-message')?.text()).find((t) => t?.includes('room_metadata'))).toContain('"lobbyEnabled":true');

    await bob.send(iq('get', ROOM, 'd', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const info = bob.last()!.getChild('query')!;
    expect(info.getChildren('feature').map((f) => f.attrs.var)).toContain('muc_membersonly');
    const field = info.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_lobbyroom');
    expect(field?.getChildText('value')).toBe(LOBBY);
    // The domain announces the lobby MUC; its lobbyrooms node says a display name is needed here now.
    await bob.send(iq('get', 'meet.jitsi', 'di', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(bob.last()!.getChild('query')!.getChildren('identity').find((i) => i.attrs.type === 'lobbyrooms')?.attrs)
      .toEqual({ category: 'component', type: 'lobbyrooms', name: 'lobby.meet.jitsi' });
    await bob.send(iq('get', 'lobby.meet.jitsi', 'ln', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'lobbyrooms' })));
    expect(bob.last()!.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toEqual(['http://jitsi.org/protocol/lobbyrooms#displayname_required']);
  });

  it('configured() to members-only drops non-members with 322 (Prosody); before any lobby the lobbyrooms node has no feature', async () => {
    const s = setup();
    const alice = s.user('alice');
    const bob = s.user('bob');
    await joinMain(alice, 'alice');
    await joinMain(bob, 'bob');
    await alice.send(iq('get', 'lobby.meet.jitsi', 'ln', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'lobbyrooms' })));
    expect(alice.last()!.getChild('query')!.getChildren('feature')).toEqual([]);
    await alice.send(iq('set', ROOM, 'cfg', form({ membersonly: '1' })));
    expect(s.room.occupants.has('bob')).toBe(false);
    const gone = bob.fresh().find((p) => p.attrs.type === 'unavailable');
    expect(gone?.getChild('x', NS_MUC_USER)?.getChildren('status').map((c) => c.attrs.code)).toContain('322');
  });

  it('preJoin() refuses a newcomer without a name (displayname-required), then with the lobby JID; the knocker waits in the lobby', async () => {
    const { user, alice, lobby } = await withLobby();
    const carol = user('carol');
    await carol.send(xml('presence', { to: `${ROOM}/carol` }, xml('x', { xmlns: NS_MUC })));
    expect(readLobbyRefusal(carol.last()!)).toEqual({ displayNameRequired: true });
    await joinMain(carol, 'carol');
    expect(readLobbyRefusal(carol.last()!)).toEqual({ lobbyRoom: LOBBY, displayNameRequired: false });
    expect(carol.last()!.attrs).toMatchObject({ from: `${ROOM}/carol`, to: carol.jid });
    alice.fresh();
    await joinLobby(carol, 'carol', 'Carol');
    expect(lobby.room.occupants.has('carol')).toBe(true);
    // The moderator (in the lobby too) sees the knocker with her name and real JID; the knocker sees only herself.
    const seen = presencesFrom(alice.fresh(), `${LOBBY}/carol`)[0]!;
    expect(seen.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Carol');
    expect(seen.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs).toMatchObject({ jid: carol.jid, affiliation: 'none', role: 'participant' });
    expect(presencesFrom(carol.conn.stanzas(), `${LOBBY}/`).map((p) => p.attrs.from)).toEqual([`${LOBBY}/carol`]);
  });

  it('the lobby chat goes between moderators and knockers: a knocker\'s message reaches moderators, not other knockers', async () => {
    const { user, alice } = await withLobby();
    const carol = user('carol');
    const dave = user('dave');
    await joinLobby(carol, 'carol');
    await joinLobby(dave, 'dave');
    expect(presencesFrom(carol.conn.stanzas(), `${LOBBY}/dave`)).toEqual([]);
    alice.fresh();
    dave.fresh();
    await carol.send(xml('message', { to: LOBBY, type: 'groupchat' }, xml('body', null, 'let me in')));
    expect(alice.fresh().filter((m) => m.getChildText('body') === 'let me in').map((m) => m.attrs.from)).toEqual([`${LOBBY}/carol`]);
    expect(dave.fresh().filter((m) => m.name === 'message')).toEqual([]);
    await alice.send(xml('message', { to: LOBBY, type: 'groupchat' }, xml('body', null, 'one moment')));
    expect(dave.fresh().map((m) => m.getChildText('body'))).toContain('one moment');
    await carol.send(xml('message', { to: `${LOBBY}/alice`, type: 'chat' }, xml('body', null, 'psst')));
    expect(alice.last()?.attrs).toMatchObject({ from: `${LOBBY}/carol`, type: 'chat' });
    // Between knockers a private message is dropped, as Jitsi's filter drops it.
    await carol.send(xml('message', { to: `${LOBBY}/dave`, type: 'chat' }, xml('body', null, 'hey')));
    expect(dave.fresh().filter((m) => m.name === 'message')).toEqual([]);
  });

  it('invite() by a moderator admits: member, the invitation from the room, LOBBY-ACCESS-GRANTED; the knocker then joins the main room', async () => {
    const { user, alice, bob, room } = await withLobby();
    const carol = user('carol');
    await joinLobby(carol, 'carol', 'Carol');
    bob.fresh();
    carol.fresh();
    await alice.send(buildLobbyApproval(ROOM, [carol.jid]));
    expect(room.affiliationOf(carol.jid)).toBe('member');
    const invite = carol.fresh().find((m) => m.getChild('x', NS_MUC_USER)?.getChild('invite'));
    expect(invite?.attrs).toMatchObject({ from: ROOM, to: carol.jid });
    expect(invite?.getChild('x', NS_MUC_USER)?.getChild('invite')?.attrs.from).toBe(alice.jid);
    expect(notices(bob.fresh())).toEqual([{ type: 'lobby-notify', event: 'LOBBY-ACCESS-GRANTED', value: `${LOBBY}/carol`, name: 'Carol' }]);
    await joinMain(carol, 'carol');
    expect(room.occupants.get('carol')?.role).toBe('participant');
  });

  it('a kick from the lobby denies: the knocker gets 307 with the reason, the main room LOBBY-ACCESS-DENIED', async () => {
    const { user, alice, bob, lobby, room } = await withLobby();
    const carol = user('carol');
    await joinLobby(carol, 'carol', 'Carol');
    bob.fresh();
    await alice.send(iq('set', LOBBY, 'k', xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' },
      xml('item', { nick: 'carol', role: 'none' }, xml('reason', null, 'not today')))));
    expect(alice.last()?.attrs).toMatchObject({ type: 'result', id: 'k' });
    const self = carol.fresh().find((p) => p.attrs.type === 'unavailable')!;
    expect(self.getChild('x', NS_MUC_USER)?.getChildren('status').map((c) => c.attrs.code)).toEqual(['307', '110']);
    expect(self.getChild('x', NS_MUC_USER)?.getChild('item')?.getChildText('reason')).toBe('not today');
    expect(lobby.room.occupants.has('carol')).toBe(false);
    expect(room.affiliationOf(carol.jid)).toBe('none');
    expect(notices(bob.fresh())).toEqual([{ type: 'lobby-notify', event: 'LOBBY-ACCESS-DENIED', value: `${LOBBY}/carol`, name: 'Carol' }]);
  });

  it('bad requests change nothing: a participant approving (forbidden), approving someone who left (item-not-found), a participant enabling or kicking', async () => {
    const { user, alice, bob, room, lobby } = await withLobby();
    const carol = user('carol');
    await joinLobby(carol, 'carol');
    await bob.send(buildLobbyApproval(ROOM, [carol.jid]).attr('id', 'a1'));
    expect(errorOf(bob.last())).toBe('forbidden');
    expect(room.affiliationOf(carol.jid)).toBe('none');
    await bob.send(iq('set', ROOM, 'cfg', form({ membersonly: '0' })));
    expect(errorOf(bob.last())).toBe('forbidden');
    expect(lobby.enabled).toBe(true);
    await joinLobby(bob, 'bob');
    await bob.send(iq('set', LOBBY, 'k', xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { nick: 'carol', role: 'none' }))));
    expect(errorOf(bob.last())).toBe('forbidden');
    expect(lobby.room.occupants.has('carol')).toBe(true);
    // Carol leaves the lobby; approving her now (and anyone else with her) is refused as a whole.
    await carol.send(xml('presence', { to: `${LOBBY}/carol`, type: 'unavailable' }));
    const dave = user('dave');
    await joinLobby(dave, 'dave');
    await alice.send(buildLobbyApproval(ROOM, [dave.jid, carol.jid]).attr('id', 'a2'));
    expect(errorOf(alice.last())).toBe('item-not-found');
    expect(room.affiliationOf(dave.jid)).toBe('none');
    expect(dave.conn.stanzas().some((m) => m.getChild('x', NS_MUC_USER)?.getChild('invite'))).toBe(false);
    await alice.send(iq('set', LOBBY, 'k2', xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { nick: 'carol', role: 'none' }))));
    expect(errorOf(alice.last())).toBe('item-not-found');
  });

  it('preJoin() lets in directly whoever has the room\'s password or a lobby_bypass token (as a member)', async () => {
    const { user, alice, room } = await withLobby();
    await alice.send(iq('set', ROOM, 'pw', form({ membersonly: '1', roomsecret: 'sesame', passwordprotectedroom: '1' })));
    const erin = user('erin');
    await joinMain(erin, 'erin', [xml('password', null, 'sesame')]);
    expect(room.occupants.get('erin')?.role).toBe('participant');
    expect(room.affiliationOf(erin.jid)).toBe('member');
    const wrong = user('wrong');
    await joinMain(wrong, 'wrong', [xml('password', null, 'nope')]);
    expect(readLobbyRefusal(wrong.last()!)?.lobbyRoom).toBe(LOBBY);
    // A lobby_bypass token passes the lobby and, as a member, the password too (Jitsi adds it for members).
    const frank = user('frank', { room: 'r1', moderator: false, user: { name: 'Frank' }, lobbyBypass: true });
    await joinMain(frank, 'frank');
    expect(room.occupants.get('frank')?.role).toBe('participant');
    const gina = user('gina', { room: 'r1', moderator: false, user: { name: 'Gina' } });
    await joinMain(gina, 'gina');
    expect(readLobbyRefusal(gina.last()!)?.lobbyRoom).toBe(LOBBY);
  });

  it('configured() back to open destroys the lobby with the main room as venue: those waiting join; LOBBY-ENABLED false', async () => {
    const { user, alice, bob, room, lobby } = await withLobby();
    const carol = user('carol');
    await joinLobby(carol, 'carol');
    carol.fresh();
    bob.fresh();
    await alice.send(iq('set', ROOM, 'off', form({ membersonly: '0' })));
    const destroy = carol.fresh().find((p) => p.attrs.type === 'unavailable')?.getChild('x', NS_MUC_USER)?.getChild('destroy');
    expect(destroy?.attrs.jid).toBe(ROOM);
    expect(destroy?.getChildText('reason')).toBe('Lobby room closed.');
    expect(lobby.room.settings).toBeNull();
    expect(room.settings?.lobbyRoom).toBeUndefined();
    expect(notices(bob.fresh())).toEqual([{ type: 'lobby-notify', event: 'LOBBY-ENABLED', value: false }]);
    await joinMain(carol, 'carol');
    expect(room.occupants.has('carol')).toBe(true);
    // No lobby, no room: joining the lobby room is refused as Jitsi's restricted lobby MUC refuses it.
    const dave = user('dave');
    await joinLobby(dave, 'dave');
    expect(errorOf(dave.last())).toBe('not-allowed');
  });

  it('the lobby and who waits there are in the room\'s storage: a new store on the same storage has them; the main room going destroys the lobby', async () => {
    const sql = memorySql();
    const s = setup(sql);
    const alice = s.user('alice');
    await joinMain(alice, 'alice');
    await alice.send(iq('set', ROOM, 'cfg', form({ membersonly: '1' })));
    const carol = s.user('carol');
    await joinLobby(carol, 'carol', 'Carol');
    const again = new RoomStore(sql);
    expect(again.settings?.lobbyRoom).toBe(LOBBY);
    expect([...again.lobby.occupants.keys()]).toEqual(['carol']);
    expect(again.lobby.settings).not.toBeNull();
    carol.fresh();
    await alice.send(xml('presence', { to: `${ROOM}/alice`, type: 'unavailable' }));
    expect(s.room.settings).toBeNull();
    const destroy = carol.fresh().find((p) => p.attrs.type === 'unavailable')?.getChild('x', NS_MUC_USER)?.getChild('destroy');
    expect(destroy?.getChildText('reason')).toBe('Lobby room closed.');
    expect(destroy?.attrs.jid).toBeUndefined();
    expect(new RoomStore(sql).lobby.occupants.size).toBe(0);
  });

  it('a connection reaches only its own room\'s lobby', async () => {
    const { user } = await withLobby();
    const carol = user('carol');
    await carol.send(xml('presence', { to: 'other@lobby.meet.jitsi/carol' }, xml('x', { xmlns: NS_MUC }), nick('Carol')));
    expect(errorOf(carol.last())).toBe('not-allowed');
  });
});
