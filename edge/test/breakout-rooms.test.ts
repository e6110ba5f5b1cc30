import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { all, connect, where, type FrameClient } from './frame-client.ts';

const SECRET = 'test-bridge-secret-0123456789';
const ROOM = 'breakoutroom';
const MUC = `${ROOM}@conference.meet.jitsi`;
const BREAKOUT = 'breakout.meet.jitsi';

/** A scripted media node answering Colibri2 as JVB; records each conference-modify (meeting id, name, create, expire). */
async function scriptedNode(id: string, seen: Array<Record<string, unknown>>): Promise<FrameClient> {
  const node = await connect('', '/registry-websocket?region=default');
  await node.login('auth.meet.jitsi', { plain: { user: id, password: SECRET } });
  node.send(`<presence to="jvbbrewery@internal.auth.meet.jitsi/${id}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/>` +
    '<stats xmlns="http://jitsi.org/protocol/colibri"><stat name="stress_level" value="0.1"/></stats></presence>');
  await node.next(where.status('110'));
  node.on(all(where.name('iq'), where.child('conference-modify', 'jitsi:colibri2')), (iq) => {
    const modify = iq.getChild('conference-modify')!;
    seen.push({ ...modify.attrs });
    const created = modify.getChildren('endpoint').filter((e) => e.attrs.create === 'true').map((e) => String(e.attrs.id));
    const endpoints = created.map((ep) => `<endpoint id="${ep}"><transport><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u${ep}" pwd="p${ep}0123456789abcdefgh">` +
      '<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB</fingerprint>' +
      '<candidate component="1" foundation="1" generation="0" id="c1" network="0" priority="1" protocol="udp" type="host" ip="127.0.0.1" port="10000"/></transport></transport></endpoint>').join('');
    node.send(`<iq type="result" id="${String(iq.attrs.id)}" xmlns="jabber:client"><conference-modified xmlns="jitsi:colibri2">${endpoints}</conference-modified></iq>`);
  });
  return node;
}

const jsonOf = (el: Element) => JSON.parse(el.getChildText('json-message', 'http://jitsi.org/jitmeet') ?? 'null') as Record<string, unknown> | null;
const update = (test: (rooms: Record<string, { name: string; isMainRoom?: boolean; participants: Record<string, unknown> }>) => boolean) => (el: Element) =>
  el.name === 'message' && el.attrs.from === BREAKOUT && jsonOf(el)?.event === 'features/breakout-rooms/update' && test(jsonOf(el)!.rooms as never);

/** As lib-jitsi-meet enters a room: the conference IQ, then the MUC join. */
async function enter(c: FrameClient, room: string, mucDomain: string, nick: string): Promise<void> {
  c.send(`<iq type="set" id="conf-${nick}-${room}" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="${room}@${mucDomain}"/></iq>`);
  expect((await c.next(where.id(`conf-${nick}-${room}`))).getChild('conference')?.attrs.ready).toBe('true');
  await c.join(room, nick, mucDomain);
}

describe('breakout rooms in the Room Durable Object', () => {
  it('each breakout room is its own conference (own focus, meeting id, bridge conference); it all survives evictDurableObject(); removing it stops its conference', async () => {
    const colibri: Array<Record<string, unknown>> = [];
    await scriptedNode('node-b1', colibri);
    const alice = await connect(ROOM);
    await alice.login();
    await enter(alice, ROOM, 'conference.meet.jitsi', 'alice');
    const bob = await connect(ROOM);
    await bob.login();
    await enter(bob, ROOM, 'conference.meet.jitsi', 'bob');
    await alice.next(where.jingle('session-initiate'));
    await bob.next(where.jingle('session-initiate'));
    const mainConference = colibri.find((m) => m.create === 'true')!;
    expect(mainConference.name).toBe(MUC);

    alice.send(`<message to="${BREAKOUT}" xmlns="jabber:client"><breakout_rooms type="features/breakout-rooms/add" subject="Team A"/></message>`);
    const listed = await bob.next(update((rooms) => Object.values(rooms).some((r) => r.name === 'Team A')));
    const id = Object.entries(jsonOf(listed)!.rooms as Record<string, { name: string }>).find(([, r]) => r.name === 'Team A')![0];
    const breakoutJid = `${id}@${BREAKOUT}`;

    for (const [c, nick] of [[alice, 'alice'], [bob, 'bob']] as const) {
      c.send(`<presence to="${MUC}/${nick}" type="unavailable" xmlns="jabber:client"><status>switch_room</status></presence>`);
      await c.next(all(where.from(`${MUC}/${nick}`), where.type('unavailable')));
      await enter(c, id, BREAKOUT, nick);
    }
    // Its own focus invites both to its own bridge conference.
    const offer = await bob.next(all(where.jingle('session-initiate'), where.from(`${breakoutJid}/focus`)), 8000);
    expect(offer.attrs.from).toBe(`${breakoutJid}/focus`);
    await alice.next(all(where.jingle('session-initiate'), where.from(`${breakoutJid}/focus`)), 8000);
    const own = colibri.find((m) => m.create === 'true' && m.name === breakoutJid)!;
    expect(own['meeting-id']).toBeTruthy();
    expect(own['meeting-id']).not.toBe(mainConference['meeting-id']);

    const stub = env.ROOM.get(env.ROOM.idFromName(ROOM));
    await evictDurableObject(stub);
    const stored = await runInDurableObject(stub, (_i, state) => ({
      occupants: state.storage.sql.exec<{ nick: string }>('SELECT nick FROM breakout_occupants WHERE room = ? ORDER BY nick', id).toArray().map((r) => r.nick),
      focus: state.storage.sql.exec('SELECT key FROM meta WHERE key = ?', `focus:${id}`).toArray().length,
    }));
    expect(stored).toEqual({ occupants: ['alice', 'bob', 'focus'], focus: 1 });

    // After the eviction: the room is still listed and renamed; its occupants hear it.
    alice.send(`<message to="${BREAKOUT}" xmlns="jabber:client"><breakout_rooms type="features/breakout-rooms/rename" breakoutRoomJid="${breakoutJid}" subject="Team B"/></message>`);
    expect((await bob.next(all(where.from(breakoutJid), where.child('subject')))).getChildText('subject')).toBe('Team B');
    const after = await alice.next(update((rooms) => rooms[id]?.name === 'Team B'));
    expect(Object.keys((jsonOf(after)!.rooms as Record<string, { participants: object }>)[id]!.participants).sort()).toEqual([`${breakoutJid}/alice`, `${breakoutJid}/bob`]);

    // Removed: its people are sent to the main room, its bridge conference is expired.
    alice.send(`<message to="${BREAKOUT}" xmlns="jabber:client"><breakout_rooms type="features/breakout-rooms/remove" breakoutRoomJid="${breakoutJid}"/></message>`);
    const gone = await bob.next(all(where.from(`${breakoutJid}/bob`), where.type('unavailable')));
    expect(gone.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('destroy')?.attrs.jid).toBe(MUC);
    await expect.poll(() => colibri.some((m) => m['meeting-id'] === own['meeting-id'] && m.expire === 'true'), { timeout: 3000 }).toBe(true);
    const left = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec('SELECT key FROM meta WHERE key LIKE ?', `%${id}`).toArray().length);
    expect(left).toBe(0);
  }, 30_000);
});
