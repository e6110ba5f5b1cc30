import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { all, conditionOf, connect, where, type FrameClient } from './frame-client.ts';

const SECRET = 'test-recorder-secret-0123456789';
const BRIDGE_SECRET = 'test-bridge-secret-0123456789';
const JIBRI_BREWERY = 'jibribrewery@internal.auth.meet.jitsi';
const NS_JIBRI = 'http://jitsi.org/protocol/jibri';

function statusPresence(id: string, busy: string, health = 'healthy'): string {
  return `<presence to="${JIBRI_BREWERY}/${id}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/>`
    + `<jibri-status xmlns="${NS_JIBRI}"><busy-status xmlns="${NS_JIBRI}" status="${busy}"/>`
    + `<health-status xmlns="http://jitsi.org/protocol/health" status="${health}"/></jibri-status></presence>`;
}

async function registerRecorder(region: string, id: string): Promise<FrameClient> {
  const rec = await connect('', `/registry-websocket?region=${region}`);
  await rec.login('auth.meet.jitsi', { plain: { user: id, password: SECRET } });
  rec.send(statusPresence(id, 'idle'));
  await rec.next(all(where.from(`${JIBRI_BREWERY}/${id}`), where.status('110')));
  return rec;
}

async function plainAuth(path: string, domain: string, user: string, password: string): Promise<string | undefined> {
  const c = await connect('', path);
  c.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${domain}" version="1.0"/>`);
  await c.next(where.name('stream:features'));
  c.send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${btoa(`\0${user}\0${password}`)}</auth>`);
  const answer = await c.next((el) => el.name === 'success' || el.name === 'failure');
  return answer.name === 'success' ? 'success' : answer.getChildElements()[0]?.name;
}

describe('Jibri brewery in the Registry', () => {
  it('recorders() lists a recorder that joined the Jibri brewery with RECORDER_SECRET, with its availability', async () => {
    const rec = await registerRecorder('j1', 'rec-a');
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('j1'));
    expect(await registry.recorders()).toEqual([
      { id: 'rec-a', jid: `${JIBRI_BREWERY}/rec-a`, busy: 'idle', health: 'healthy', available: true },
    ]);
    rec.send(statusPresence('rec-a', 'busy'));
    await expect.poll(async () => (await registry.recorders())[0]?.available).toBe(false);
    // Not a media node: the bridge listing does not show it.
    expect(await registry.bridges()).toEqual([]);
  });

  it('a recorder login with a wrong secret is refused; the bridge secret logs in a node, never a recorder', async () => {
    expect(await plainAuth('/registry-websocket?region=j2', 'auth.meet.jitsi', 'rec-b', 'not-the-secret-at-all')).toBe('not-authorized');
    const node = await connect('', '/registry-websocket?region=j2');
    await node.login('auth.meet.jitsi', { plain: { user: 'rec-b', password: BRIDGE_SECRET } });
    node.send(statusPresence('rec-b', 'idle'));
    const refused = await node.next(all(where.name('presence'), where.type('error')));
    expect(conditionOf(refused)).toBe('not-allowed');
    expect(await env.REGISTRY.get(env.REGISTRY.idFromName('j2')).recorders()).toEqual([]);
  });

  it('a recorder may not join the bridge brewery', async () => {
    const rec = await connect('', '/registry-websocket?region=j3');
    await rec.login('auth.meet.jitsi', { plain: { user: 'rec-c', password: SECRET } });
    rec.send('<presence to="jvbbrewery@internal.auth.meet.jitsi/rec-c" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/>'
      + '<stats xmlns="http://jitsi.org/protocol/colibri"><stat name="stress_level" value="0.1"/></stats></presence>');
    expect(conditionOf(await rec.next(all(where.name('presence'), where.type('error'))))).toBe('not-allowed');
    expect(await env.REGISTRY.get(env.REGISTRY.idFromName('j3')).bridges()).toEqual([]);
  });

  it('selectRecorder() picks an available recorder and not the same one again within 200 ms; none connected is told apart', async () => {
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('j4'));
    expect(await registry.selectRecorder()).toEqual({ recorder: null, anyConnected: false });
    await registerRecorder('j4', 'rec-d');
    expect((await registry.selectRecorder()).recorder?.id).toBe('rec-d');
    expect(await registry.selectRecorder()).toEqual({ recorder: null, anyConnected: true });
    await new Promise((r) => setTimeout(r, 250));
    await registry.recorderFailed('rec-d');
    // Failed a minute ago at most: skipped.
    expect(await registry.selectRecorder()).toEqual({ recorder: null, anyConnected: true });
  });

  it('recorderRequest() relays a start to the recorder and returns its pending answer; its status IQ without a room session is item-not-found', async () => {
    const rec = await registerRecorder('j5', 'rec-e');
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('j5'));
    const answer = registry.recorderRequest('rec-e', 'nosuchroom',
      `<jibri xmlns="${NS_JIBRI}" action="start" recording_mode="file" room="nosuchroom@conference.meet.jitsi" session_id="s-1"/>`);
    const iq = await rec.next(all(where.name('iq'), where.child('jibri', NS_JIBRI)));
    expect(iq.attrs.from).toBe('focus@auth.meet.jitsi/focus');
    expect(iq.getChild('jibri', NS_JIBRI)?.attrs).toMatchObject({ action: 'start', session_id: 's-1', room: 'nosuchroom@conference.meet.jitsi' });
    rec.send(`<iq type="result" id="${String(iq.attrs.id)}" to="focus@auth.meet.jitsi/focus" xmlns="jabber:client"><jibri xmlns="${NS_JIBRI}" status="pending"/></iq>`);
    const reply = await answer;
    expect(reply.ok && reply.reply).toContain('status="pending"');
    // The session's room runs no conference: the focus there knows no such session.
    rec.send(`<iq type="set" id="st1" to="focus@auth.meet.jitsi/focus" xmlns="jabber:client"><jibri xmlns="${NS_JIBRI}" status="on"/></iq>`);
    expect(conditionOf(await rec.next(where.id('st1')))).toBe('item-not-found');
    // A session id nobody started is not routed anywhere.
    rec.send(`<iq type="set" id="st2" to="focus@auth.meet.jitsi/focus" xmlns="jabber:client"><jibri xmlns="${NS_JIBRI}" status="on" session_id="other"/></iq>`);
    expect(conditionOf(await rec.next(where.id('st2')))).toBe('item-not-found');
  });

  it('recorderRequest() to a recorder that is not registered answers service-unavailable', async () => {
    expect(await env.REGISTRY.get(env.REGISTRY.idFromName('j6')).recorderRequest('nobody', 'r', `<jibri xmlns="${NS_JIBRI}" action="stop"/>`))
      .toEqual({ ok: false, code: 'service-unavailable', message: 'recorder nobody is not available' });
  });

  it('a recorder that disconnects is gone from the brewery at once', async () => {
    const rec = await registerRecorder('j7', 'rec-f');
    const registry = env.REGISTRY.get(env.REGISTRY.idFromName('j7'));
    expect(await registry.recorders()).toHaveLength(1);
    rec.ws.close();
    await expect.poll(async () => registry.recorders()).toEqual([]);
  });
});

describe('the hidden domain of a room', () => {
  it('a recorder logs in to recorder.<domain> with PLAIN and RECORDER_SECRET and is bound there', async () => {
    const c = await connect('hidden1');
    expect(await c.login('recorder.meet.jitsi', { plain: { user: 'rec-1', password: SECRET } })).toMatch(/^rec-1@recorder\.meet\.jitsi\/.+/);
  });

  it('offers only PLAIN there, and refuses ANONYMOUS, a wrong secret and the bridge secret', async () => {
    const c = await connect('hidden2');
    c.send('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="recorder.meet.jitsi" version="1.0"/>');
    const features = await c.next(where.name('stream:features'));
    expect(features.getChild('mechanisms')?.getChildren('mechanism').map((m) => m.text())).toEqual(['PLAIN']);
    c.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>');
    expect((await c.next(where.name('failure'))).getChild('invalid-mechanism')).toBeDefined();
    expect(await plainAuth('/xmpp-websocket?room=hidden2', 'recorder.meet.jitsi', 'rec-2', 'wrong-secret-0123456789')).toBe('not-authorized');
    expect(await plainAuth('/xmpp-websocket?room=hidden2', 'recorder.meet.jitsi', 'rec-2', BRIDGE_SECRET)).toBe('not-authorized');
    // The main domain still offers what it did.
    const main = await connect('hidden2');
    main.send('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="meet.jitsi" version="1.0"/>');
    expect((await main.next(where.name('stream:features'))).getChild('mechanisms')?.getChildren('mechanism').map((m) => m.text())).toEqual(['ANONYMOUS']);
  });
});
