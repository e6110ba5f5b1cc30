import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { all, connect, where } from './frame-client.ts';

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

  it('fetch() without a room answers 400 and creates no object', async () => {
    const { exports } = await import('cloudflare:workers');
    const res = await (exports as { default: Fetcher }).default.fetch('http://edge.test/xmpp-websocket', { headers: { Upgrade: 'websocket' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad-request' } });
  });
});
