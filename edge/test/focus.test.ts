import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { FrameClient } from './frame-client.ts';

const SECRET = 'test-bridge-secret-0123456789';
const ROOM = 'focusroom';
const MUC = `${ROOM}@conference.meet.jitsi`;

/** A scripted media node: registers in the default region and answers Colibri2 like JVB. */
async function scriptedNode(id: string): Promise<FrameClient> {
  const node = await FrameClient.connect('', '/registry-websocket?region=default');
  await node.login('auth.meet.jitsi', { user: id, password: SECRET });
  node.send(`<presence to="jvbbrewery@internal.auth.meet.jitsi/${id}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/>` +
    '<stats xmlns="http://jitsi.org/protocol/colibri"><stat name="stress_level" value="0.1"/></stats></presence>');
  await node.waitFor('code="110"');
  node.ws.addEventListener('message', (ev) => {
    const frame = String(ev.data);
    if (!frame.includes('conference-modify')) return;
    const iqId = /<iq[^>]* id="([^"]+)"/.exec(frame)?.[1];
    const created = [...frame.matchAll(/<endpoint id="([^"]+)" create="true"/g)].map((m) => m[1]);
    const endpoints = created.map((ep) => `<endpoint id="${ep}"><transport><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u${id.replaceAll('-', '')}" pwd="p${id.replaceAll('-', '')}0123456789abcdef">` +
      '<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB</fingerprint>' +
      `<candidate component="1" foundation="1" generation="0" id="c1" network="0" priority="1" protocol="udp" type="host" ip="127.0.0.1" port="10000"/>` +
      `<web-socket xmlns="http://jitsi.org/protocol/colibri" url="ws://127.0.0.1:9090/colibri-ws/${id}/c/${ep}?pwd=x"/></transport></transport></endpoint>`).join('');
    const feedback = /create="true"[^>]*>/.test(frame.slice(frame.indexOf('<conference-modify'), frame.indexOf('<conference-modify') + 300))
      ? '<sources><media-source type="audio" id="jvb-a0"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="424242" name="jvb-a0"/></media-source></sources>' : '';
    node.send(`<iq type="result" id="${iqId}" xmlns="jabber:client"><conference-modified xmlns="jitsi:colibri2">${endpoints}${feedback}</conference-modified></iq>`);
  });
  return node;
}

async function participant(nick: string, room = ROOM): Promise<FrameClient> {
  const muc = `${room}@conference.meet.jitsi`;
  const c = await FrameClient.connect(room);
  await c.login();
  c.send(`<iq type="set" id="conf-${nick}" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="${muc}" machine-uid="m-${nick}"/></iq>`);
  const ready = await c.waitFor(`id="conf-${nick}"`);
  expect(ready).toContain('ready="true"');
  expect(ready).toContain('focusjid="focus@auth.meet.jitsi"');
  await c.join(room, nick);
  return c;
}

describe('focus in the Room Durable Object', () => {
  it('two participants get session-initiate from room/focus with the node\'s transport; after eviction, sources flow on session-accept', async () => {
    await scriptedNode('node-f1');
    const alice = await participant('alice');
    // The focus is an occupant whose real JID is focus@auth…/focus (lib-jitsi-meet recognises it by that).
    expect(alice.frames.join('\n')).toMatch(/from="focusroom@conference.meet.jitsi\/focus"[^]*jid="focus@auth.meet.jitsi\/focus"/);
    const bob = await participant('bob');
    const offerA = await alice.waitFor('action="session-initiate"', 5000);
    const offerB = await bob.waitFor('action="session-initiate"', 5000);
    for (const offer of [offerA, offerB]) {
      expect(offer).toContain(`from="${MUC}/focus"`);
      expect(offer).toContain('ufrag="unodef1"');
      expect(offer).toContain('colibri-ws/node-f1/');
      expect(offer).toContain('ssrc="424242"');
    }
    // The room is evicted mid-call: the focus must carry on from its stored state.
    await evictDurableObject(env.ROOM.get(env.ROOM.idFromName(ROOM)));
    const sid = /sid="([^"]+)"/.exec(offerA)?.[1];
    const iqId = /<iq[^>]* id="([^"]+)"/.exec(offerA)?.[1];
    alice.send(`<iq type="result" id="${iqId}" to="${MUC}/focus" xmlns="jabber:client"/>`);
    alice.send(`<iq type="set" id="acc1" to="${MUC}/focus" xmlns="jabber:client"><jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="${sid}">` +
      '<content creator="responder" name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="1234" name="alice-a0"/></description>' +
      '<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="auau" pwd="apwd0123456789abcdefgh"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD</fingerprint></transport></content></jingle></iq>');
    expect(await alice.waitFor('id="acc1"')).toContain('type="result"');
    // Bob's session is not accepted yet: alice's sources wait for it (as Jicofo queues them).
    const bobSid = /sid="([^"]+)"/.exec(offerB)?.[1];
    bob.send(`<iq type="set" id="acc2" to="${MUC}/focus" xmlns="jabber:client"><jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="${bobSid}">` +
      '<content creator="responder" name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="5678" name="bob-a0"/></description>' +
      '<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="bubu" pwd="bpwd0123456789abcdefgh"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD</fingerprint></transport></content></jingle></iq>');
    const accepted = await bob.waitFor('id="acc2"');
    expect(accepted, accepted).toContain('type="result"');
    expect(await alice.waitFor('action="source-add"', 5000)).toContain('ssrc="5678"');
    const add = await bob.waitFor('action="source-add"', 5000);
    expect(add).toContain('ssrc="1234"');
    expect(add).toContain('owner="alice"');

    // Both leave: the focus leaves too, so the MUC room is destroyed.
    alice.send(`<presence to="${MUC}/alice" type="unavailable" xmlns="jabber:client"/>`);
    bob.send(`<presence to="${MUC}/bob" type="unavailable" xmlns="jabber:client"/>`);
    await bob.waitFor(/from="focusroom@conference.meet.jitsi\/bob"[^>]*type="unavailable"|type="unavailable"[^>]*from="focusroom@conference.meet.jitsi\/bob"/);
    const probe = await FrameClient.connect(ROOM);
    await probe.login();
    await expect.poll(async () => {
      probe.send(`<iq type="get" id="d${Date.now()}" to="${MUC}" xmlns="jabber:client"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
      return probe.waitFor(/<iq[^>]*id="d\d+"/);
    }, { timeout: 3000 }).toContain('item-not-found');
  }, 15_000);

  it('a participant that never accepts is invited again after SESSION_ACCEPT_TIMEOUT_MS with no further traffic: the timeout asked for after the entry point still becomes an alarm', async () => {
    await scriptedNode('node-f2');
    const carol = await participant('carol', 'quietroom');
    const dave = await participant('dave', 'quietroom');
    const first = /sid="([^"]+)"/.exec(await dave.waitFor('action="session-initiate"', 5000))?.[1];
    await carol.waitFor('action="session-initiate"', 5000);
    // Nobody sends anything now. The offer was made after the join's entry point had returned
    // (the allocation answered later), so only the room's pump can have set the alarm.
    const again = await dave.waitFor('action="session-initiate"', 6000);
    expect(/sid="([^"]+)"/.exec(again)?.[1]).not.toBe(first);
  }, 15_000);

  it('owner election with the focus in the room: the first participant becomes owner though the focus created the room; the next one when the owner leaves', async () => {
    const erin = await participant('erin', 'ownerroom');
    await erin.waitFor(/from="ownerroom@conference.meet.jitsi\/erin"[^>]*>(?:(?!<\/presence>).)*affiliation="owner"/);
    const finn = await participant('finn', 'ownerroom');
    erin.send('<presence to="ownerroom@conference.meet.jitsi/erin" type="unavailable" xmlns="jabber:client"/>');
    await finn.waitFor(/from="ownerroom@conference.meet.jitsi\/finn"[^>]*>(?:(?!<\/presence>).)*affiliation="owner"/);
  });

  it('a conference IQ for another room is refused with not-allowed', async () => {
    const c = await FrameClient.connect(ROOM);
    await c.login();
    c.send('<iq type="set" id="c9" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="elsewhere@conference.meet.jitsi"/></iq>');
    const reply = await c.waitFor('id="c9"');
    expect(reply).toContain('type="error"');
    expect(reply).toContain('not-allowed');
  });
});
