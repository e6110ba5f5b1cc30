import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { serialize, type Element } from '@edgemeet/protocol';
import { all, connect, find, where, type FrameClient } from './frame-client.ts';

const SECRET = 'test-bridge-secret-0123456789';
const ROOM = 'focusroom';
const MUC = `${ROOM}@conference.meet.jitsi`;

/** A scripted media node: registers in the default region and answers Colibri2 like JVB. */
async function scriptedNode(id: string): Promise<FrameClient> {
  const node = await connect('', '/registry-websocket?region=default');
  await node.login('auth.meet.jitsi', { plain: { user: id, password: SECRET } });
  node.send(`<presence to="jvbbrewery@internal.auth.meet.jitsi/${id}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/>` +
    '<stats xmlns="http://jitsi.org/protocol/colibri"><stat name="stress_level" value="0.1"/></stats></presence>');
  await node.next(where.status('110'));
  node.on(all(where.name('iq'), where.child('conference-modify', 'jitsi:colibri2')), (iq) => {
    const modify = iq.getChild('conference-modify')!;
    const created = modify.getChildren('endpoint').filter((e) => e.attrs.create === 'true').map((e) => String(e.attrs.id));
    const endpoints = created.map((ep) => `<endpoint id="${ep}"><transport><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u${id.replaceAll('-', '')}" pwd="p${id.replaceAll('-', '')}0123456789abcdef">` +
      '<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB</fingerprint>' +
      `<candidate component="1" foundation="1" generation="0" id="c1" network="0" priority="1" protocol="udp" type="host" ip="127.0.0.1" port="10000"/>` +
      `<web-socket xmlns="http://jitsi.org/protocol/colibri" url="ws://127.0.0.1:9090/colibri-ws/${id}/c/${ep}?pwd=x"/></transport></transport></endpoint>`).join('');
    const feedback = modify.attrs.create === 'true'
      ? '<sources><media-source type="audio" id="jvb-a0"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="424242" name="jvb-a0"/></media-source></sources>' : '';
    node.send(`<iq type="result" id="${String(iq.attrs.id)}" xmlns="jabber:client"><conference-modified xmlns="jitsi:colibri2">${endpoints}${feedback}</conference-modified></iq>`);
  });
  return node;
}

const sidOf = (iq: Element) => String(iq.getChild('jingle')?.attrs.sid);
/** The SSRCs of every `<source/>` in a Jingle IQ. */
const ssrcs = (iq: Element): string[] => {
  const out: string[] = [];
  const walk = (el: Element) => {
    if (el.name === 'source' && el.attrs.ssrc !== undefined) out.push(String(el.attrs.ssrc));
    for (const c of el.getChildElements()) walk(c);
  };
  walk(iq);
  return out;
};

async function participant(nick: string, room = ROOM, properties: Record<string, string> = {}): Promise<FrameClient> {
  const muc = `${room}@conference.meet.jitsi`;
  const c = await connect(room);
  await c.login();
  const props = Object.entries(properties).map(([name, value]) => `<property name="${name}" value="${value}"/>`).join('');
  c.send(`<iq type="set" id="conf-${nick}" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="${muc}" machine-uid="m-${nick}">${props}</conference></iq>`);
  const ready = (await c.next(where.id(`conf-${nick}`))).getChild('conference');
  expect(ready?.attrs).toMatchObject({ ready: 'true', focusjid: 'focus@auth.meet.jitsi' });
  await c.join(room, nick);
  return c;
}

describe('focus in the Room Durable Object', () => {
  it('two participants get session-initiate from room/focus with the node\'s transport; after eviction, sources flow on session-accept', async () => {
    await scriptedNode('node-f1');
    const alice = await participant('alice');
    // The focus is an occupant whose real JID is focus@auth…/focus (lib-jitsi-meet recognises it by that).
    const focus = alice.received(all(where.name('presence'), where.from(`${MUC}/focus`)))[0];
    expect(focus && find(focus, where.name('item'))?.attrs.jid).toBe('focus@auth.meet.jitsi/focus');
    const bob = await participant('bob');
    const offerA = await alice.next(where.jingle('session-initiate'));
    const offerB = await bob.next(where.jingle('session-initiate'));
    for (const offer of [offerA, offerB]) {
      expect(offer.attrs.from).toBe(`${MUC}/focus`);
      expect(find(offer, all(where.name('transport'), (e) => e.attrs.ufrag !== undefined))?.attrs.ufrag).toBe('unodef1');
      expect(find(offer, where.name('web-socket'))?.attrs.url).toContain('colibri-ws/node-f1/');
      expect(ssrcs(offer)).toContain('424242');
    }
    // The room is evicted mid-call: the focus must carry on from its stored state.
    await evictDurableObject(env.ROOM.get(env.ROOM.idFromName(ROOM)));
    const sid = sidOf(offerA);
    const iqId = String(offerA.attrs.id);
    alice.send(`<iq type="result" id="${iqId}" to="${MUC}/focus" xmlns="jabber:client"/>`);
    alice.send(`<iq type="set" id="acc1" to="${MUC}/focus" xmlns="jabber:client"><jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="${sid}">` +
      '<content creator="responder" name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="1234" name="alice-a0"/></description>' +
      '<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="auau" pwd="apwd0123456789abcdefgh"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD</fingerprint></transport></content></jingle></iq>');
    expect((await alice.next(where.id('acc1'))).attrs.type).toBe('result');
    // Bob's session is not accepted yet: alice's sources wait for it (as Jicofo queues them).
    const bobSid = sidOf(offerB);
    bob.send(`<iq type="set" id="acc2" to="${MUC}/focus" xmlns="jabber:client"><jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="${bobSid}">` +
      '<content creator="responder" name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="5678" name="bob-a0"/></description>' +
      '<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="bubu" pwd="bpwd0123456789abcdefgh"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD</fingerprint></transport></content></jingle></iq>');
    const accepted = await bob.next(where.id('acc2'));
    expect(accepted.attrs.type, serialize(accepted)).toBe('result');
    expect(ssrcs(await alice.next(where.jingle('source-add')))).toContain('5678');
    const add = await bob.next(where.jingle('source-add'));
    expect(ssrcs(add)).toContain('1234');
    expect(find(add, where.name('ssrc-info'))?.attrs.owner).toBe('alice');

    // Both leave: the focus leaves too, so the MUC room is destroyed.
    alice.send(`<presence to="${MUC}/alice" type="unavailable" xmlns="jabber:client"/>`);
    bob.send(`<presence to="${MUC}/bob" type="unavailable" xmlns="jabber:client"/>`);
    await bob.next(all(where.from(`${MUC}/bob`), where.type('unavailable')));
    const probe = await connect(ROOM);
    await probe.login();
    await expect.poll(async () => {
      probe.send(`<iq type="get" id="d${Date.now()}" to="${MUC}" xmlns="jabber:client"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
      const reply = await probe.next(all(where.name('iq'), (el) => String(el.attrs.id).startsWith('d')));
      return reply.getChild('error')?.getChild('item-not-found') !== undefined;
    }, { timeout: 3000 }).toBe(true);
  }, 15_000);

  it('a participant that never accepts is invited again after SESSION_ACCEPT_TIMEOUT_MS with no further traffic: the timeout asked for after the entry point still becomes an alarm', async () => {
    await scriptedNode('node-f2');
    const carol = await participant('carol', 'quietroom');
    const dave = await participant('dave', 'quietroom');
    const first = sidOf(await dave.next(where.jingle('session-initiate')));
    await carol.next(where.jingle('session-initiate'));
    // Nobody sends anything now. The offer was made after the join's entry point had returned
    // (the allocation answered later), so only the room's pump can have set the alarm.
    const again = await dave.next(where.jingle('session-initiate'), 6000);
    expect(sidOf(again)).not.toBe(first);
  }, 15_000);

  it('owner election with the focus in the room: the first participant becomes owner though the focus created the room; the next one when the owner leaves', async () => {
    const erin = await participant('erin', 'ownerroom');
    const ownerNow = (nick: string) => all(where.name('presence'), where.from(`ownerroom@conference.meet.jitsi/${nick}`), where.text('affiliation="owner"'));
    await erin.next(ownerNow('erin'));
    const finn = await participant('finn', 'ownerroom');
    erin.send('<presence to="ownerroom@conference.meet.jitsi/erin" type="unavailable" xmlns="jabber:client"/>');
    await finn.next(ownerNow('finn'));
  });

  it('start muted: a moderator\'s startMuted policy (room metadata) and the first request\'s startVideoMuted reach later joiners as <startmuted/> in their session-initiate; a participant cannot set the policy', async () => {
    await scriptedNode('node-sm');
    const room = 'mutedroom';
    const muc = `${room}@conference.meet.jitsi`;
    const startMuted = (offer: Element) => find(offer, all(where.name('startmuted'), (e) => e.attrs.xmlns === 'http://jitsi.org/jitmeet/start-muted'))?.attrs;
    const setPolicy = (c: FrameClient, audio: boolean) => c.send(`<message to="metadata.meet.jitsi" xmlns="jabber:client"><room_metadata xmlns="http://jitsi.org/jitmeet" room="${muc}">` +
      `{"key":"startMuted","data":{"audio":${audio},"video":false}}</room_metadata></message>`);
    // jitsi-meet's startVideoMuted: 2 (the conference request that creates the conference).
    const mod = await participant('mod', room, { startVideoMuted: '2' });
    const pat = await participant('pat', room);
    expect(startMuted(await mod.next(where.jingle('session-initiate')))).toBeUndefined();
    expect(startMuted(await pat.next(where.jingle('session-initiate')))).toBeUndefined();
    // Pat is no moderator: refused (the metadata component's service-unavailable), nothing set.
    setPolicy(pat, true);
    const refusal = await pat.next(all(where.name('message'), (e) => e.attrs.type === 'error'));
    expect(refusal.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    const third = await participant('third', room);
    expect(startMuted(await third.next(where.jingle('session-initiate')))).toEqual({ xmlns: 'http://jitsi.org/jitmeet/start-muted', audio: 'false', video: 'true' });
    // The moderator sets it: everyone hears the metadata, and the next joiner starts audio muted too.
    setPolicy(mod, true);
    await pat.next(all(where.name('message'), where.from('metadata.meet.jitsi'), where.text('startMuted')));
    const late = await participant('late', room);
    expect(startMuted(await late.next(where.jingle('session-initiate')))).toMatchObject({ audio: 'true', video: 'true' });
  }, 15_000);

  it('a conference IQ for another room is refused with not-allowed', async () => {
    const c = await connect(ROOM);
    await c.login();
    c.send('<iq type="set" id="c9" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="elsewhere@conference.meet.jitsi"/></iq>');
    const reply = await c.next(where.id('c9'));
    expect(reply.attrs.type).toBe('error');
    expect(reply.getChild('error')?.getChild('not-allowed')).toBeDefined();
  });
});
