import { describe, expect, it } from 'vitest';
import { DEFAULT_PERMISSIONS, jid, parsePermissions, parseXml, serialize, xml, type Element } from '@edgemeet/protocol';
import { RecordingConnection, memoryStore, silentLog, testConfig } from '../../testing/room-kit.ts';
import { Sessions } from '../sessions.ts';
import { MucRoom } from './muc-room.ts';

const ROOM = 'r1@conference.meet.jitsi';

function setup(superOwners: string[] = [], env: Record<string, string> = {}) {
  const clock = { now: 1_000 };
  const store = memoryStore();
  const config = testConfig(env);
  let room: MucRoom;
  const sessions = new Sessions({
    store, config, log: silentLog, now: () => clock.now,
    hooks: { sessionEnded: (sid) => room.removeSession(sid), scheduleWakeUp() {} },
  });
  const joined: string[] = [];
  room = new MucRoom({
    jid: jid('r1', 'conference.meet.jitsi'), store, sessions, config, log: silentLog, now: () => clock.now, superOwners,
    onJoined: (occ) => joined.push(occ.nick),
  });
  const users = new Map<string, { conn: RecordingConnection; sid: string; jid: string }>();
  /** A session for `user` (bound once) sending presence to room/nick. */
  const presence = (user: string, nick: string, children: Element[] = [], type?: string) => {
    let u = users.get(user);
    if (!u) {
      const conn = new RecordingConnection(user);
      const full = `${user}@meet.jitsi/res`;
      u = { conn, sid: sessions.bind(conn, full).sid, jid: full };
      users.set(user, u);
    }
    clock.now += 1;
    room.handlePresence(u.sid, u.jid, xml('presence', { from: u.jid, to: `${ROOM}/${nick}`, type }, ...children), nick);
    return u;
  };
  const join = (user: string, nick = user, children: Element[] = [xml('x', { xmlns: 'http://jabber.org/protocol/muc' })]) => presence(user, nick, children);
  const frames = (user: string) => users.get(user)!.conn.frames;
  const stanzas = (user: string) => users.get(user)!.conn.stanzas();
  return { store, sessions, room, clock, joined, presence, join, frames, stanzas, users };
}

const DEFAULT_PERMISSION_TAGS = Object.entries(DEFAULT_PERMISSIONS).map(([name, val]) => `<p name="${name}" val="${val}"/>`).join('');

const statuses = (p: Element) => p.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status').map((s) => s.attrs.code);
const item = (p: Element) => p.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs;

describe('MucRoom', () => {
  it('handlePresence() of the first occupant creates the room: owner, moderator, statuses 100/201/110, then the subject', () => {
    const s = setup();
    s.join('alice', 'alice', [xml('x', { xmlns: 'http://jabber.org/protocol/muc' }), xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Alice')]);
    expect(s.frames('alice')).toEqual([
      '<presence xmlns="jabber:client" from="r1@conference.meet.jitsi/alice" to="alice@meet.jitsi/res">'
        + '<nick xmlns="http://jabber.org/protocol/nick">Alice</nick>'
        + '<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="moderator" jid="alice@meet.jitsi/res"/>'
        + '<status code="100"/><status code="201"/><status code="110"/></x>'
        // A moderator without token features is told what it may use (mod_jitsi_permissions).
        + '<permissions xmlns="http://jitsi.org/jitmeet">' + DEFAULT_PERMISSION_TAGS + '</permissions></presence>',
      '<message xmlns="jabber:client" type="groupchat" from="r1@conference.meet.jitsi" to="alice@meet.jitsi/res"><subject></subject></message>',
    ]);
    expect(s.room.settings).not.toBeNull();
    expect(s.joined).toEqual(['alice']);
  });

  it('handlePresence() of a newcomer: it sees the others first, everyone sees it as a participant, only it gets 110', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    const bob = s.stanzas('bob');
    expect(bob[0]?.attrs.from).toBe(`${ROOM}/alice`);
    expect(item(bob[0]!)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    expect(bob[1]?.attrs.from).toBe(`${ROOM}/bob`);
    expect(statuses(bob[1]!)).toEqual(['100', '110']);
    const toAlice = s.stanzas('alice').at(-1)!;
    expect(toAlice.attrs).toMatchObject({ from: `${ROOM}/bob`, to: 'alice@meet.jitsi/res' });
    expect(item(toAlice)).toEqual({ affiliation: 'none', role: 'participant', jid: 'bob@meet.jitsi/res' });
    expect(statuses(toAlice)).toEqual([]);
  });

  it('handlePresence() keeps the client\'s own extensions but drops MUC elements and any identity it claims', () => {
    const s = setup();
    s.join('alice', 'alice', [
      xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('password', null, 'x')), xml('stats-id', null, 'Kasey-Lz4'),
      xml('identity', null, xml('user', null, xml('name', null, 'forged'))), xml('audiomuted', null, 'true'),
    ]);
    const self = s.stanzas('alice')[0]!;
    expect(self.getChildElements().map((c) => c.name)).toEqual(['stats-id', 'audiomuted', 'x', 'permissions']);
  });

  it('permissions (mod_jitsi_permissions): a moderator is told once in its self-presence, others never see them, a participant is not told until it is made moderator, a token with features is never told', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    expect(parsePermissions(s.stanzas('alice')[0]!)).toEqual(DEFAULT_PERMISSIONS);
    // Bob is a participant: nothing for him, and alice's presence as bob sees it carries none.
    expect(s.stanzas('bob').filter((p) => p.name === 'presence').map((p) => parsePermissions(p))).toEqual([undefined, undefined]);
    // A later self-presence of alice (an update) does not repeat them.
    s.presence('alice', 'alice', [xml('audiomuted', null, 'true')]);
    expect(parsePermissions(s.stanzas('alice').at(-1)!)).toBeUndefined();
    // Bob made moderator: his self-presence of the role change carries them.
    s.room.setAffiliation('bob@meet.jitsi', 'owner', null);
    const bobSelf = s.stanzas('bob').filter((p) => p.name === 'presence' && statuses(p)?.includes('110')).at(-1)!;
    expect(item(bobSelf)?.role).toBe('moderator');
    expect(parsePermissions(bobSelf)).toEqual(DEFAULT_PERMISSIONS);
    // A token that carries context.features: the client reads them there, the server sends none.
    const t = setup();
    const conn = new RecordingConnection('carol');
    const carol = t.sessions.bind(conn, 'carol@meet.jitsi/res');
    t.store.putSessionAuth(carol.sid, { room: '*', moderator: true, user: {}, features: { recording: false } });
    t.room.handlePresence(carol.sid, carol.jid, xml('presence', { from: carol.jid, to: `${ROOM}/carol` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })), 'carol');
    const carolSelf = conn.stanzas().find((p) => p.name === 'presence')!;
    expect(item(carolSelf)?.role).toBe('moderator');
    expect(parsePermissions(carolSelf)).toBeUndefined();
  });

  it('handlePresence() updates broadcast the new presence to everyone', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.presence('bob', 'bob', [xml('audiomuted', null, 'true')]);
    const toAlice = s.stanzas('alice').at(-1)!;
    expect(toAlice.getChildText('audiomuted')).toBe('true');
    expect(statuses(s.stanzas('bob').at(-1)!)).toEqual(['110']);
  });

  it('handlePresence() for a nick in use is refused with a conflict presence error from that occupant JID', () => {
    const s = setup();
    s.join('alice');
    s.join('mallory', 'alice');
    const [error] = s.stanzas('mallory');
    expect(error?.attrs).toMatchObject({ type: 'error', from: `${ROOM}/alice`, to: 'mallory@meet.jitsi/res' });
    expect(error?.getChild('error')?.getChild('conflict')).toBeDefined();
    expect(s.room.occupants.size).toBe(1);
  });

  it('handlePresence() with a new nick renames: unavailable with 303 and the new nick, then available', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.presence('bob', 'robert');
    const [gone, back] = s.stanzas('alice').slice(-2);
    expect(gone?.attrs).toMatchObject({ from: `${ROOM}/bob`, type: 'unavailable' });
    expect(item(gone!)).toMatchObject({ nick: 'robert', role: 'none' });
    expect(statuses(gone!)).toEqual(['303']);
    expect(back?.attrs.from).toBe(`${ROOM}/robert`);
    expect([...s.room.occupants.keys()]).toEqual(['alice', 'robert']);
  });

  it('handlePresence() with a wrong or missing password is refused with not-authorized', () => {
    const s = setup();
    s.join('alice');
    s.room.saveSettings({ ...s.room.settings!, password: 'secret' });
    s.join('bob', 'bob', [xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('password', null, 'guess'))]);
    expect(s.stanzas('bob')[0]?.getChild('error')?.getChild('not-authorized')).toBeDefined();
    s.join('carol', 'carol', [xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('password', null, 'secret'))]);
    expect(s.room.occupants.has('carol')).toBe(true);
  });

  it('handlePresence() in a members-only room refuses non-members with registration-required', () => {
    const s = setup();
    s.join('alice');
    s.room.saveSettings({ ...s.room.settings!, membersOnly: true });
    s.join('bob');
    expect(s.stanzas('bob')[0]?.getChild('error')?.getChild('registration-required')).toBeDefined();
    s.room.setAffiliation('carol@meet.jitsi', 'member', null);
    s.join('carol');
    expect(s.room.occupants.has('carol')).toBe(true);
  });

  it('handlePresence() from an outcast is refused with forbidden', () => {
    const s = setup();
    s.join('alice');
    s.room.setAffiliation('bob@meet.jitsi', 'outcast', null);
    s.join('bob');
    expect(s.stanzas('bob')[0]?.getChild('error')?.getChild('forbidden')).toBeDefined();
  });

  it('handlePresence() in a full room is refused with service-unavailable', () => {
    const s = setup();
    s.join('alice');
    s.room.saveSettings({ ...s.room.settings!, maxOccupants: 1 });
    s.join('bob');
    expect(s.stanzas('bob')[0]?.getChild('error')?.getChild('service-unavailable')).toBeDefined();
  });

  it('MUC_MAX_OCCUPANTS (mod_muc_max_occupants): the next newcomer is refused with a bare service-unavailable; exempt users neither count nor are refused', () => {
    const s = setup([], { MUC_MAX_OCCUPANTS: '2', MUC_ACCESS_WHITELIST: 'rec@meet.jitsi' });
    s.join('alice');
    s.join('bob');
    // Full for everyone else, but an exempt user gets in (and does not count).
    s.join('rec');
    expect([...s.room.occupants.keys()]).toEqual(['alice', 'bob', 'rec']);
    s.join('carol');
    const refusal = s.stanzas('carol')[0]!;
    expect(refusal.attrs).toMatchObject({ type: 'error', from: `${ROOM}/carol`, to: 'carol@meet.jitsi/res' });
    expect(refusal.getChild('error')?.attrs.type).toBe('cancel');
    expect(refusal.getChild('error')?.getChildElements().map((c) => c.name)).toEqual(['service-unavailable']);
    expect(s.room.occupants.has('carol')).toBe(false);
    // Someone already in the room may update its presence.
    s.presence('bob', 'bob', [xml('status', null, 'busy')]);
    expect(s.room.occupants.get('bob')?.presence).toContain('busy');
    // Once one leaves, the next one gets in.
    s.presence('alice', 'alice', [], 'unavailable');
    s.join('carol');
    expect(s.room.occupants.has('carol')).toBe(true);
  });

  it('without MUC_MAX_OCCUPANTS there is no Jitsi limit (only the room\'s own maxusers)', () => {
    const s = setup();
    for (const u of ['a', 'b', 'c', 'd', 'e']) s.join(u);
    expect(s.room.occupants.size).toBe(5);
    expect(testConfig().occupantLimit).toEqual({ max: null, exempt: ['focus@auth.meet.jitsi'] });
    expect(testConfig({ MUC_MAX_OCCUPANTS: 'none' }).occupantLimit.max).toBeNull();
    expect(() => testConfig({ MUC_MAX_OCCUPANTS: '0' })).toThrow(/MUC_MAX_OCCUPANTS/);
    expect(() => testConfig({ MUC_ACCESS_WHITELIST: 'a@b@c,x/y' })).toThrow(/MUC_ACCESS_WHITELIST/);
  });

  it('superOwners are owners of every room without being first', () => {
    const s = setup(['focus@meet.jitsi']);
    s.join('alice');
    s.join('focus');
    expect(s.room.affiliationOf('focus@meet.jitsi/res')).toBe('owner');
    expect(s.room.occupants.get('focus')?.role).toBe('moderator');
  });

  it('leave() of the last owner makes the longest-present occupant owner (re-election)', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.join('carol');
    s.presence('alice', 'alice', [], 'unavailable');
    expect(s.room.affiliationOf('bob@meet.jitsi/res')).toBe('owner');
    expect(s.room.affiliationOf('carol@meet.jitsi/res')).toBe('none');
    const toCarol = s.stanzas('carol').at(-1)!;
    expect(toCarol.attrs.from).toBe(`${ROOM}/bob`);
    expect(item(toCarol)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
  });

  it('leave() while another owner remains elects nobody', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.join('carol');
    s.room.setAffiliation('carol@meet.jitsi', 'owner', null);
    s.presence('alice', 'alice', [], 'unavailable');
    expect(s.room.affiliationOf('bob@meet.jitsi/res')).toBe('none');
  });

  it('leave() of the last occupant destroys the room', () => {
    const s = setup();
    s.join('alice');
    s.presence('alice', 'alice', [], 'unavailable');
    expect(s.frames('alice').at(-1)).toBe('<presence xmlns="jabber:client" from="r1@conference.meet.jitsi/alice" to="alice@meet.jitsi/res" type="unavailable">'
      + '<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="none" jid="alice@meet.jitsi/res"/><status code="110"/></x></presence>');
    expect(s.room.settings).toBeNull();
    expect(s.room.occupants.size).toBe(0);
  });

  it('setRole(none) kicks with 307, the actor and the reason', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.room.setRole(s.room.occupants.get('bob')!, 'none', s.room.occupants.get('alice')!, 'bye');
    expect(s.frames('alice').at(-1)).toBe('<presence xmlns="jabber:client" from="r1@conference.meet.jitsi/bob" to="alice@meet.jitsi/res" type="unavailable">'
      + '<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="none" jid="bob@meet.jitsi/res"><actor nick="alice"/><reason>bye</reason></item>'
      + '<status code="307"/></x></presence>');
    expect(statuses(s.stanzas('bob').at(-1)!)).toEqual(['307', '110']);
    expect(s.room.occupants.has('bob')).toBe(false);
  });

  it('setAffiliation(owner) makes a participant moderator; outcast bans with 301', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.join('carol');
    s.room.setAffiliation('bob@meet.jitsi', 'owner', s.room.occupants.get('alice')!);
    expect(s.room.occupants.get('bob')?.role).toBe('moderator');
    s.room.setAffiliation('carol@meet.jitsi', 'outcast', null);
    expect(statuses(s.stanzas('alice').at(-1)!)).toEqual(['301']);
    expect(s.room.occupants.has('carol')).toBe(false);
  });

  it('destroy() sends everyone unavailable with <destroy/> and forgets the room', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.room.destroy('over');
    const last = s.frames('bob').at(-1)!;
    expect(last).toContain('<destroy><reason>over</reason></destroy>');
    expect(s.room.settings).toBeNull();
    // An owner's alternate venue goes in the notice.
    s.join('carol');
    s.room.destroy(undefined, 'elsewhere@conference.meet.jitsi');
    expect(s.frames('carol').at(-1)).toContain('<destroy jid="elsewhere@conference.meet.jitsi"/>');
  });

  it('handleGroupchat() reaches every occupant from the sender\'s occupant JID; a subject change needs a moderator', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    const body = xml('message', { type: 'groupchat', to: ROOM, id: 'm1' }, xml('body', null, 'hi'));
    s.room.handleGroupchat(s.users.get('bob')!.sid, body);
    expect(s.frames('alice').at(-1)).toBe('<message type="groupchat" to="alice@meet.jitsi/res" id="m1" xmlns="jabber:client" from="r1@conference.meet.jitsi/bob"><body>hi</body></message>');
    expect(() => s.room.handleGroupchat(s.users.get('bob')!.sid, xml('message', { type: 'groupchat' }, xml('subject', null, 'x'))))
      .toThrow(expect.objectContaining({ condition: 'forbidden' }));
    s.room.handleGroupchat(s.users.get('alice')!.sid, xml('message', { type: 'groupchat' }, xml('subject', null, 'Standup')));
    expect(s.room.settings?.subject).toBe('Standup');
  });

  it('relayToOccupant() delivers a private stanza to the real JID; unknown targets are item-not-found, responses dropped', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.room.relayToOccupant(s.users.get('alice')!.sid, xml('iq', { type: 'get', id: 'q1' }, xml('query')), 'bob');
    const got = parseXml(s.frames('bob').at(-1)!);
    expect(got.attrs).toMatchObject({ from: `${ROOM}/alice`, to: 'bob@meet.jitsi/res', id: 'q1' });
    expect(() => s.room.relayToOccupant(s.users.get('alice')!.sid, xml('message', {}), 'nobody'))
      .toThrow(expect.objectContaining({ condition: 'item-not-found' }));
    expect(() => s.room.relayToOccupant(s.users.get('alice')!.sid, xml('iq', { type: 'result' }), 'nobody')).not.toThrow();
  });

  it('removeSession() (the session ended) lets its occupant leave', () => {
    const s = setup();
    s.join('alice');
    s.join('bob');
    s.sessions.end(s.users.get('bob')!.sid, 'disconnected');
    expect(serialize(s.stanzas('alice').at(-1)!)).toContain('type="unavailable"');
    expect(s.room.occupants.has('bob')).toBe(false);
  });
});
