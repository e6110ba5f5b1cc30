import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { all, connect, find, where, type FrameClient } from './frame-client.ts';

describe('Room Durable Object', () => {
  it('evictDurableObject() keeps occupants, sessions and room settings; the room carries on', async () => {
    const room = 'hibernate1';
    const alice = await connect(room);
    await alice.login();
    await alice.join(room, 'alice');
    const bob = await connect(room);
    await bob.login();
    await bob.join(room, 'bob');
    await alice.next(where.from('hibernate1@conference.meet.jitsi/bob'));

    const stub = env.ROOM.get(env.ROOM.idFromName(room));
    await evictDurableObject(stub);

    const stored = await runInDurableObject(stub, (_instance, state) => ({
      occupants: state.storage.sql.exec<{ nick: string }>('SELECT nick FROM occupants ORDER BY nick').toArray().map((r) => r.nick),
      sessions: state.storage.sql.exec('SELECT sid FROM sessions').toArray().length,
    }));
    expect(stored).toEqual({ occupants: ['alice', 'bob'], sessions: 2 });

    // After eviction, hibernated sockets still deliver: a message from alice reaches bob.
    alice.send(`<message to="${room}@conference.meet.jitsi" type="groupchat" xmlns="jabber:client"><body>after eviction</body></message>`);
    const got = await bob.next(all(where.name('message'), where.child('body')));
    expect(got.getChildText('body')).toBe('after eviction');
    expect(got.attrs.from).toBe(`${room}@conference.meet.jitsi/alice`);

    // A newcomer sees both occupants, who were restored from storage.
    const carol = await connect(room);
    await carol.login();
    carol.send(`<presence to="${room}@conference.meet.jitsi/carol" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
    await carol.next(where.from(`${room}@conference.meet.jitsi/alice`));
    await carol.next(where.from(`${room}@conference.meet.jitsi/bob`));
    const self = await carol.next(where.status('110'));
    expect(where.status('201')(self)).toBe(false);
  });

  it('speaker stats, room metadata and the meeting start survive evictDurableObject(); a newcomer afterwards gets them', async () => {
    const room = 'hibernate-features';
    const roomJid = `${room}@conference.meet.jitsi`;
    const alice = await connect(room);
    await alice.login();
    await alice.join(room, 'alice');
    const bob = await connect(room);
    await bob.login();
    await bob.join(room, 'bob');
    const metadataFrom = (el: Element) => el.name === 'message' && el.attrs.from === 'metadata.meet.jitsi';
    const jsonOf = (el: Element) => JSON.parse(el.getChildText('json-message', 'http://jitsi.org/jitmeet') ?? 'null') as Record<string, unknown>;
    alice.send(`<message to="speakerstats.meet.jitsi" xmlns="jabber:client"><speakerstats xmlns="http://jitsi.org/jitmeet" room="${roomJid}" silence="false"/></message>`);
    alice.send(`<message to="metadata.meet.jitsi" xmlns="jabber:client"><room_metadata xmlns="http://jitsi.org/jitmeet" room="${roomJid}">{"key":"topic","data":{"title":"kept"}}</room_metadata></message>`);
    await bob.next((el) => metadataFrom(el) && (jsonOf(el).metadata as Record<string, unknown>).topic !== undefined);
    const info = async (c: FrameClient, id: string) => {
      c.send(`<iq type="get" id="${id}" to="${roomJid}" xmlns="jabber:client"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
      const reply = await c.next(where.id(id));
      return find(reply, (e) => e.name === 'field' && e.attrs.var === 'muc#roominfo_created_timestamp')?.getChildText('value');
    };
    const startedBefore = await info(bob, 'info1');
    expect(startedBefore).toMatch(/^\d+$/);

    const stub = env.ROOM.get(env.ROOM.idFromName(room));
    await evictDurableObject(stub);
    const stored = await runInDurableObject(stub, (_instance, state) => JSON.parse(String(
      state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'settings'`).one().value)) as Record<string, unknown>);
    expect(stored).toMatchObject({ metadata: { topic: { title: 'kept' } }, speakerStats: { dominant: 'alice' }, startedAt: Number(startedBefore) });
    await new Promise((r) => setTimeout(r, 60));

    const carol = await connect(room);
    await carol.login();
    carol.send(`<presence to="${roomJid}/carol" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
    const metadata = await carol.next(metadataFrom);
    expect(jsonOf(metadata)).toEqual({ type: 'room_metadata', metadata: { topic: { title: 'kept' } } });
    await carol.next(where.status('110'));
    const stats = jsonOf(await carol.next((el) => el.name === 'message' && el.attrs.from === 'speakerstats.meet.jitsi'));
    const users = stats.users as Record<string, { totalDominantSpeakerTime: number }>;
    expect(Object.keys(users)).toEqual(['alice']);
    // Alice is still the dominant speaker: her time ran on across the eviction.
    expect(users.alice!.totalDominantSpeakerTime).toBeGreaterThanOrEqual(50);
    expect(await info(carol, 'info2')).toBe(startedBefore);
  });

  it('polls survive evictDurableObject(): a newcomer afterwards gets them with their votes, and answers carry on', async () => {
    const room = 'hibernate-polls';
    const roomJid = `${room}@conference.meet.jitsi`;
    const alice = await connect(room);
    await alice.login();
    await alice.join(room, 'alice');
    const bob = await connect(room);
    await bob.login();
    await bob.join(room, 'bob');
    const fromPolls = (command: string) => (el: Element) => el.name === 'message' && el.attrs.from === 'polls.meet.jitsi' && el.attrs.type !== 'error'
      && (JSON.parse(el.getChildText('json-message', 'http://jitsi.org/jitmeet') ?? 'null') as Record<string, unknown>)?.command === command;
    const jsonOf = (el: Element) => JSON.parse(el.getChildText('json-message', 'http://jitsi.org/jitmeet') ?? 'null') as Record<string, unknown>;
    const send = (c: FrameClient, body: Record<string, unknown>) =>
      c.send(`<message to="polls.meet.jitsi" type="chat" xmlns="jabber:client"><json-message xmlns="http://jitsi.org/jitmeet">${JSON.stringify({ type: 'polls', ...body })}</json-message></message>`);
    send(alice, { command: 'new-poll', pollId: 'kept', question: 'Survives?', answers: [{ name: 'Yes' }, { name: 'No' }] });
    await bob.next(fromPolls('new-poll'));
    send(bob, { command: 'answer-poll', pollId: 'kept', answers: [true, false] });
    await alice.next(fromPolls('answer-poll'));

    const stub = env.ROOM.get(env.ROOM.idFromName(room));
    await evictDurableObject(stub);
    const stored = await runInDurableObject(stub, (_instance, state) => JSON.parse(String(
      state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'settings'`).one().value)) as Record<string, unknown>);
    expect(stored.polls).toEqual([{ pollId: 'kept', senderId: 'alice', senderName: 'alice', question: 'Survives?', answers: [{ name: 'Yes', voters: [{ id: 'bob', name: 'bob' }] }, { name: 'No' }] }]);

    const carol = await connect(room);
    await carol.login();
    carol.send(`<presence to="${roomJid}/carol" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
    const old = jsonOf(await carol.next(fromPolls('old-polls')));
    expect(old.polls).toEqual(stored.polls);
    send(carol, { command: 'answer-poll', pollId: 'kept', answers: [false, true] });
    expect(jsonOf(await alice.next(fromPolls('answer-poll')))).toMatchObject({ senderId: 'carol', answers: [false, true] });
  });

  it('fetch() without a room answers 400 and creates no object', async () => {
    const { exports } = await import('cloudflare:workers');
    const res = await (exports as { default: Fetcher }).default.fetch('http://edge.test/xmpp-websocket', { headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad-request' } });
  });
  it('a lobby survives evictDurableObject(): who waits there is in storage, and the moderator admits her afterwards', async () => {
    const room = 'hibernate-lobby';
    const roomJid = `${room}@conference.meet.jitsi`;
    const lobbyJid = `${room}@lobby.meet.jitsi`;
    const alice = await connect(room);
    await alice.login();
    await alice.join(room, 'alice');
    alice.send(`<iq type="set" id="on" to="${roomJid}" xmlns="jabber:client"><query xmlns="http://jabber.org/protocol/muc#owner">`
      + `<x xmlns="jabber:x:data" type="submit"><field var="muc#roomconfig_membersonly"><value>true</value></field></x></query></iq>`);
    await alice.next(all(where.id('on'), where.type('result')));
    await alice.join(room, 'alice', 'lobby.meet.jitsi');
    const carol = await connect(room);
    const carolJid = await carol.login();
    await carol.join(room, 'carol', 'lobby.meet.jitsi');
    await alice.next(where.from(`${lobbyJid}/carol`));

    const stub = env.ROOM.get(env.ROOM.idFromName(room));
    await evictDurableObject(stub);
    const stored = await runInDurableObject(stub, (_instance, state) => ({
      waiting: state.storage.sql.exec<{ nick: string }>('SELECT nick FROM lobby_occupants ORDER BY nick').toArray().map((r) => r.nick),
      lobbyRoom: (JSON.parse(String(state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'settings'`).one().value)) as { lobbyRoom?: string }).lobbyRoom,
    }));
    expect(stored).toEqual({ waiting: ['alice', 'carol'], lobbyRoom: lobbyJid });

    // After the eviction: the lobby chat still runs, a newcomer is still sent to the lobby, and the approval admits Carol.
    carol.send(`<message to="${lobbyJid}" type="groupchat" xmlns="jabber:client"><body>still here</body></message>`);
    expect((await alice.next(all(where.name('message'), where.child('body')))).attrs.from).toBe(`${lobbyJid}/carol`);
    const dave = await connect(room);
    await dave.login();
    dave.send(`<presence to="${roomJid}/dave" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/><nick xmlns="http://jabber.org/protocol/nick">Dave</nick></presence>`);
    const refused = await dave.next(all(where.name('presence'), where.type('error')));
    expect(refused.getChild('error')?.getChildText('lobbyroom', 'http://jitsi.org/jitmeet')).toBe(lobbyJid);
    alice.send(`<message to="${roomJid}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="${carolJid}"/></x></message>`);
    await carol.next(all(where.from(roomJid), where.descendant('invite')));
    const joined = await carol.join(room, 'carol');
    expect(joined.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs).toMatchObject({ affiliation: 'member' });
  });
});
