import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { all, connect, where, type FrameClient } from './frame-client.ts';

const SECRET = 'test-bridge-secret-0123456789';
const BREWERY = 'jvbbrewery@internal.auth.meet.jitsi';

function statsPresence(nick: string, stress: string): string {
  return `<presence to="${BREWERY}/${nick}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/>` +
    `<stats xmlns="http://jitsi.org/protocol/colibri"><stat name="stress_level" value="${stress}"/>` +
    `<stat name="region" value="test"/><stat name="drain" value="false"/></stats></presence>`;
}

async function registerNode(region: string, id: string): Promise<FrameClient> {
  const node = await connect('', `/registry-websocket?region=${region}`);
  await node.login('auth.meet.jitsi', { plain: { user: id, password: SECRET } });
  node.send(statsPresence(id, '0.1'));
  await node.next(where.status('110'));
  return node;
}

describe('Registry Durable Object', () => {
  it('bridges() lists a node after it joins the brewery with stats', async () => {
    await registerNode('r1', 'node-a');
    const bridges = await env.REGISTRY.get(env.REGISTRY.idFromName('r1')).bridges();
    expect(bridges).toMatchObject([{ id: 'node-a', region: 'test', stressLevel: 0.1, drain: false, connected: true }]);
  });

  it('login with a wrong node credential fails with not-authorized', async () => {
    const node = await connect('', '/registry-websocket?region=r2');
    node.send('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="auth.meet.jitsi" version="1.0"/>');
    await node.next(where.name('stream:features'));
    node.send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${btoa('\0node-b\0wrong')}</auth>`);
    expect((await node.next(where.name('failure'))).getChild('not-authorized')).toBeDefined();
  });

  it('anonymous login to the registry is refused', async () => {
    const node = await connect('', '/registry-websocket?region=r2');
    node.send('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="auth.meet.jitsi" version="1.0"/>');
    await node.next(where.name('stream:features'));
    node.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>');
    expect((await node.next(where.name('failure'))).getChild('invalid-mechanism')).toBeDefined();
  });

  it('request() relays a Colibri2 IQ to the node and returns its answer', async () => {
    const node = await registerNode('r3', 'node-c');
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('r3'));
    const answer = registry.request('node-c', 'room1', '<conference-modify xmlns="jitsi:colibri2" meeting-id="m1" create="true"/>');
    const iq = await node.next(all(where.name('iq'), where.child('conference-modify', 'jitsi:colibri2')));
    const id = String(iq.attrs.id);
    expect(iq.attrs.type).toBe('set');
    node.send(`<iq type="result" id="${id}" to="${BREWERY}/focus" xmlns="jabber:client"><conference-modified xmlns="jitsi:colibri2"/></iq>`);
    const reply = await answer;
    expect(reply.ok).toBe(true);
    expect(reply.ok && reply.reply).toContain('type="result"');
    expect(reply.ok && reply.reply).toContain('conference-modified');
  });

  it('request() to an unknown node rejects with service-unavailable', async () => {
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('r4'));
    expect(await registry.request('nobody', 'room1', '<conference-modify xmlns="jitsi:colibri2" meeting-id="m"/>'))
      .toEqual({ ok: false, code: 'service-unavailable', message: 'media node nobody is not available' });
  });

  it('a node that disconnects is dropped after the grace period, with its placements', async () => {
    const node = await registerNode('r5', 'node-d');
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('r5'));
    const pending = registry.request('node-d', 'room9', '<conference-modify xmlns="jitsi:colibri2" meeting-id="m9" create="true"/>');
    const iq = await node.next(all(where.name('iq'), where.child('conference-modify', 'jitsi:colibri2')));
    node.send(`<iq type="result" id="${String(iq.attrs.id)}" xmlns="jabber:client"><conference-modified xmlns="jitsi:colibri2"/></iq>`);
    await pending;
    node.ws.close();
    await expect.poll(async () => (await registry.bridges())[0]?.connected).toBe(false);
    // BRIDGE_GRACE_SECONDS is 0 in the test config: the alarm drops the node right away.
    await runDurableObjectAlarm(registry);
    const after = await runInDurableObject(registry, (_i, state) => ({
      placements: state.storage.sql.exec('SELECT * FROM placements').toArray().length,
    }));
    expect(after.placements).toBe(0);
    expect(await registry.bridges()).toEqual([]);
  });

  it('join/leave churn: 40 rooms placing and unplacing on one registry at once all succeed and leave no placements', async () => {
    const node = await registerNode('r6', 'node-e');
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('r6'));
    // The node answers every Colibri2 request, as a media node does.
    let answered = 0;
    node.on(all(where.name('iq'), where.child('conference-modify', 'jitsi:colibri2')), (iq) => {
      answered += 1;
      node.send(`<iq type="result" id="${String(iq.attrs.id)}" xmlns="jabber:client"><conference-modified xmlns="jitsi:colibri2"/></iq>`);
    });
    const churn = (room: string) => async () => {
      for (let round = 0; round < 3; round++) {
        const placed = await registry.request('node-e', room, `<conference-modify xmlns="jitsi:colibri2" meeting-id="${room}-${round}" create="true"/>`);
        const expired = await registry.request('node-e', room, `<conference-modify xmlns="jitsi:colibri2" meeting-id="${room}-${round}" expire="true"/>`, { expire: true });
        if (!placed.ok || !expired.ok) return [placed, expired];
      }
      return [];
    };
    const failures = (await Promise.all(Array.from({ length: 40 }, (_, i) => churn(`churn${i}`)()))).flat();
    expect(failures).toEqual([]);
    expect(answered).toBe(40 * 3 * 2);
    const placements = await runInDurableObject(registry, (_i, state) => state.storage.sql.exec('SELECT * FROM placements').toArray().length);
    expect(placements).toBe(0);
  });
});
