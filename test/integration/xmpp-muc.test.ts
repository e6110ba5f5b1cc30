import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import {
  NS_MUC_USER, connectClient, isSelfPresence, itemOf, joinPresence, joinRoom, presenceFrom, sleep, statusCodes, xml, type TestClient,
} from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';

describe('MUC through the real edge, driven by @xmpp/client', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => { edge = await startEdge({ LOG_LEVEL: 'warn' }); });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });
  const join = async (room: string, nick: string, ...extra: Element[]) => {
    const c = await joinRoom(edge.wsUrl, room, nick, MUC, ...extra);
    clients.push(c);
    return c;
  };

  it('three clients see each other\'s presence, messages and IQs; a leaver is seen leaving', async () => {
    const room = 'trio';
    const roomJid = `${room}@${MUC}`;
    const alice = await join(room, 'alice');
    const selfA = alice.received(isSelfPresence(roomJid, 'alice'))[0]!;
    expect(statusCodes(selfA)).toEqual(expect.arrayContaining(['110', '201', '100']));
    expect(itemOf(selfA)).toMatchObject({ affiliation: 'owner', role: 'moderator', jid: alice.jid });

    const jitsiExtensions = [
      xml('stats-id', null, 'Brave-Fox-1'),
      xml('SourceInfo', null, '{"bob1-a0":{"muted":false}}'),
      xml('jitsi_participant_codecList', null, 'vp8,opus'),
      xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Bob B.'),
    ];
    const bob = await join(room, 'bob', ...jitsiExtensions);
    const carol = await join(room, 'carol');

    // Everyone sees everyone else, with real JIDs and roles.
    const bobAtAlice = await alice.waitFor(presenceFrom(roomJid, 'bob'));
    expect(itemOf(bobAtAlice)).toMatchObject({ jid: bob.jid, role: 'participant', affiliation: 'none' });
    expect(bobAtAlice.getChildText('stats-id')).toBe('Brave-Fox-1');
    expect(bobAtAlice.getChildText('SourceInfo')).toBe('{"bob1-a0":{"muted":false}}');
    expect(bobAtAlice.getChildText('jitsi_participant_codecList')).toBe('vp8,opus');
    expect(bobAtAlice.getChild('nick', 'http://jabber.org/protocol/nick')?.text()).toBe('Bob B.');
    expect(itemOf(carol.received(presenceFrom(roomJid, 'alice'))[0]!)).toMatchObject({ jid: alice.jid, role: 'moderator' });
    expect(carol.received(presenceFrom(roomJid, 'bob'))).toHaveLength(1);
    await alice.waitFor(presenceFrom(roomJid, 'carol'));
    await bob.waitFor(presenceFrom(roomJid, 'carol'));

    // A presence update is broadcast.
    await bob.send(xml('presence', { to: `${roomJid}/bob` }, xml('audiomuted', null, 'true')));
    const update = await carol.waitFor((s) => presenceFrom(roomJid, 'bob')(s) && s.getChildText('audiomuted') === 'true');
    expect(update.getChild('x', NS_MUC_USER)).toBeDefined();

    // Groupchat reaches all three, from room/nick.
    await alice.send(xml('message', { to: roomJid, type: 'groupchat' }, xml('body', null, 'hello all')));
    for (const c of [alice, bob, carol]) {
      const m = await c.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'hello all');
      expect(m.attrs.from).toBe(`${roomJid}/alice`);
      expect(m.attrs.type).toBe('groupchat');
    }

    // A private message reaches only its target.
    await bob.send(xml('message', { to: `${roomJid}/carol`, type: 'chat' }, xml('body', null, 'psst')));
    const pm = await carol.waitFor((s) => s.getChildText('body') === 'psst');
    expect(pm.attrs.from).toBe(`${roomJid}/bob`);
    await sleep(200);
    expect(alice.received((s) => s.getChildText('body') === 'psst')).toHaveLength(0);

    // An IQ between occupants is relayed and the answer comes back (Jitsi P2P Jingle needs this).
    carol.xmpp.iqCallee.get('urn:example:echo', 'echo', () => xml('echo', { xmlns: 'urn:example:echo' }, 'from carol'));
    const answer = await alice.iq(xml('iq', { type: 'get', to: `${roomJid}/carol` }, xml('echo', { xmlns: 'urn:example:echo' })));
    expect(answer.attrs.type).toBe('result');
    expect(answer.attrs.from).toBe(`${roomJid}/carol`);
    expect(answer.getChildText('echo')).toBe('from carol');

    // Bob leaves; the others see him go with role none.
    await bob.send(xml('presence', { to: `${roomJid}/bob`, type: 'unavailable' }));
    for (const c of [alice, carol]) {
      const gone = await c.waitFor(presenceFrom(roomJid, 'bob', 'unavailable'));
      expect(itemOf(gone)).toMatchObject({ role: 'none' });
    }
    expect(statusCodes(await bob.waitFor(presenceFrom(roomJid, 'bob', 'unavailable')))).toContain('110');
  });

  it('a nickname in use is refused with conflict', async () => {
    const room = 'nicks';
    await join(room, 'dana');
    const other = await connectClient(edge.wsUrl, room);
    clients.push(other);
    await other.send(joinPresence(`${room}@${MUC}`, 'dana'));
    const error = await other.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(error.getChild('error')?.getChild('conflict')).toBeDefined();
  });

  it('owner grants moderator, kicks, and locks the room with a password; non-owners are refused', async () => {
    const room = 'admin';
    const roomJid = `${room}@${MUC}`;
    const owner = await join(room, 'owner');
    const guest = await join(room, 'guest');
    const third = await join(room, 'third');

    const bare = guest.jid.split('/')[0];
    const grant = await owner.iq(xml('iq', { type: 'set', to: roomJid },
      xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { affiliation: 'owner', jid: bare }))));
    expect(grant.attrs.type).toBe('result');
    const promoted = await third.waitFor((s) => presenceFrom(roomJid, 'guest')(s) && itemOf(s).role === 'moderator');
    expect(itemOf(promoted)).toMatchObject({ affiliation: 'owner' });

    // A participant may not configure the room.
    await expect(third.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }))))
      .rejects.toMatchObject({ condition: 'forbidden' });

    // Kick: the kicked client gets 307, the others see it leave.
    await owner.iq(xml('iq', { type: 'set', to: roomJid },
      xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { nick: 'third', role: 'none' }, xml('reason', null, 'bye')))));
    const kicked = await third.waitFor(presenceFrom(roomJid, 'third', 'unavailable'));
    expect(statusCodes(kicked)).toEqual(expect.arrayContaining(['307', '110']));
    expect(kicked.getChild('x', NS_MUC_USER)?.getChild('item')?.getChildText('reason')).toBe('bye');
    expect(statusCodes(await guest.waitFor(presenceFrom(roomJid, 'third', 'unavailable')))).toContain('307');

    // Lock with a password (what jitsi-meet's "lock room" does).
    const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', null, 'http://jabber.org/protocol/muc#roomconfig')),
      xml('field', { var: 'muc#roomconfig_roomsecret' }, xml('value', null, 's3cret')),
      xml('field', { var: 'muc#roomconfig_passwordprotectedroom' }, xml('value', null, '1')));
    expect((await owner.iq(xml('iq', { type: 'set', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, form)))).attrs.type).toBe('result');
    const notice = await guest.waitFor((s) => s.name === 'message' && statusCodes(s).includes('104'));
    expect(notice.attrs.from).toBe(roomJid);

    const noPassword = await connectClient(edge.wsUrl, room);
    clients.push(noPassword);
    await noPassword.send(joinPresence(roomJid, 'late'));
    const denied = await noPassword.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(denied.getChild('error')?.getChild('not-authorized')).toBeDefined();
    await noPassword.send(xml('presence', { to: `${roomJid}/late` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('password', null, 's3cret'))));
    await noPassword.waitFor(isSelfPresence(roomJid, 'late'));
  });

  it('the room is destroyed when the last occupant leaves; a new joiner creates it again', async () => {
    const room = 'ephemeral';
    const roomJid = `${room}@${MUC}`;
    const only = await join(room, 'solo');
    await only.send(xml('presence', { to: `${roomJid}/solo`, type: 'unavailable' }));
    await only.waitFor(presenceFrom(roomJid, 'solo', 'unavailable'));
    const probe = await connectClient(edge.wsUrl, room);
    clients.push(probe);
    await expect(probe.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))))
      .rejects.toMatchObject({ condition: 'item-not-found' });
    await probe.send(joinPresence(roomJid, 'again'));
    expect(statusCodes(await probe.waitFor(isSelfPresence(roomJid, 'again')))).toContain('201');
  });
});
