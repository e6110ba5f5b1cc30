import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { FrameClient, conditionOf, where } from '../helpers/frame-client.ts';
import { joinRoom, presenceFrom, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';

describe('bad input never harms the room or other occupants', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    edge = await startEdge({ LOG_LEVEL: 'error', MAX_STANZA_BYTES: '4096', RATE_LIMIT_STANZAS_PER_SECOND: '5', RATE_LIMIT_BURST: '10' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });

  /** Two well-behaved occupants that must keep talking whatever the attacker does. */
  async function bystanders(room: string) {
    const a = await joinRoom(edge.wsUrl, room, 'a');
    const b = await joinRoom(edge.wsUrl, room, 'b');
    clients.push(a, b);
    return {
      a, b,
      async stillTalking(text: string) {
        await a.send(xml('message', { to: `${room}@${MUC}`, type: 'groupchat' }, xml('body', null, text)));
        await b.waitFor((s) => s.getChildText('body') === text);
      },
    };
  }

  async function attacker(room: string, join = true): Promise<FrameClient> {
    const raw = await FrameClient.open(`${edge.wsUrl}?room=${room}`);
    await raw.login();
    if (join) {
      raw.send(`<presence to="${room}@${MUC}/mallory" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
      await raw.next(where.status('110'));
    }
    return raw;
  }

  it('malformed XML ends only that stream with not-well-formed', async () => {
    const room = 'bad-xml';
    const ok = await bystanders(room);
    const raw = await attacker(room);
    raw.send('<message to="x"><body>unclosed</message>');
    expect(conditionOf(await raw.next(where.streamError()))).toBe('not-well-formed');
    await raw.next(where.name('close'));
    await raw.waitClosed();
    await ok.a.waitFor(presenceFrom(`${room}@${MUC}`, 'mallory', 'unavailable'));
    await ok.stillTalking('after garbage');
  });

  it('an oversized stanza gets policy-violation; comments and PIs get restricted-xml', async () => {
    const room = 'big';
    const ok = await bystanders(room);
    const big = await attacker(room, false);
    big.send(`<message to="${room}@${MUC}" type="groupchat" xmlns="jabber:client"><body>${'x'.repeat(5000)}</body></message>`);
    expect(conditionOf(await big.next(where.streamError()))).toBe('policy-violation');
    await big.waitClosed();
    const commenter = await attacker(room, false);
    commenter.send('<!-- hello --><iq type="get" id="1"/>');
    expect(conditionOf(await commenter.next(where.streamError()))).toBe('restricted-xml');
    const pi = await attacker(room, false);
    pi.send('<?xml version="1.0"?><iq type="get" id="1"/>');
    expect(conditionOf(await pi.next(where.streamError()))).toBe('restricted-xml');
    await ok.stillTalking('after big');
  });

  it('a forged from is an invalid-from stream error, and the forger leaves the room', async () => {
    const room = 'forge';
    const ok = await bystanders(room);
    const raw = await attacker(room);
    raw.send(`<message from="${ok.a.jid}" to="${room}@${MUC}" type="groupchat" xmlns="jabber:client"><body>I am a</body></message>`);
    expect(conditionOf(await raw.next(where.streamError()))).toBe('invalid-from');
    await ok.a.waitFor(presenceFrom(`${room}@${MUC}`, 'mallory', 'unavailable'));
    expect(ok.b.received((s) => s.getChildText('body') === 'I am a')).toHaveLength(0);
    await ok.stillTalking('after forgery');
  });

  it('stanzas before authentication and binary frames are stream errors', async () => {
    const early = await FrameClient.open(`${edge.wsUrl}?room=early`);
    early.send('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="meet.jitsi" version="1.0"/>');
    await early.next(where.name('stream:features'));
    early.send('<message to="early@conference.meet.jitsi" type="groupchat" xmlns="jabber:client"><body>hi</body></message>');
    expect(conditionOf(await early.next(where.streamError()))).toBe('not-authorized');
    const binary = await attacker('binary', false);
    binary.send(new Uint8Array([0x3c, 0x69, 0x71, 0x2f, 0x3e]));
    expect(conditionOf(await binary.next(where.streamError()))).toBe('unsupported-encoding');
    const wrongHost = await FrameClient.open(`${edge.wsUrl}?room=host`);
    wrongHost.send('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="other.example" version="1.0"/>');
    expect(conditionOf(await wrongHost.next(where.streamError()))).toBe('host-unknown');
  });

  it('a flood gets resource-constraint errors while another client is unaffected', async () => {
    const room = 'flood';
    const ok = await bystanders(room);
    const raw = await attacker(room);
    for (let i = 0; i < 40; i++) raw.send(`<iq type="get" id="f${i}" to="meet.jitsi" xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>`);
    const throttled = await raw.next((el) => conditionOf(el) === 'resource-constraint');
    expect(throttled.getChild('error')?.attrs.type).toBe('wait');
    await ok.stillTalking('during flood');
    const pong = await ok.a.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pong.attrs.type).toBe('result');
  });

  it('unknown IQ namespaces to the room get service-unavailable; malformed IQs get bad-request; the room carries on', async () => {
    const room = 'unknown-ns';
    const ok = await bystanders(room);
    const raw = await attacker(room);
    raw.send(`<iq type="get" id="u1" to="${room}@${MUC}" xmlns="jabber:client"><query xmlns="urn:example:nope"/></iq>`);
    expect(conditionOf(await raw.next(where.id('u1')))).toBe('service-unavailable');
    raw.send(`<iq type="set" id="u2" to="${room}@${MUC}" xmlns="jabber:client"/>`);
    expect(conditionOf(await raw.next(where.id('u2')))).toBe('bad-request');
    raw.send(`<iq type="set" id="u3" to="${room}@${MUC}" xmlns="jabber:client"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="a" role="none"/></query></iq>`);
    expect(['forbidden', 'not-allowed']).toContain(conditionOf(await raw.next(where.id('u3'))));
    await ok.stillTalking('after unknown');
    const late = await joinRoom(edge.wsUrl, room, 'late');
    clients.push(late);
    expect(late.received((s) => s.name === 'presence').length).toBeGreaterThanOrEqual(3);
  });

  it('json-message payloads nested too deep, too wide or not JSON are refused with bad-request and reach nobody; bounded ones are relayed', async () => {
    const room = 'json-bombs';
    const ok = await bystanders(room);
    const raw = await attacker(room);
    const jm = (json: string) => `<json-message xmlns="http://jitsi.org/jitmeet">${json}</json-message>`;
    const bombs = { deep: '['.repeat(40) + ']'.repeat(40), wide: `[${'1,'.repeat(1100)}1]`, garbage: '{"type":' };
    for (const [id, json] of Object.entries(bombs)) {
      raw.send(`<message type="groupchat" id="${id}" to="${room}@${MUC}" xmlns="jabber:client">${jm(json)}</message>`);
      expect(conditionOf(await raw.next(where.id(id))), id).toBe('bad-request');
      raw.send(`<message type="chat" id="${id}-pm" to="${room}@${MUC}/a" xmlns="jabber:client">${jm(json)}</message>`);
      expect(conditionOf(await raw.next(where.id(`${id}-pm`))), id).toBe('bad-request');
    }
    raw.send(`<message type="groupchat" id="fine" to="${room}@${MUC}" xmlns="jabber:client">${jm('{"type":"e2e-ping","list":[[1],[2]]}')}</message>`);
    for (const c of [ok.a, ok.b]) await c.waitFor((st) => st.getChildText('json-message', 'http://jitsi.org/jitmeet') === '{"type":"e2e-ping","list":[[1],[2]]}');
    // Only the bounded one arrived from the attacker, at either bystander (the room's components,
    // e.g. conference_duration, send json-messages of their own from their own addresses).
    const fromRoom = (st: { attrs: Record<string, unknown> }) => String(st.attrs.from ?? '').startsWith(`${room}@${MUC}/`);
    for (const c of [ok.a, ok.b]) expect(c.received((st) => fromRoom(st) && st.getChild('json-message', 'http://jitsi.org/jitmeet') !== undefined)).toHaveLength(1);
    await ok.stillTalking('after json bombs');
  });
});
