import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXml, serialize, xml, type Element } from '@edgemeet/protocol';
import { focusConfig } from './config.ts';
import { FocusComponent } from './focus-component.ts';
import type { FocusHost } from './host.ts';
import { scriptedBridges } from './testing/fake-bridge.ts';

const ROOM = 'r1@conference.meet.jitsi';

function setup(bridgeIds = ['b1', 'b2'], clock = { now: Date.now() }, options: { authentication?: boolean } = {}) {
  const sent: Element[] = [];
  let saved: unknown = null;
  const bridges = scriptedBridges(bridgeIds);
  const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
  /** The room's av_moderation component's state (it owns it; the focus reads it). */
  const moderation: Partial<Record<'audio' | 'video', string[]>> = {};
  /** The room metadata's start-muted policy (the metadata component owns it). */
  const policy = { audio: false, video: false };
  const host: FocusHost = {
    send: (s) => sent.push(s), bridges: bridges.directory, log, now: () => clock.now, scheduleWakeUp() {},
    store: { load: () => saved, save: (s) => { saved = JSON.parse(JSON.stringify(s)); } },
    avModeration: () => moderation,
    startMuted: () => policy,
  };
  const focus = new FocusComponent({ host, config: focusConfig('meet.jitsi'), mucDomain: 'conference.meet.jitsi', room: 'r1', meetingId: () => 'meeting-1', ...options });
  return { focus, sent, bridges, moderation, policy, saved: () => saved };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

/** A conference with alice and bob joined and offered sessions; `sid`: alice's. */
async function aliceAndBob() {
  const s = setup();
  s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
  await s.focus.handleStanza(presence('alice'));
  await s.focus.handleStanza(presence('bob'));
  await settle();
  return { ...s, sid: sidOf(s.sent, `${ROOM}/alice`, 'session-initiate') };
}

function presence(nick: string, affiliation = 'none', type?: string): Element {
  return xml('presence', { from: `${ROOM}/${nick}`, type },
    xml('stats-id', null, `stats-${nick}`),
    xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' },
      xml('item', { jid: `${nick}-uuid@meet.jitsi/res`, affiliation, role: affiliation === 'owner' ? 'moderator' : 'participant' })));
}

function accept(nick: string, sid: string, audioSsrc: number, videoSsrc: number): Element {
  return parseXml(`<iq type="set" id="acc-${nick}" from="${ROOM}/${nick}" to="${ROOM}/focus"><jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="${sid}">
    <content creator="responder" name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">
      <source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="${audioSsrc}" name="${nick}-a0"/></description>
      <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="cucu" pwd="cpwd012345678901234567"><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD</fingerprint></transport></content>
    <content creator="responder" name="video"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="video">
      <source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="${videoSsrc}" name="${nick}-v0"/></description></content>
    </jingle></iq>`.replace(/>\s+</g, '><'));
}

function sidOf(stanzas: Element[], to: string, action: string): string {
  const iq = stanzas.find((s) => s.attrs.to === to && s.getChild('jingle')?.attrs.action === action);
  if (!iq) throw new Error(`no ${action} to ${to}: ${stanzas.map((s) => serialize(s)).join('\n')}`);
  return String(iq.getChild('jingle')!.attrs.sid);
}

describe('FocusComponent', () => {
  it('handleConferenceIq() joins the room as focus and answers ready with the focus JID', () => {
    const { focus, sent } = setup();
    const reply = focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    expect(reply.attrs).toMatchObject({ ready: 'true', focusjid: 'focus@auth.meet.jitsi', room: ROOM });
    expect(sent[0]?.name).toBe('presence');
    expect(sent[0]?.attrs.to).toBe(`${ROOM}/focus`);
  });

  it('handleConferenceIq() for another room is refused with not-allowed', () => {
    const { focus } = setup();
    expect(() => focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: 'other@conference.meet.jitsi' })))
      .toThrow(expect.objectContaining({ condition: 'not-allowed' }));
  });

  it('handleConferenceIq() with authentication (secure domain): a guest first is refused not-authorized and the focus stays out; once an authenticated user started the conference the guest gets in', async () => {
    const { focus, sent } = setup(['b1'], { now: Date.now() }, { authentication: true });
    const iq = () => xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM });
    expect(() => focus.handleConferenceIq(iq(), { authenticated: false }))
      .toThrow(expect.objectContaining({ condition: 'not-authorized', text: 'not authorized user domain' }));
    expect(sent).toHaveLength(0);
    expect(focus.joined).toBe(false);
    const host = focus.handleConferenceIq(iq(), { authenticated: true });
    expect(host.attrs.ready).toBe('true');
    const props = Object.fromEntries(host.getChildren('property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ authentication: 'true', externalAuth: 'true' });
    expect(focus.joined).toBe(true);
    expect(focus.handleConferenceIq(iq(), { authenticated: false }).attrs.ready).toBe('true');
    // The host leaves, the conference ends: a guest must wait again.
    await focus.handleStanza(presence('host'));
    await focus.handleStanza(presence('host', 'none', 'unavailable'));
    await settle();
    expect(() => focus.handleConferenceIq(iq(), { authenticated: false })).toThrow(expect.objectContaining({ condition: 'not-authorized' }));
  });

  it('roomDestroyed() (a moderator ended the meeting) expires the conference on the bridge once, drops the state and sends the room nothing', async () => {
    const s = await aliceAndBob();
    const before = s.bridges.requests.length;
    const sentBefore = s.sent.length;
    await s.focus.roomDestroyed();
    const after = s.bridges.requests.slice(before);
    expect(after.map((r) => [r.bridge, r.payload.attrs.expire])).toEqual([['b1', 'true']]);
    expect(s.saved()).toBeNull();
    expect(s.focus.conference).toBeNull();
    // The destroy presences that follow change nothing: no leave, no further bridge work.
    await s.focus.handleStanza(presence('alice', 'none', 'unavailable'));
    await s.focus.handleStanza(presence('focus', 'owner', 'unavailable'));
    await settle();
    expect(s.sent.slice(sentBefore)).toEqual([]);
    expect(s.bridges.requests.length).toBe(before + 1);
    // A new meeting in the room starts afresh.
    s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    expect(s.focus.joined).toBe(true);
  });

  it('handleConferenceIq() without authentication answers authentication=false to anyone', () => {
    const { focus } = setup();
    const reply = focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }), { authenticated: false });
    expect(reply.getChildren('property').find((p) => p.attrs.name === 'authentication')?.attrs.value).toBe('false');
    expect(reply.getChildren('property').some((p) => p.attrs.name === 'externalAuth')).toBe(false);
  });

  it('two participants are allocated on one bridge, offered, and told about each other\'s sources', async () => {
    const { focus, sent, bridges } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    expect(bridges.requests.map((r) => [r.bridge, r.payload.attrs.create])).toEqual([['b1', 'true'], ['b1', undefined]]);
    const aliceSid = sidOf(sent, `${ROOM}/alice`, 'session-initiate');
    const bobSid = sidOf(sent, `${ROOM}/bob`, 'session-initiate');
    const offer = serialize(sent.find((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle'))!);
    expect(offer).toContain('ufrag="ufb1"');
    expect(offer).toContain('colibri-ws/b1');
    expect(offer).toContain('ssrc="434343"');
    // The bridge's feedback sources carry Jicofo's msid (lib-jitsi-meet ignores stream "mixedmslabel"),
    // owned by "jvb": with no msid the library writes no a=ssrc line for them (issue 13, renegotiation storm).
    const offerSources = sent.find((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle'))!.getChild('jingle')!.getChildren('content')
      .flatMap((c) => c.getChild('description')!.getChildren('source'));
    const feedback = (ssrc: string) => offerSources.find((x) => x.attrs.ssrc === ssrc);
    expect(feedback('424242')?.getChildren('parameter').map((x) => [x.attrs.name, x.attrs.value])).toEqual([['msid', 'mixedmslabel mixedlabelaudio0']]);
    expect(feedback('434343')?.getChildren('parameter').map((x) => [x.attrs.name, x.attrs.value])).toEqual([['msid', 'mixedmslabel mixedlabelvideo0']]);
    expect(feedback('434343')?.getChild('ssrc-info')?.attrs.owner).toBe('jvb');

    sent.length = 0;
    await focus.handleStanza(accept('alice', aliceSid, 1111, 2222));
    await settle();
    expect(sent.find((s) => s.attrs.id === 'acc-alice')?.attrs.type).toBe('result');
    // Bob has not accepted his session yet: alice's sources wait for him (Jicofo queues them).
    expect(sent.some((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle')?.attrs.action === 'source-add')).toBe(false);
    const update = bridges.requests.at(-1)!.payload;
    expect(serialize(update)).toContain('ssrc="2222"');
    expect(serialize(update)).toContain('ufrag="cucu"');

    // Bob claims alice's SSRC: refused, nothing forwarded.
    sent.length = 0;
    await focus.handleStanza(accept('bob', bobSid, 1111, 3333));
    const refusal = sent.find((s) => s.attrs.id === 'acc-bob');
    expect(refusal?.attrs.type).toBe('error');
    expect(serialize(refusal!)).toContain('bad-request');
    expect(sent.some((s) => s.getChild('jingle')?.attrs.action === 'source-add')).toBe(false);

    // Bob accepts for real: he is sent alice's sources (queued since his offer), alice gets his.
    sent.length = 0;
    await focus.handleStanza(accept('bob', bobSid, 3333, 4444));
    await settle();
    const toBob = sent.filter((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle')?.attrs.action === 'source-add');
    expect(toBob).toHaveLength(1);
    expect(serialize(toBob[0]!)).toContain('ssrc="1111"');
    expect(serialize(toBob[0]!)).not.toContain('ssrc="3333"');
    expect(serialize(sent.find((s) => s.attrs.to === `${ROOM}/alice` && s.getChild('jingle')?.attrs.action === 'source-add')!)).toContain('ssrc="3333"');

    // Alice leaves: the bridge expires her endpoint. Bob gets no source-remove: as with Jicofo
    // (JitsiMeetConferenceImpl.onMemberLeft), the others drop her sources when her presence goes;
    // a source-remove as well made lib-jitsi-meet remove them twice.
    sent.length = 0;
    await focus.handleStanza(presence('alice', 'owner', 'unavailable'));
    await settle();
    expect(sent.filter((s) => s.getChild('jingle')?.attrs.action === 'source-remove')).toEqual([]);
    expect(serialize(bridges.requests.at(-1)!.payload)).toContain('expire="true"');
  });

  it('the focus leaves the room and forgets the conference when the last participant leaves', async () => {
    const { focus, sent, bridges, saved } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    await focus.handleStanza(presence('alice', 'owner', 'unavailable'));
    await settle();
    expect(focus.joined).toBe(true);
    await focus.handleStanza(presence('bob', 'owner', 'unavailable'));
    await settle();
    expect(sent.at(-1)?.attrs).toMatchObject({ to: `${ROOM}/focus`, type: 'unavailable' });
    expect(focus.joined).toBe(false);
    expect(saved()).toBeNull();
    expect(bridges.requests.at(-1)?.payload.attrs.expire).toBe('true');
  });

  it('bad session-accepts are refused with bad-request and change nothing: duplicate SSRCs, huge lists, malformed sources', async () => {
    const { focus, sent, bridges, sid } = await aliceAndBob();
    const before = bridges.requests.length;
    const acceptWith = (id: string, sources: string) => parseXml(`<iq type="set" id="${id}" from="${ROOM}/alice"><jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="${sid}"><content creator="responder" name="video"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="video">${sources}</description></content></jingle></iq>`);
    const src = (ssrc: number | string) => `<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="${ssrc}" name="alice-v0"/>`;
    await focus.handleStanza(acceptWith('dup', src(7) + src(7)));
    await focus.handleStanza(acceptWith('huge', Array.from({ length: 500 }, (_, i) => src(i + 1)).join('')));
    await focus.handleStanza(acceptWith('nan', src('12ab')));
    await focus.handleStanza(acceptWith('group', `${src(9)}<ssrc-group xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" semantics="FID"><source ssrc="9"/><source ssrc="10"/></ssrc-group>`));
    for (const id of ['dup', 'huge', 'nan', 'group']) {
      const reply = sent.find((x) => x.attrs.id === id);
      expect(reply?.attrs.type, id).toBe('error');
      expect(serialize(reply!), id).toContain('bad-request');
    }
    expect(sent.some((x) => x.attrs.to === `${ROOM}/bob` && x.getChild('jingle')?.attrs.action === 'source-add')).toBe(false);
    expect(bridges.requests.length).toBe(before);
  });

  it('a transport-info whose fingerprint hash is not a hash name, or is 5 KB long, is refused with bad-request and never reaches the bridge', async () => {
    const { focus, sent, bridges, sid } = await aliceAndBob();
    await focus.handleStanza(accept('alice', sid, 1111, 2222));
    await settle();
    const before = bridges.requests.length;
    const fp = 'CC:DD:'.repeat(15) + 'CC:DD';
    const transportInfo = (id: string, fingerprint: string) => parseXml(`<iq type="set" id="${id}" from="${ROOM}/alice" to="${ROOM}/focus"><jingle xmlns="urn:xmpp:jingle:1" action="transport-info" sid="${sid}">`
      + `<content creator="responder" name="audio"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="cucu" pwd="cpwd012345678901234567">${fingerprint}</transport></content></jingle></iq>`);
    const cases = {
      zzz: `<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="zzz" setup="active">${fp}</fingerprint>`,
      huge: `<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="${'x'.repeat(5000)}" setup="active">${fp}</fingerprint>`,
      value: `<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">${'AB:'.repeat(1700)}AB</fingerprint>`,
      setup: `<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="sideways">${fp}</fingerprint>`,
      candidates: Array.from({ length: 65 }, (_, i) => `<candidate component="1" foundation="${i + 1}" generation="0" id="c${i}" priority="1" protocol="udp" type="host" ip="127.0.0.1" port="${1000 + i}"/>`).join(''),
    };
    for (const [id, fingerprint] of Object.entries(cases)) await focus.handleStanza(transportInfo(id, fingerprint));
    await settle();
    for (const id of Object.keys(cases)) {
      const replies = sent.filter((x) => x.attrs.id === id);
      expect(replies.map((r) => r.attrs.type), id).toEqual(['error']);
      expect(serialize(replies[0]!), id).toContain('<bad-request');
      expect(serialize(replies[0]!), id).not.toContain('internal-server-error');
    }
    expect(bridges.requests.length).toBe(before);
    // A well-formed transport-info still goes through.
    await focus.handleStanza(transportInfo('ok', `<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-384" setup="active">${'EE:'.repeat(47)}EE</fingerprint>`));
    await settle();
    expect(sent.find((x) => x.attrs.id === 'ok')?.attrs.type).toBe('result');
    expect(bridges.requests.length).toBe(before + 1);
  });

  it('a participant that never accepts is re-invited after the timeout, a bounded number of times', async () => {
    const clock = { now: 1_000_000 };
    const { focus, sent, bridges } = setup(['b1'], clock);
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    const offers = () => sent.filter((x) => x.attrs.to === `${ROOM}/bob` && x.getChild('jingle')?.attrs.action === 'session-initiate').length;
    const aliceSid = sidOf(sent, `${ROOM}/alice`, 'session-initiate');
    await focus.handleStanza(accept('alice', aliceSid, 11, 12));
    expect(offers()).toBe(1);
    for (let round = 0; round < 5; round++) {
      clock.now += 16_000; // past focusConfig's sessionAcceptTimeoutMs (15 s)
      focus.onWakeUp();
      await settle();
    }
    // Jicofo-like bound: 3 re-invitations (maxReinvites), then the focus gives up on bob.
    expect(offers()).toBe(4);
    expect(sent.filter((x) => x.attrs.to === `${ROOM}/alice` && x.getChild('jingle')?.attrs.action === 'session-initiate')).toHaveLength(1);
    expect(serialize(bridges.requests.at(-1)!.payload)).toContain('expire="true"');
  });

  it('with no bridge available the focus presence says bridgeNotAvailable, and stops saying it once one is found', async () => {
    const { focus, sent, bridges } = setup(['b1']);
    bridges.down.add('b1');
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    const focusPresences = () => sent.filter((x) => x.name === 'presence' && x.attrs.to === `${ROOM}/focus`);
    expect(focusPresences().at(-1)?.getChild('bridgeNotAvailable')).toBeDefined();
    bridges.down.delete('b1');
    focus.onWakeUp();
    await settle();
    expect(focusPresences().at(-1)?.getChild('bridgeNotAvailable')).toBeUndefined();
    expect(sent.some((x) => x.getChild('jingle')?.attrs.action === 'session-initiate')).toBe(true);
  });

  it('Jingle with an unknown sid gets item-not-found with unknown-session', async () => {
    const { focus, sent } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    await focus.handleStanza(accept('alice', 'not-the-sid', 1, 2));
    const reply = sent.find((s) => s.attrs.id === 'acc-alice');
    expect(serialize(reply!)).toContain('item-not-found');
    expect(serialize(reply!)).toContain('unknown-session');
  });

  it('bridgeDown() terminates sessions with "moving" and re-offers on the other bridge', async () => {
    const { focus, sent, bridges } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    sent.length = 0;
    bridges.down.add('b1');
    await focus.bridgeDown('b1');
    await settle();
    const terminates = sent.filter((s) => s.getChild('jingle')?.attrs.action === 'session-terminate');
    expect(terminates).toHaveLength(2);
    expect(serialize(terminates[0]!)).toContain('moving');
    const reoffers = sent.filter((s) => s.getChild('jingle')?.attrs.action === 'session-initiate');
    expect(reoffers).toHaveLength(2);
    expect(serialize(reoffers[0]!)).toContain('ufb2');
    expect(bridges.requests.filter((r) => r.bridge === 'b2')[0]?.payload.attrs.create).toBe('true');
  });

  it('ICE failure reported by lib-jitsi-meet (session-info ice-state failed) ends the session and offers a fresh one; a stale report is ignored', async () => {
    const { focus, sent, bridges, sid } = await aliceAndBob();
    await focus.handleStanza(accept('alice', sid, 11, 12));
    await focus.handleStanza(accept('bob', sidOf(sent, `${ROOM}/bob`, 'session-initiate'), 21, 22));
    await settle();
    const iceFailed = (session: string) => parseXml(`<iq type="set" id="if-${session}" from="${ROOM}/alice" to="${ROOM}/focus"><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="${sid}">`
      + `<ice-state xmlns="http://jitsi.org/protocol/focus">failed</ice-state><bridge-session xmlns="http://jitsi.org/protocol/focus" id="${session}"/></jingle></iq>`);
    // About a bridge session that is not the current one: nothing happens (the answer is still a result).
    sent.length = 0;
    await focus.handleStanza(iceFailed('meeting-1:old-bridge'));
    await settle();
    expect(sent.map((s) => s.attrs.type)).toEqual(['result']);
    const requestsBefore = bridges.requests.length;
    await focus.handleStanza(iceFailed('meeting-1:b1'));
    await settle();
    const terminate = sent.find((s) => s.attrs.to === `${ROOM}/alice` && s.getChild('jingle')?.attrs.action === 'session-terminate');
    expect(terminate && serialize(terminate)).toContain('ICE failed');
    // Bob hears alice's sources go, alice's endpoint is expired and a new one created, and she gets a new offer.
    expect(sent.some((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle')?.attrs.action === 'source-remove')).toBe(true);
    const later = bridges.requests.slice(requestsBefore).flatMap((r) => r.payload.getChildren('endpoint')).filter((e) => e.attrs.id !== undefined);
    expect(later.some((e) => e.attrs.expire === 'true')).toBe(true);
    expect(later.some((e) => e.attrs.create === 'true')).toBe(true);
    const fresh = sidOf(sent, `${ROOM}/alice`, 'session-initiate');
    expect(fresh).not.toBe(sid);
  });

  it('a moderator mute request is forwarded to the target and enforced on the bridge; others are refused', async () => {
    const { focus, sent, bridges } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice', 'owner'));
    await focus.handleStanza(presence('bob'));
    await settle();
    const mute = (from: string, target: string) => xml('iq', { type: 'set', id: `m-${from}`, from: `${ROOM}/${from}` },
      xml('mute', { xmlns: 'http://jitsi.org/jitmeet/audio', jid: `${ROOM}/${target}` }, 'true'));
    await focus.handleStanza(mute('bob', 'alice'));
    expect(serialize(sent.find((s) => s.attrs.id === 'm-bob')!)).toContain('not-allowed');
    await focus.handleStanza(mute('alice', 'bob'));
    await settle();
    expect(sent.find((s) => s.attrs.id === 'm-alice')?.attrs.type).toBe('result');
    const forwarded = sent.find((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('mute'));
    expect(forwarded?.getChild('mute')?.attrs.actor).toBe(`${ROOM}/alice`);
    expect(serialize(bridges.requests.at(-1)!.payload)).toContain('force-mute');
  });

  it('start muted (Jicofo): the room\'s policy mutes newcomers on their first invitation; startAudioMuted/startVideoMuted mute participants beyond the count; AV moderation mutes non-moderators', async () => {
    const s = setup();
    const startMutedOf = (nick: string, nth = 0) => {
      const offers = s.sent.filter((x) => x.attrs.to === `${ROOM}/${nick}` && x.getChild('jingle')?.attrs.action === 'session-initiate');
      const el = offers[nth]?.getChild('jingle')?.getChild('startmuted', 'http://jitsi.org/jitmeet/start-muted');
      if (!offers[nth]) throw new Error(`no session-initiate #${nth} to ${nick}`);
      return el ? el.attrs : null;
    };
    // The request that creates the conference sets the thresholds: the 3rd participant on starts video muted.
    s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM },
      xml('property', { name: 'startVideoMuted', value: '2' }), xml('property', { name: 'startAudioMuted', value: 'ten' })));
    // A later request cannot change them (Jicofo keeps the conference's config).
    s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }, xml('property', { name: 'startVideoMuted', value: '0' })));
    await s.focus.handleStanza(presence('alice', 'owner'));
    await s.focus.handleStanza(presence('bob'));
    await settle();
    // Nothing to mute: no <startmuted/> at all (Jicofo sends it only when one is true).
    expect(startMutedOf('alice')).toBeNull();
    expect(startMutedOf('bob')).toBeNull();
    await s.focus.handleStanza(presence('carol'));
    await settle();
    expect(startMutedOf('carol')).toEqual({ xmlns: 'http://jitsi.org/jitmeet/start-muted', audio: 'false', video: 'true' });
    // A moderator sets the policy (room metadata): the next newcomer starts muted, those in the room are not re-told.
    s.policy.audio = true;
    await s.focus.handleStanza(presence('dave'));
    await settle();
    expect(startMutedOf('dave')).toMatchObject({ audio: 'true', video: 'true' });
    // A re-invitation is not a first one: the policy no longer applies, the threshold still does.
    s.policy.audio = false;
    s.policy.video = false;
    const before = s.sent.length;
    await s.focus.handleStanza(parseXml(`<iq type="set" id="term" from="${ROOM}/alice" to="${ROOM}/focus"><jingle xmlns="urn:xmpp:jingle:1" action="session-terminate" sid="${sidOf(s.sent, `${ROOM}/alice`, 'session-initiate')}"><bridge-session xmlns="http://jitsi.org/protocol/focus" restart="true"/></jingle></iq>`));
    await settle();
    expect(s.sent.length).toBeGreaterThan(before);
    expect(startMutedOf('alice', 1)).toMatchObject({ audio: 'false', video: 'true' });
    // AV moderation on audio: a non-moderator newcomer starts audio muted, a moderator does not.
    s.moderation.audio = [];
    await s.focus.handleStanza(presence('erin'));
    await s.focus.handleStanza(presence('mo', 'owner'));
    await settle();
    expect(startMutedOf('erin')).toMatchObject({ audio: 'true' });
    expect(startMutedOf('mo')).toMatchObject({ audio: 'false', video: 'true' });
  });

  it('start muted: a participant first offered once a bridge is found again still gets the policy (its first offer)', async () => {
    const s = setup(['b1']);
    s.bridges.down.add('b1');
    s.policy.audio = true;
    s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await s.focus.handleStanza(presence('alice', 'owner'));
    await s.focus.handleStanza(presence('bob'));
    await settle();
    expect(s.sent.some((x) => x.getChild('jingle')?.attrs.action === 'session-initiate')).toBe(false);
    s.bridges.down.delete('b1');
    s.focus.onWakeUp();
    await settle();
    for (const nick of ['alice', 'bob']) {
      const offer = s.sent.find((x) => x.attrs.to === `${ROOM}/${nick}` && x.getChild('jingle')?.attrs.action === 'session-initiate');
      expect(offer?.getChild('jingle')?.getChild('startmuted')?.attrs, nick).toMatchObject({ audio: 'true', video: 'false' });
    }
  });

  it('start muted with a policy but below every threshold: only first invitations carry it', async () => {
    const s = setup();
    s.policy.video = true;
    s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await s.focus.handleStanza(presence('alice', 'owner'));
    await s.focus.handleStanza(presence('bob'));
    await settle();
    for (const nick of ['alice', 'bob']) {
      const el = s.sent.find((x) => x.attrs.to === `${ROOM}/${nick}` && x.getChild('jingle')?.attrs.action === 'session-initiate')!.getChild('jingle')!.getChild('startmuted');
      expect(el?.attrs, nick).toMatchObject({ audio: 'false', video: 'true' });
    }
  });

  it('state saved by one instance lets a new instance carry on (hibernation)', async () => {
    const a = setup();
    a.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await a.focus.handleStanza(presence('alice'));
    await a.focus.handleStanza(presence('bob'));
    await settle();
    const state = a.saved() as { participants: Record<string, { jingle: { sid: string } }> };
    const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
    const sent: Element[] = [];
    const b = new FocusComponent({
      host: { send: (s) => sent.push(s), bridges: a.bridges.directory, log, now: () => Date.now(), scheduleWakeUp() {}, store: { load: () => state, save() {} } },
      config: focusConfig('meet.jitsi'), mucDomain: 'conference.meet.jitsi', room: 'r1', meetingId: () => 'x',
    });
    await b.handleStanza(accept('alice', state.participants.alice!.jingle.sid, 5, 6));
    await b.handleStanza(accept('bob', state.participants.bob!.jingle.sid, 7, 8));
    await settle();
    expect(sent.find((s) => s.attrs.id === 'acc-alice')?.attrs.type).toBe('result');
    expect(serialize(sent.find((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle'))!)).toContain('ssrc="5"');
  });

  it('a bridge update still queued when its participant leaves is dropped, not sent to an expired endpoint (seen with lib-jitsi-meet pages closing)', async () => {
    const { focus, sent, bridges } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    await settle();
    const aliceSid = sidOf(sent, `${ROOM}/alice`, 'session-initiate');
    const transportInfo = parseXml(`<iq type="set" id="ti-alice" from="${ROOM}/alice" to="${ROOM}/focus"><jingle xmlns="urn:xmpp:jingle:1" action="transport-info" sid="${aliceSid}">`
      + `<content creator="responder" name="audio"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="lateufrag" pwd="cpwd012345678901234567"/></content></jingle></iq>`);
    // Accept, transport-info and leave arrive back to back: the updates are queued behind the accept's.
    const done = [focus.handleStanza(accept('alice', aliceSid, 1111, 2222)), focus.handleStanza(transportInfo), focus.handleStanza(presence('alice', 'none', 'unavailable'))];
    await Promise.all(done);
    await settle();
    expect(bridges.requests.filter((r) => serialize(r.payload).includes('lateufrag'))).toEqual([]);
    // Alice's endpoint was expired, and nothing came after the expiry.
    const expireAt = bridges.requests.findIndex((r) => r.payload.getChildren('endpoint').some((e) => e.attrs.expire === 'true'));
    expect(expireAt).toBeGreaterThan(0);
    expect(bridges.requests.slice(expireAt + 1).filter((r) => r.payload.getChildren('endpoint').some((e) => e.attrs.expire !== 'true'))).toEqual([]);
  });

  it('a participant muted by a moderator may unmute itself (the bridge lets it through again); under AV moderation only once approved', async () => {
    const { focus, sent, bridges, moderation } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice', 'owner'));
    await focus.handleStanza(presence('bob'));
    await settle();
    const mute = (from: string, target: string, value: string, id: string) => xml('iq', { type: 'set', id, from: `${ROOM}/${from}` },
      xml('mute', { xmlns: 'http://jitsi.org/jitmeet/audio', jid: `${ROOM}/${target}` }, value));
    const reply = (id: string) => sent.find((s) => s.attrs.id === id);
    const lastForceMute = () => bridges.requests.map((r) => r.payload).reverse().find((p) => serialize(p).includes('force-mute'));
    await focus.handleStanza(mute('alice', 'bob', 'true', 'm1'));
    await settle();
    expect(serialize(lastForceMute()!)).toContain('audio="true"');
    // lib-jitsi-meet unmuting after a mute by the focus asks to be let through again (as 2.6726.2 sent it).
    await focus.handleStanza(parseXml(readFileSync(new URL('../../test/fixtures/stanzas/ljm-2021-self-unmute.xml', import.meta.url), 'utf8').trim()));
    await settle();
    expect(reply('unmute-1')?.attrs.type).toBe('result');
    expect(serialize(lastForceMute()!)).toContain('audio="false"');
    await focus.handleStanza(mute('bob', 'alice', 'false', 'u2'));
    expect(serialize(reply('u2')!)).toContain('not-allowed');

    // AV moderation on: bob (not a moderator) is told to mute and silenced on the bridge; alice is not.
    const before = sent.length;
    moderation.audio = [];
    await focus.avModeration('audio', true, 'alice');
    await settle();
    const muteIqs = sent.slice(before).filter((s) => s.name === 'iq' && s.getChild('mute'));
    expect(muteIqs.map((s) => s.attrs.to)).toEqual([`${ROOM}/bob`]);
    expect(muteIqs[0]!.getChild('mute')?.attrs.actor).toBe(`${ROOM}/alice`);
    expect(serialize(lastForceMute()!)).toContain('audio="true"');
    await focus.handleStanza(mute('bob', 'bob', 'false', 'u3'));
    expect(serialize(reply('u3')!)).toContain('not-allowed');
    expect(serialize(lastForceMute()!)).toContain('audio="true"');
    // Approved: the unmute goes through.
    moderation.audio = ['bob'];
    await focus.avModeration('audio', true, 'alice');
    await focus.handleStanza(mute('bob', 'bob', 'false', 'u4'));
    await settle();
    expect(reply('u4')?.attrs.type).toBe('result');
    expect(serialize(lastForceMute()!)).toContain('audio="false"');
    // A newcomer to a moderated conference is muted from the start.
    await focus.handleStanza(presence('carol'));
    await settle();
    expect(sent.some((s) => s.attrs.to === `${ROOM}/carol` && s.getChild('mute')?.text() === 'true')).toBe(true);
  });
});

/** Jingle actions sent to `nick` in order, with the SSRCs each carries. */
function jingleTo(sent: Element[], nick: string): Array<{ action: string; ssrcs: string[] }> {
  return sent.filter((s) => s.attrs.to === `${ROOM}/${nick}` && s.getChild('jingle')).map((s) => ({
    action: String(s.getChild('jingle')!.attrs.action), ssrcs: [...serialize(s).matchAll(/ssrc="(\d+)"/g)].map((m) => m[1]!),
  }));
}

/** Alice, bob and carol in a call on b1, each with an accepted session (SSRCs 1x, 2x, 3x). */
async function threeInACall() {
  const s = setup(['b1', 'b2']);
  s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
  for (const nick of ['alice', 'bob', 'carol']) await s.focus.handleStanza(presence(nick));
  await settle();
  for (const [i, nick] of ['alice', 'bob', 'carol'].entries()) await s.focus.handleStanza(accept(nick, sidOf(s.sent, `${ROOM}/${nick}`, 'session-initiate'), 10 * (i + 1) + 1, 10 * (i + 1) + 2));
  await settle();
  return s;
}

describe('FocusComponent: moving a conference off a bridge (Jicofo reInviteParticipants)', () => {
  it('a dead bridge: everyone gets a fresh session with none of the movers\' old sources, then only source-adds of the new ones as each accepts', async () => {
    const { focus, sent, bridges } = await threeInACall();
    sent.length = 0;
    bridges.down.add('b1');
    await focus.bridgeDown('b1');
    await settle();
    for (const nick of ['alice', 'bob', 'carol']) {
      const j = jingleTo(sent, nick);
      expect(j.map((x) => x.action)).toEqual(['session-terminate', 'session-initiate']);
      // Only the new bridge's feedback sources: nobody is offered an SSRC of the dead session.
      expect(j[1]!.ssrcs.sort()).toEqual(['424242', '434343']);
    }
    expect(serialize(sent.find((s) => s.getChild('jingle')?.attrs.action === 'session-initiate')!)).toContain('ufb2');
    const moves = [...sent];
    sent.length = 0;
    // They accept one after another with new SSRCs (1xx, 2xx, 3xx).
    for (const [i, nick] of ['alice', 'bob', 'carol'].entries()) {
      const sid = sidOf(moves, `${ROOM}/${nick}`, 'session-initiate');
      await focus.handleStanza(accept(nick, sid, 100 * (i + 1) + 1, 100 * (i + 1) + 2));
      await settle();
    }
    const actions = (nick: string) => jingleTo(sent, nick);
    // Nobody is told to remove anything, and each hears each other's new sources exactly once.
    expect(sent.some((s) => s.getChild('jingle')?.attrs.action === 'source-remove')).toBe(false);
    expect(actions('alice').flatMap((x) => x.ssrcs).sort()).toEqual(['201', '202', '301', '302']);
    expect(actions('bob').flatMap((x) => x.ssrcs).sort()).toEqual(['101', '102', '301', '302']);
    expect(actions('carol').flatMap((x) => x.ssrcs).sort()).toEqual(['101', '102', '201', '202']);
  });

  it('a bridge shutting down but still forwarding: the old sessions last until the new ones are offered, then the old conference is expired', async () => {
    const { focus, sent, bridges } = await threeInACall();
    sent.length = 0;
    const requestsBefore = bridges.requests.length;
    bridges.shutting.add('b1');
    await focus.bridgeDown('b1', true);
    await settle();
    for (const nick of ['alice', 'bob', 'carol']) {
      expect(jingleTo(sent, nick).map((x) => x.action)).toEqual(['session-terminate', 'session-initiate']);
    }
    const later = bridges.requests.slice(requestsBefore);
    // Every new endpoint was allocated on b2 before the old conference on b1 was expired.
    const firstTerminate = sent.findIndex((s) => s.getChild('jingle')?.attrs.action === 'session-terminate');
    expect(firstTerminate).toBeGreaterThanOrEqual(0);
    expect(later.filter((r) => r.bridge === 'b2')).toHaveLength(3);
    expect(later.at(-1)).toMatchObject({ bridge: 'b1' });
    expect(later.at(-1)!.payload.attrs.expire).toBe('true');
  });

  it('a bridge that fails an allocation tells the conference (ColibriListener): everyone goes to another bridge, and the failed one is not chosen again', async () => {
    const { focus, sent, bridges, saved } = setup(['b1', 'b2']);
    bridges.refusing.add('b1');
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(presence('bob'));
    for (let i = 0; i < 4; i++) await settle();
    for (const nick of ['alice', 'bob']) {
      const offers = jingleTo(sent, nick).filter((j) => j.action === 'session-initiate');
      expect(offers).toHaveLength(1);
    }
    expect(serialize(sent.find((s) => s.getChild('jingle')?.attrs.action === 'session-initiate')!)).toContain('ufb2');
    expect((saved() as { failedBridges: string[] }).failedBridges).toEqual(['b1']);
  });

  it('a bridge shutting down with no other bridge to take its conferences: nobody is moved', async () => {
    const s = setup(['b1']);
    s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await s.focus.handleStanza(presence('alice'));
    await s.focus.handleStanza(presence('bob'));
    await settle();
    s.sent.length = 0;
    s.bridges.shutting.add('b1');
    await s.focus.bridgeDown('b1', true);
    await settle();
    expect(s.sent.some((x) => x.getChild('jingle'))).toBe(false);
  });

  it('leaving and rejoining under the same nick while the allocation is in flight leaks no endpoint: the rejoin gets one, without a conflict', async () => {
    const { focus, sent, bridges } = setup(['b1']);
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('bob'));
    await focus.handleStanza(presence('carol'));
    await settle();
    let release = () => undefined as void;
    bridges.gate.wait = new Promise<void>((r) => { release = r; });
    await focus.handleStanza(presence('alice'));
    await settle();
    // Alice's allocation is on its way to the bridge when she leaves.
    expect(bridges.requests.at(-1)!.payload.getChild('endpoint')?.attrs).toMatchObject({ id: 'alice', create: 'true' });
    await focus.handleStanza(presence('alice', 'none', 'unavailable'));
    bridges.gate.wait = null;
    release();
    await settle();
    await focus.handleStanza(presence('alice'));
    for (let i = 0; i < 5; i++) await settle();
    // No conflict from the bridge, and alice's endpoint there is the one her new session uses.
    expect(bridges.conflicts).toBe(0);
    expect(bridges.live.has('b1/alice')).toBe(true);
    const offers = sent.filter((s) => s.attrs.to === `${ROOM}/alice` && s.getChild('jingle')?.attrs.action === 'session-initiate');
    expect(offers.length).toBeGreaterThan(0);
    sent.length = 0;
    await focus.handleStanza(accept('alice', String(offers.at(-1)!.getChild('jingle')!.attrs.sid), 1, 2));
    await settle();
    expect(sent.find((s) => s.attrs.id === 'acc-alice')?.attrs.type).toBe('result');
  });
});

describe('FocusComponent: SSRC rewriting (Jicofo use-ssrc-rewriting)', () => {
  const withCaps = (nick: string) => {
    const p = presence(nick);
    p.children.push(xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://jitsi.org/jitsi-meet', ver: `ver-${nick}` }));
    return p;
  };
  const discoTo = (sent: Element[], nick: string) => sent.find((s) => s.attrs.to === `${ROOM}/${nick}` && s.getChild('query')?.attrs.xmlns === 'http://jabber.org/protocol/disco#info');
  const answer = (nick: string, id: string, features: string[]) => xml('iq', { type: 'result', id, from: `${ROOM}/${nick}` },
    xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }, ...features.map((v) => xml('feature', { var: v }))));

  it('asks a participant with caps for its features before inviting it; with ssrc-rewriting-1 its endpoint gets the capability and the focus signals it no sources', async () => {
    const { focus, sent, bridges } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(presence('alice'));
    await focus.handleStanza(withCaps('bob'));
    await settle();
    // Bob is not invited before he answers; alice (no caps) is not asked.
    expect(discoTo(sent, 'alice')).toBeUndefined();
    const question = discoTo(sent, 'bob')!;
    expect(question.attrs.type).toBe('get');
    expect(bridges.requests.map((r) => r.payload.getChild('endpoint')?.attrs.id)).toEqual(['alice']);
    await focus.handleStanza(answer('bob', String(question.attrs.id), ['urn:xmpp:jingle:1', 'http://jitsi.org/ssrc-rewriting-1']));
    await settle();
    const bobAllocation = bridges.requests.find((r) => r.payload.getChild('endpoint')?.attrs.id === 'bob')!.payload.getChild('endpoint')!;
    expect(bobAllocation.getChildren('capability').map((c) => c.attrs.name)).toEqual(['source-names', 'ssrc-rewriting']);
    expect(bridges.requests[0]!.payload.getChild('endpoint')!.getChildren('capability').map((c) => c.attrs.name)).toEqual(['source-names']);

    const aliceSid = sidOf(sent, `${ROOM}/alice`, 'session-initiate');
    const bobSid = sidOf(sent, `${ROOM}/bob`, 'session-initiate');
    await focus.handleStanza(accept('alice', aliceSid, 1111, 2222));
    await focus.handleStanza(accept('bob', bobSid, 3333, 4444));
    await settle();
    // Bob's offer carried the bridge's feedback sources only, and he never gets a source-add; alice gets bob's.
    const bobJingle = sent.filter((s) => s.attrs.to === `${ROOM}/bob` && s.getChild('jingle'));
    expect(bobJingle.map((s) => s.getChild('jingle')!.attrs.action)).toEqual(['session-initiate']);
    const offered = bobJingle[0]!.getChild('jingle')!.getChildren('content').flatMap((c) => c.getChild('description')!.getChildren('source')).map((s) => s.getChild('ssrc-info')?.attrs.owner);
    expect(new Set(offered)).toEqual(new Set(['jvb']));
    expect(serialize(sent.find((s) => s.attrs.to === `${ROOM}/alice` && s.getChild('jingle')?.attrs.action === 'source-add')!)).toContain('ssrc="3333"');
  });

  it('a second participant with the same caps is not asked again: the answer for those caps serves it (Smack\'s caps cache)', async () => {
    const { focus, sent, bridges } = setup();
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    const sameCaps = (nick: string) => {
      const p = presence(nick);
      p.children.push(xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://jitsi.org/jitsi-meet', ver: 'same-ver' }));
      return p;
    };
    await focus.handleStanza(sameCaps('alice'));
    const question = discoTo(sent, 'alice')!;
    await focus.handleStanza(answer('alice', String(question.attrs.id), ['http://jitsi.org/ssrc-rewriting-1']));
    await focus.handleStanza(sameCaps('bob'));
    await settle();
    expect(discoTo(sent, 'bob')).toBeUndefined();
    const caps = (id: string) => bridges.requests.find((r) => r.payload.getChild('endpoint')?.attrs.id === id)!.payload.getChild('endpoint')!.getChildren('capability').map((c) => c.attrs.name);
    expect(caps('alice')).toContain('ssrc-rewriting');
    expect(caps('bob')).toContain('ssrc-rewriting');
  });

  it('a participant that does not answer in time, or refuses, is invited as usual', async () => {
    const clock = { now: Date.now() };
    const { focus, sent, bridges } = setup(['b1'], clock);
    focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
    await focus.handleStanza(withCaps('alice'));
    await focus.handleStanza(withCaps('bob'));
    await settle();
    expect(bridges.requests).toEqual([]);
    const toAlice = discoTo(sent, 'alice')!;
    await focus.handleStanza(xml('iq', { type: 'error', id: toAlice.attrs.id, from: `${ROOM}/alice` }, xml('error', { type: 'cancel' })));
    clock.now += 3_000;
    focus.onWakeUp();
    await settle();
    const endpoints = bridges.requests.map((r) => r.payload.getChild('endpoint')!);
    expect(endpoints.map((e) => e.attrs.id).sort()).toEqual(['alice', 'bob']);
    expect(endpoints.every((e) => e.getChildren('capability').map((c) => c.attrs.name).join() === 'source-names')).toBe(true);
  });
});
