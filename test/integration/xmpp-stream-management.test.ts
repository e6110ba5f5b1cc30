import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { FrameClient, all, where } from '../helpers/frame-client.ts';
import { connectClient, joinRoom, presenceFrom, sleep, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';

/** Logs in, enables resumable stream management, joins `room` as `nick`. */
async function resumableOccupant(edge: RunningEdge, room: string, nick: string) {
  const raw = await FrameClient.open(`${edge.wsUrl}?room=${room}`);
  await raw.login();
  raw.send('<enable xmlns="urn:xmpp:sm:3" resume="true"/>');
  const enabled = await raw.next(where.name('enabled'));
  const id = String(enabled.attrs.id ?? '');
  const counted = raw.frames.length;
  raw.send(`<presence to="${room}@${MUC}/${nick}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
  await raw.next(where.status('110'));
  return { raw, id, counted };
}

describe('XEP-0198 stream management and resumption', () => {
  let edge: RunningEdge;
  let quick: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    edge = await startEdge({ LOG_LEVEL: 'warn' });
    quick = await startEdge({ LOG_LEVEL: 'warn', SM_RESUME_TIMEOUT_SECONDS: '2' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
    await quick?.stop();
  });

  it('@xmpp/client enables resumable stream management', async () => {
    const c = await connectClient(edge.wsUrl, 'sm-enable');
    clients.push(c);
    // <enabled/> arrives just after the client reports itself online.
    await expect.poll(() => c.xmpp.streamManagement.enabled).toBe(true);
    expect(c.xmpp.streamManagement.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a dropped client resumes: missed stanzas are replayed and the others never saw it leave', async () => {
    const room = 'sm-resume';
    const observer = await joinRoom(edge.wsUrl, room, 'observer');
    clients.push(observer);
    const { raw, id, counted } = await resumableOccupant(edge, room, 'mobile');
    await observer.waitFor(presenceFrom(`${room}@${MUC}`, 'mobile'));
    const handled = raw.stanzaCount(counted);
    raw.ws.close(); // the socket drops without <close/>
    await raw.waitClosed();
    await sleep(200);
    await observer.send(xml('message', { to: `${room}@${MUC}`, type: 'groupchat' }, xml('body', null, 'while you were away')));
    await observer.waitFor((s) => s.getChildText('body') === 'while you were away');

    const back = await FrameClient.open(`${edge.wsUrl}?room=${room}&previd=${id}`);
    await back.login('meet.jitsi', { bind: false });
    back.send(`<resume xmlns="urn:xmpp:sm:3" previd="${id}" h="${handled}"/>`);
    const resumed = await back.next(where.name('resumed'));
    expect(resumed.attrs.previd).toBe(id);
    const replayed = await back.next(all(where.name('message'), (m) => m.getChildText('body') === 'while you were away'));
    expect(replayed.attrs.from).toBe(`${room}@${MUC}/observer`);
    // The resumed session works: its messages reach the room.
    back.send(`<message to="${room}@${MUC}" type="groupchat" xmlns="jabber:client"><body>I am back</body></message>`);
    await observer.waitFor((s) => s.getChildText('body') === 'I am back');
    expect(observer.received(presenceFrom(`${room}@${MUC}`, 'mobile', 'unavailable'))).toHaveLength(0);
    back.ws.close();
  });

  it('without resumption within the timeout, the occupant leaves and the others see it', async () => {
    const room = 'sm-timeout';
    const observer = await joinRoom(quick.wsUrl, room, 'observer');
    clients.push(observer);
    const { raw } = await resumableOccupant(quick, room, 'gone');
    raw.ws.close();
    const left = await observer.waitFor(presenceFrom(`${room}@${MUC}`, 'gone', 'unavailable'), 15_000);
    expect(left.attrs.type).toBe('unavailable');
  });

  it('resuming an unknown session fails with item-not-found, and the client may bind instead', async () => {
    const raw = await FrameClient.open(`${edge.wsUrl}?room=sm-unknown`);
    await raw.login('meet.jitsi', { bind: false });
    raw.send('<resume xmlns="urn:xmpp:sm:3" previd="0123456789abcdef0123456789abcdef" h="0"/>');
    const failed = await raw.next(where.name('failed'));
    expect(failed.getChild('item-not-found')).toBeDefined();
    raw.send('<iq type="set" id="b2" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
    expect((await raw.next(where.id('b2'))).getChild('bind')?.getChildText('jid')).toBeTruthy();
    raw.ws.close();
  });

  it('the server answers <r/> with <a h/> counting handled stanzas', async () => {
    const raw = await FrameClient.open(`${edge.wsUrl}?room=sm-ack`);
    await raw.login();
    raw.send('<enable xmlns="urn:xmpp:sm:3"/>');
    await raw.next(where.name('enabled'));
    raw.send('<iq type="get" id="p1" to="meet.jitsi" xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>');
    raw.send('<iq type="get" id="p2" to="meet.jitsi" xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>');
    await raw.next(where.id('p2'));
    raw.send('<r xmlns="urn:xmpp:sm:3"/>');
    expect((await raw.next(where.name('a'))).attrs.h).toBe('2');
    raw.ws.close();
  });
});
