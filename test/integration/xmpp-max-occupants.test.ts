import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { connectClient, isSelfPresence, joinPresence, joinRoom, presenceFrom, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

describe('MUC_MAX_OCCUPANTS (jitsi-meet\'s mod_muc_max_occupants) on the real edge', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => { edge = await startEdge({ LOG_LEVEL: 'warn', MUC_MAX_OCCUPANTS: '2' }); });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });

  it('the focus does not count; the next newcomer is refused with cancel/service-unavailable and gets in once someone left', async () => {
    const room = 'full';
    const roomJid = `${room}@${MUC}`;
    const one = await connectClient(edge.wsUrl, room);
    clients.push(one);
    // lib-jitsi-meet's conference request brings the focus into the room first.
    const ready = await one.iq(xml('iq', { type: 'set', to: 'focus.meet.jitsi' }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: roomJid })));
    expect(ready.getChild('conference')?.attrs.ready).toBe('true');
    await one.send(joinPresence(roomJid, 'one'));
    await one.waitFor(isSelfPresence(roomJid, 'one'));
    expect(one.received((s) => s.name === 'presence' && s.attrs.from === `${roomJid}/focus`)).toHaveLength(1);
    const two = await joinRoom(edge.wsUrl, room, 'two');
    clients.push(two);

    const three = await connectClient(edge.wsUrl, room);
    clients.push(three);
    await three.send(joinPresence(roomJid, 'three'));
    const refusal = await three.waitFor((s: Element) => s.name === 'presence' && s.attrs.type === 'error');
    expect(refusal.attrs.from).toBe(`${roomJid}/three`);
    const error = refusal.getChild('error')!;
    expect(error.attrs.type).toBe('cancel');
    expect(error.getChildElements().map((c) => [c.name, c.attrs.xmlns])).toEqual([['service-unavailable', STANZAS]]);
    // Nobody saw it; those inside may still update their presence.
    expect(one.received(presenceFrom(roomJid, 'three'))).toEqual([]);
    await two.send(xml('presence', { to: `${roomJid}/two` }, xml('status', null, 'here')));
    await one.waitFor((s) => s.name === 'presence' && s.attrs.from === `${roomJid}/two` && s.getChildText('status') === 'here');

    await two.send(xml('presence', { to: `${roomJid}/two`, type: 'unavailable' }));
    await one.waitFor(presenceFrom(roomJid, 'two', 'unavailable'));
    await three.send(joinPresence(roomJid, 'three'));
    await three.waitFor(isSelfPresence(roomJid, 'three'));
  });
});
