import { describe, expect, it } from 'vitest';
import { parseJsonMessage, xml, type Element } from '@edgemeet/protocol';
import { AnonymousAuthenticator } from '../xmpp/authenticator.ts';
import { RecordingConnection, memorySql, silentLog, testConfig } from '../testing/room-kit.ts';
import { ALL_LEFT_REASON, ROOMS_TTL_IF_ALL_LEFT_MS } from './breakout-rooms.ts';
import { RoomStore } from './store.ts';
import { RoomXmppServer } from './xmpp-server.ts';

const ROOM = 'r1@conference.meet.jitsi';
const BREAKOUT = 'breakout.meet.jitsi';
const NS_MUC = 'http://jabber.org/protocol/muc';

interface Update { roomCounter: number; rooms: Record<string, { id: string; jid: string; name: string; isMainRoom?: boolean; participants: Record<string, { jid: string; role: string }> }> }

/** The room's XMPP server as the Durable Object runs it (without a focus: plain MUC), over `sql`, with a clock the test moves. */
function server(sql = memorySql(), clock = { now: 1000 }, room = 'r1') {
  const wakeUps: number[] = [];
  const store = new RoomStore(sql);
  const s = new RoomXmppServer({
    config: testConfig(), log: silentLog, store, roomName: room, authenticator: new AnonymousAuthenticator(),
    now: () => clock.now, scheduleWakeUp: (at) => wakeUps.push(at), kick() {},
  });
  return { s, sql, store, clock, wakeUps };
}

type Server = ReturnType<typeof server>;

function user(srv: Server, name: string) {
  const conn = new RecordingConnection(name);
  const session = srv.s.sessions.bind(conn, `${name}@meet.jitsi/res`);
  return user$(srv, conn, session.jid);
}

/** A user on an existing connection (after a rebuild of the server over the same storage). */
function user$(srv: Server, conn: RecordingConnection, jid: string) {
  let seen = 0;
  return {
    conn, jid,
    async send(stanza: Element) {
      await srv.s.element(conn, stanza);
      await srv.s.settle();
    },
    fresh() {
      const out = conn.stanzas(seen);
      seen = conn.frames.length;
      return out;
    },
  };
}

type User = ReturnType<typeof user>;
const join = (u: User, roomJid: string, n: string) => u.send(xml('presence', { to: `${roomJid}/${n}` }, xml('x', { xmlns: NS_MUC })));
const leave = (u: User, roomJid: string, n: string) => u.send(xml('presence', { to: `${roomJid}/${n}`, type: 'unavailable' }));
const command = (attrs: Record<string, string>, id = 'c') => xml('message', { to: BREAKOUT, id }, xml('breakout_rooms', attrs));
const updates = (stanzas: Element[]) => stanzas.filter((s) => s.attrs.from === BREAKOUT && s.attrs.type !== 'error')
  .map((s) => parseJsonMessage(s.getChild('json-message', 'http://jitsi.org/jitmeet')!) as Update & { event: string })
  .filter((j) => j.event === 'features/breakout-rooms/update');
const errorOf = (stanzas: Element[], id: string) => stanzas.find((s) => s.attrs.id === id && s.attrs.type === 'error')?.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

async function meeting(srv = server()) {
  const mod = user(srv, 'mod');
  const pat = user(srv, 'pat');
  await join(mod, ROOM, 'mod');
  await join(pat, ROOM, 'pat');
  await mod.send(command({ type: 'features/breakout-rooms/add', subject: 'A' }));
  const update = updates(pat.fresh()).at(-1)!;
  mod.fresh();
  const room = Object.values(update.rooms).find((r) => !r.isMainRoom)!;
  return { srv, mod, pat, room, update };
}

describe('BreakoutRooms', () => {
  it('add: one update per command to everyone, with the main room and who is in it, the new room and the counter; stored in the main room\'s settings', async () => {
    const { srv, mod, room, update } = await meeting();
    expect(update.roomCounter).toBe(1);
    expect(update.rooms.r1).toMatchObject({ isMainRoom: true, id: 'r1', jid: ROOM });
    expect(Object.keys(update.rooms.r1!.participants)).toEqual([`${ROOM}/mod`, `${ROOM}/pat`]);
    expect(room).toMatchObject({ name: 'A', jid: `${room.id}@${BREAKOUT}`, participants: {} });
    expect(srv.s.room.settings?.breakout?.rooms.map((e) => e.id)).toEqual([room.id]);
    await mod.send(command({ type: 'features/breakout-rooms/add', subject: 'B' }));
    const [second] = updates(mod.fresh());
    expect(second?.roomCounter).toBe(2);
    expect(Object.values(second!.rooms).map((r) => r.name).sort()).toEqual(['', 'A', 'B']);
  });

  it('joining and leaving a breakout room updates everyone in every room of the meeting; its affiliations are the main room\'s', async () => {
    const { mod, pat, room } = await meeting();
    await leave(pat, ROOM, 'pat');
    pat.fresh();
    await join(pat, room.jid, 'pat');
    const self = pat.fresh().find((s) => s.name === 'presence' && s.attrs.from === `${room.jid}/pat`);
    expect(self?.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs).toMatchObject({ affiliation: 'none', role: 'participant' });
    const u = updates(mod.fresh()).at(-1)!;
    expect(Object.keys(u.rooms[room.id]!.participants)).toEqual([`${room.jid}/pat`]);
    expect(Object.keys(u.rooms.r1!.participants)).toEqual([`${ROOM}/mod`]);
    // The moderator may act from the breakout room too.
    await join(mod, room.jid, 'mod');
    expect(mod.fresh().find((s) => s.attrs.from === `${room.jid}/mod`)?.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs.role).toBe('moderator');
  });

  it('refusals change nothing: a participant, an unknown action, a move to another meeting\'s room get service-unavailable; unknown rooms and absent people are ignored', async () => {
    const { srv, mod, pat, room } = await meeting();
    const before = JSON.stringify(srv.s.room.settings?.breakout);
    await pat.send(command({ type: 'features/breakout-rooms/add', subject: 'P' }, 'p1'));
    await pat.send(command({ type: 'features/breakout-rooms/remove', breakoutRoomJid: room.jid }, 'p2'));
    expect([errorOf(pat.fresh(), 'p1'), errorOf(pat.conn.stanzas(), 'p2')]).toEqual(['service-unavailable', 'service-unavailable']);
    await mod.send(command({ type: 'features/breakout-rooms/shout' }, 'm1'));
    await mod.send(command({ type: 'features/breakout-rooms/move-to-room', participantJid: pat.jid, roomJid: `${room.id}@lobby.meet.jitsi` }, 'm2'));
    await mod.send(command({ type: 'features/breakout-rooms/remove', breakoutRoomJid: `x@${BREAKOUT}` }, 'm3'));
    await mod.send(command({ type: 'features/breakout-rooms/move-to-room', participantJid: 'left@meet.jitsi/res', roomJid: room.jid }, 'm4'));
    const got = mod.fresh();
    expect(['m1', 'm2', 'm3', 'm4'].map((id) => errorOf(got, id))).toEqual(['service-unavailable', 'service-unavailable', undefined, undefined]);
    expect(updates(got)).toEqual([]);
    expect(JSON.stringify(srv.s.room.settings?.breakout)).toBe(before);
    // A room the main room does not list cannot be joined.
    await pat.send(xml('presence', { to: `nope@${BREAKOUT}/pat` }, xml('x', { xmlns: NS_MUC })));
    expect(pat.fresh().find((s) => s.attrs.type === 'error')?.getChild('error')?.getChild('not-allowed')).toBeDefined();
  });

  it('rebuilt over the same storage (an eviction), the meeting carries on: rename reaches the breakout room\'s occupants, remove sends them to the main room', async () => {
    const { srv, pat, room } = await meeting();
    await leave(pat, ROOM, 'pat');
    await join(pat, room.jid, 'pat');
    const again = server(srv.sql, srv.clock);
    // Sessions come back from storage; their hibernated sockets are adopted (as the Durable Object does).
    const adopt = (name: string) => {
      const conn = new RecordingConnection(name);
      conn.state.sid = [...again.store.sessions.values()].find((x) => x.jid.startsWith(`${name}@`))!.sid;
      conn.state.stage = 'session';
      again.s.adopt(conn);
      return user$(again, conn, `${name}@meet.jitsi/res`);
    };
    const mod = adopt('mod');
    const pat2 = adopt('pat');
    expect(again.s.breakoutRooms.roomFor(room.id)?.occupants.has('pat')).toBe(true);
    await mod.send(command({ type: 'features/breakout-rooms/rename', breakoutRoomJid: room.jid, subject: 'Z' }));
    expect(pat2.fresh().find((s) => s.attrs.from === room.jid)?.getChildText('subject')).toBe('Z');
    await mod.send(command({ type: 'features/breakout-rooms/remove', breakoutRoomJid: room.jid }));
    const out = pat2.fresh().find((s) => s.attrs.from === `${room.jid}/pat` && s.attrs.type === 'unavailable');
    expect(out?.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('destroy')?.attrs.jid).toBe(ROOM);
    expect(again.s.breakoutRooms.roomFor(room.id)).toBeUndefined();
    expect(new RoomStore(srv.sql).breakout(room.id).occupants.size).toBe(0);
  });

  it('the main room outlives its last occupant while it has breakout rooms, and closes ROOMS_TTL_IF_ALL_LEFT_MS after every room emptied', async () => {
    const { srv, mod, pat, room } = await meeting();
    await leave(pat, ROOM, 'pat');
    await join(pat, room.jid, 'pat');
    await leave(mod, ROOM, 'mod');
    expect(srv.s.room.settings).not.toBeNull();
    expect(srv.wakeUps).toEqual([]);
    await leave(pat, room.jid, 'pat');
    expect(srv.wakeUps).toEqual([srv.clock.now + ROOMS_TTL_IF_ALL_LEFT_MS]);
    srv.clock.now += ROOMS_TTL_IF_ALL_LEFT_MS - 1;
    expect(await srv.s.onWakeUp()).toBe(srv.wakeUps[0]);
    expect(srv.s.room.settings).not.toBeNull();
    // Someone comes back in time: the timer is off.
    await join(pat, ROOM, 'pat');
    srv.clock.now += 10;
    expect(await srv.s.onWakeUp()).toBeNull();
    expect(srv.s.room.settings).not.toBeNull();
    await leave(pat, ROOM, 'pat');
    srv.clock.now += ROOMS_TTL_IF_ALL_LEFT_MS;
    await srv.s.onWakeUp();
    expect(srv.s.room.settings).toBeNull();
    expect(srv.s.breakoutRooms.rooms).toEqual([]);
    expect(ALL_LEFT_REASON).toBe('All occupants left.');
  });

  it('a nick is one user\'s across the meeting\'s rooms; a members-only main room keeps non-members out of its breakout rooms too', async () => {
    const { srv, mod, room } = await meeting();
    await join(mod, room.jid, 'mod');
    const eve = user(srv, 'eve');
    // pat holds "pat" in the main room: another user cannot take it in the breakout room.
    await join(eve, room.jid, 'pat');
    expect(eve.fresh().find((s) => s.attrs.type === 'error')?.getChild('error')?.getChild('conflict')).toBeDefined();
    srv.s.room.saveSettings({ ...srv.s.room.settings!, membersOnly: true });
    await join(eve, room.jid, 'eve');
    expect(eve.fresh().find((s) => s.attrs.type === 'error')?.getChild('error')?.getChild('registration-required')).toBeDefined();
    expect(srv.s.breakoutRooms.roomFor(room.id)?.occupants.has('eve')).toBe(false);
  });

  it('another meeting\'s object knows nothing of these rooms', async () => {
    const { room } = await meeting();
    const other = server(memorySql(), { now: 1000 }, 'r2');
    const eve = user(other, 'eve');
    await eve.send(xml('presence', { to: `${room.id}@${BREAKOUT}/eve` }, xml('x', { xmlns: NS_MUC })));
    expect(eve.fresh().find((s) => s.attrs.type === 'error')?.getChild('error')?.getChild('not-allowed')).toBeDefined();
  });
});
