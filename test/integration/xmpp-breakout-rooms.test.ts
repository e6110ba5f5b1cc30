import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { NS_MUC_USER, connectClient, isSelfPresence, joinPresence, presenceFrom, sleep, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const BREAKOUT = 'breakout.meet.jitsi';
const JITMEET = 'http://jitsi.org/jitmeet';
const NS_FOCUS = 'http://jitsi.org/protocol/focus';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

interface Room { id: string; jid: string; name: string; isMainRoom?: boolean; participants: Record<string, { jid: string; role: string; displayName?: string }> }
interface Update { type: string; event: string; roomCounter: number; rooms: Record<string, Room> }

const nick = (name: string) => xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, name);
const jsonOf = (s: Element) => JSON.parse(s.getChildText('json-message', JITMEET) ?? 'null') as Record<string, unknown> | null;
const fromComponent = (event: string) => (s: Element) => s.name === 'message' && s.attrs.from === BREAKOUT && jsonOf(s)?.type === 'breakout_rooms' && jsonOf(s)?.event === event;
const isUpdate = (test: (u: Update) => boolean = () => true) => (s: Element) => fromComponent('features/breakout-rooms/update')(s) && test(jsonOf(s) as unknown as Update);
const errorCondition = (s: Element) => s.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;
const command = (attrs: Record<string, string>) => xml('message', { to: BREAKOUT }, xml('breakout_rooms', attrs));
const breakouts = (u: Update) => Object.values(u.rooms).filter((r) => !r.isMainRoom);
const conferenceIq = (roomJid: string) => xml('iq', { type: 'set', to: 'focus.meet.jitsi' }, xml('conference', { xmlns: NS_FOCUS, room: roomJid }));

describe('breakout rooms (jitsi-meet\'s mod_muc_breakout_rooms) against the real edge', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    edge = await startEdge({ LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });
  const connect = async (room: string) => {
    const c = await connectClient(edge.wsUrl, room);
    clients.push(c);
    return c;
  };
  /** As lib-jitsi-meet joins: the conference IQ to the focus first, then the MUC join. */
  const enter = async (c: TestClient, roomJid: string, n: string) => {
    const ready = await c.iq(conferenceIq(roomJid));
    expect(ready.getChild('conference', NS_FOCUS)?.attrs.ready).toBe('true');
    await c.send(joinPresence(roomJid, n, nick(n.toUpperCase())));
    return c.waitFor(isSelfPresence(roomJid, n));
  };
  /** A moderator (first in) and a participant in the main room. */
  async function meeting(room: string) {
    const roomJid = `${room}@${MUC}`;
    const mod = await connect(room);
    await enter(mod, roomJid, 'mod');
    const pat = await connect(room);
    await enter(pat, roomJid, 'pat');
    return { roomJid, mod, pat };
  }
  /** The moderator adds a room; resolves with its entry as everyone's next list shows it. */
  async function addRoom(mod: TestClient, subject: string, others: TestClient[] = []) {
    await mod.send(command({ type: 'features/breakout-rooms/add', subject }));
    const has = (u: Update) => breakouts(u).some((r) => r.name === subject);
    const update = jsonOf(await mod.waitFor(isUpdate(has))) as unknown as Update;
    for (const o of others) await o.waitFor(isUpdate(has));
    return { update, room: breakouts(update).find((r) => r.name === subject)! };
  }

  it('announced as Prosody does: the breakout_rooms component identity, the rename feature on its node', async () => {
    const c = await connect('bo-disco');
    const info = await c.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: DISCO_INFO })));
    expect(info.getChild('query')?.getChildren('identity').map((i) => i.attrs)).toContainEqual({ category: 'component', type: 'breakout_rooms', name: BREAKOUT });
    const node = await c.iq(xml('iq', { type: 'get', to: BREAKOUT }, xml('query', { xmlns: DISCO_INFO, node: 'breakout_rooms' })));
    expect(node.getChild('query')?.getChildren('feature').map((f) => f.attrs.var)).toEqual(['http://jitsi.org/protocol/breakout_rooms#rename']);
  });

  it('create: everyone gets the list (main room with who is in it, the new room empty, the counter); a participant moved joins it with its own focus; the lists follow', async () => {
    const { roomJid, mod, pat } = await meeting('bo-create');
    const { update, room } = await addRoom(mod, 'Room 1', [pat]);
    expect(update.roomCounter).toBe(1);
    expect(room.jid).toBe(`${room.id}@${BREAKOUT}`);
    expect(room.participants).toEqual({});
    const main = update.rooms['bo-create']!;
    expect(main).toMatchObject({ isMainRoom: true, id: 'bo-create', jid: roomJid });
    expect(Object.keys(main.participants).sort()).toEqual([`${roomJid}/mod`, `${roomJid}/pat`]);
    expect(main.participants[`${roomJid}/pat`]).toEqual({ jid: pat.jid, role: 'participant', displayName: 'PAT' });
    expect(main.participants[`${roomJid}/mod`]?.role).toBe('moderator');

    // Move: pat is told to go, and goes (leave the main room, conference IQ, join the breakout room).
    await mod.send(command({ type: 'features/breakout-rooms/move-to-room', participantJid: pat.jid, roomJid: room.jid }));
    const move = await pat.waitFor(fromComponent('features/breakout-rooms/move-to-room'));
    expect(jsonOf(move)).toEqual({ type: 'breakout_rooms', event: 'features/breakout-rooms/move-to-room', roomJid: room.jid });
    await pat.send(xml('presence', { to: `${roomJid}/pat`, type: 'unavailable' }, xml('status', null, 'switch_room')));
    await pat.waitFor(presenceFrom(roomJid, 'pat', 'unavailable'));
    const self = await enter(pat, room.jid, 'pat');
    // Its own conference: the focus is there (it created the room), with its own conference properties.
    const focus = await pat.waitFor(presenceFrom(room.jid, 'focus'));
    expect(focus.getChild('conference-properties', 'http://jitsi.org/protocol/focus')).toBeDefined();
    expect(self.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.role).toBe('participant');
    // The room's subject is its name; its disco#info says it is a breakout room of the main room.
    const subject = await pat.waitFor((s) => s.name === 'message' && s.attrs.from === room.jid && s.getChild('subject') !== undefined);
    expect(subject.getChildText('subject')).toBe('Room 1');
    const info = await pat.iq(xml('iq', { type: 'get', to: room.jid }, xml('query', { xmlns: DISCO_INFO })));
    const fields = Object.fromEntries(info.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    expect(fields).toMatchObject({ 'muc#roominfo_isbreakout': 'true', 'muc#roominfo_breakout_main_room': roomJid });
    expect(fields['muc#roominfo_meetingId']).toBeTruthy();
    const mainInfo = await mod.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: DISCO_INFO })));
    const mainMeeting = mainInfo.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_meetingId')?.getChildText('value');
    expect(fields['muc#roominfo_meetingId']).not.toBe(mainMeeting);
    // Both see pat in the breakout room now (the focus left out).
    const inBreakout = (u: Update) => Object.keys(u.rooms[room.id]?.participants ?? {}).includes(`${room.jid}/pat`);
    for (const c of [mod, pat]) {
      const u = jsonOf(await c.waitFor(isUpdate(inBreakout))) as unknown as Update;
      expect(Object.keys(u.rooms['bo-create']!.participants)).toEqual([`${roomJid}/mod`]);
      expect(Object.keys(u.rooms[room.id]!.participants)).toEqual([`${room.jid}/pat`]);
    }
    // The moderator in the main room is a moderator in the breakout room too (affiliations are the main room's).
    await mod.iq(conferenceIq(room.jid));
    await mod.send(joinPresence(room.jid, 'mod', nick('MOD')));
    const modSelf = await mod.waitFor(isSelfPresence(room.jid, 'mod'));
    expect(modSelf.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs).toMatchObject({ role: 'moderator', affiliation: 'owner' });
  });

  it('rename changes the list and the room\'s subject; remove sends its people back (destroy naming the main room) and drops it from the list', async () => {
    const { roomJid, mod, pat } = await meeting('bo-remove');
    const { room } = await addRoom(mod, 'Old', [pat]);
    await pat.send(xml('presence', { to: `${roomJid}/pat`, type: 'unavailable' }));
    await enter(pat, room.jid, 'pat');
    await mod.send(command({ type: 'features/breakout-rooms/rename', breakoutRoomJid: room.jid, subject: 'New' }));
    await pat.waitFor((s) => s.name === 'message' && s.attrs.from === room.jid && s.getChildText('subject') === 'New');
    for (const c of [mod, pat]) await c.waitFor(isUpdate((u) => u.rooms[room.id]?.name === 'New'));

    await mod.send(command({ type: 'features/breakout-rooms/remove', breakoutRoomJid: room.jid }));
    const gone = await pat.waitFor(presenceFrom(room.jid, 'pat', 'unavailable'));
    const destroy = gone.getChild('x', NS_MUC_USER)?.getChild('destroy');
    expect(destroy?.attrs.jid).toBe(roomJid);
    expect(destroy?.getChildText('reason')).toBe('Breakout room removed.');
    const u = jsonOf(await mod.waitFor(isUpdate((x) => x.rooms[room.id] === undefined))) as unknown as Update;
    expect(breakouts(u)).toEqual([]);
    expect(u.roomCounter).toBe(1);
    // It cannot be joined again; pat goes back to the main room.
    await pat.send(joinPresence(room.jid, 'pat'));
    const refused = await pat.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error' && s.attrs.from === `${room.jid}/pat`);
    expect(errorCondition(refused)).toBe('not-allowed');
    await enter(pat, roomJid, 'pat');
  });

  it('close: the moderator moves everyone back to the main room; people left in no room close the meeting 5 s later', async () => {
    const { roomJid, mod, pat } = await meeting('bo-close');
    const { room } = await addRoom(mod, 'R', [pat]);
    await pat.send(xml('presence', { to: `${roomJid}/pat`, type: 'unavailable' }));
    await enter(pat, room.jid, 'pat');
    await mod.send(command({ type: 'features/breakout-rooms/move-to-room', participantJid: pat.jid, roomJid }));
    expect(jsonOf(await pat.waitFor(fromComponent('features/breakout-rooms/move-to-room')))?.roomJid).toBe(roomJid);
    await pat.send(xml('presence', { to: `${room.jid}/pat`, type: 'unavailable' }));
    await enter(pat, roomJid, 'pat');
    await mod.waitFor(isUpdate((u) => Object.keys(u.rooms['bo-close']!.participants).includes(`${roomJid}/pat`) && Object.keys(u.rooms[room.id]!.participants).length === 0));

    // Everyone moves to the breakout room: the main room stays (it has breakout rooms), so they can come back.
    for (const [c, n] of [[mod, 'mod'], [pat, 'pat']] as const) {
      await c.send(xml('presence', { to: `${roomJid}/${n}`, type: 'unavailable' }));
      await c.waitFor(presenceFrom(roomJid, n, 'unavailable'));
      await enter(c, room.jid, n);
    }
    await sleep(300);
    const info = await mod.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: DISCO_INFO })));
    expect(info.attrs.type).toBe('result');

    // Then everyone leaves every room: the main room is kept for a while, then closed with its breakout rooms.
    for (const [c, n] of [[mod, 'mod'], [pat, 'pat']] as const) {
      await c.send(xml('presence', { to: `${room.jid}/${n}`, type: 'unavailable' }));
      await c.waitFor(presenceFrom(room.jid, n, 'unavailable'));
    }
    const roomInfo = () => mod.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: DISCO_INFO }))).then(() => 'exists', () => 'gone');
    await sleep(1000);
    expect(await roomInfo()).toBe('exists');
    await sleep(5000);
    expect(await roomInfo()).toBe('gone');
    await mod.send(joinPresence(room.jid, 'mod'));
    const refused = await mod.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error' && s.attrs.from === `${room.jid}/mod`);
    expect(errorCondition(refused)).toBe('not-allowed');
  }, 20_000);

  it('refused as Prosody refuses: a participant\'s commands, unknown actions, moves to unknown rooms (service-unavailable); unknown rooms to rename or remove, and people who left, change nothing', async () => {
    const { roomJid, mod, pat } = await meeting('bo-refuse');
    const { room } = await addRoom(mod, 'Only', [pat]);
    const before = mod.received(isUpdate()).length;
    const replyError = async (c: TestClient, attrs: Record<string, string>) => {
      const id = `bad-${Math.random().toString(36).slice(2)}`;
      await c.send(xml('message', { to: BREAKOUT, id }, xml('breakout_rooms', attrs)));
      return c.waitFor((s) => s.attrs.id === id && s.attrs.type === 'error');
    };
    const participantCommands: Array<Record<string, string>> = [
      { type: 'features/breakout-rooms/add', subject: 'mine' }, { type: 'features/breakout-rooms/move-to-room', participantJid: mod.jid, roomJid: room.jid },
    ];
    for (const attrs of participantCommands) {
      const err = await replyError(pat, attrs);
      expect(err.getChild('error')?.attrs.type).toBe('cancel');
      expect(errorCondition(err)).toBe('service-unavailable');
    }
    expect(errorCondition(await replyError(mod, { type: 'features/breakout-rooms/move-to-room', participantJid: pat.jid, roomJid: `nope@${BREAKOUT}` }))).toBe('service-unavailable');
    expect(errorCondition(await replyError(mod, { type: 'features/breakout-rooms/move-to-room', participantJid: pat.jid, roomJid: `other@${MUC}` }))).toBe('service-unavailable');
    expect(errorCondition(await replyError(mod, { type: 'features/breakout-rooms/explode' }))).toBe('service-unavailable');
    // Ignored as Jitsi ignores them (no answer, nothing changes).
    await mod.send(command({ type: 'features/breakout-rooms/remove', breakoutRoomJid: `nope@${BREAKOUT}` }));
    await mod.send(command({ type: 'features/breakout-rooms/rename', breakoutRoomJid: `nope@${BREAKOUT}`, subject: 'x' }));
    await mod.send(command({ type: 'features/breakout-rooms/remove', breakoutRoomJid: roomJid }));
    await mod.send(command({ type: 'features/breakout-rooms/move-to-room', participantJid: 'gone@meet.jitsi/left', roomJid: room.jid }));
    // A connection of another meeting cannot reach this meeting's rooms.
    const stranger = await connect('bo-elsewhere');
    await stranger.send(joinPresence(room.jid, 'x'));
    const refused = await stranger.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(errorCondition(refused)).toBe('not-allowed');
    await sleep(500);
    expect(mod.received(isUpdate()).length).toBe(before);
    expect(pat.received(fromComponent('features/breakout-rooms/move-to-room'))).toEqual([]);
    // The moderator's three refused commands got errors; the four ignored ones none.
    expect(mod.received((s) => s.attrs.type === 'error' && s.attrs.from === BREAKOUT).length).toBe(3);
    // A participant cannot create a breakout room by joining it before the focus did.
    await pat.send(joinPresence(room.jid, 'pat'));
    const early = await pat.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error' && s.attrs.from === `${room.jid}/pat`);
    expect(errorCondition(early)).toBe('not-allowed');
  });
});
