import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { all, connect, where, type FrameClient } from './frame-client.ts';

const SECRET = 'test-recorder-secret-0123456789';
const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
const BREWERY = 'jibribrewery@internal.auth.meet.jitsi';

async function recorder(id: string): Promise<FrameClient> {
  const rec = await connect('', '/registry-websocket?region=default');
  await rec.login('auth.meet.jitsi', { plain: { user: id, password: SECRET } });
  rec.send(`<presence to="${BREWERY}/${id}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/><jibri-status xmlns="${NS_JIBRI}">`
    + `<busy-status xmlns="${NS_JIBRI}" status="idle"/><health-status xmlns="http://jitsi.org/protocol/health" status="healthy"/></jibri-status></presence>`);
  await rec.next(all(where.from(`${BREWERY}/${id}`), where.status('110')));
  return rec;
}

/** A moderator in `room` (the focus has joined) who has asked to record; the recorder answered pending. */
async function recordingRoom(room: string, rec: FrameClient): Promise<{ alice: FrameClient; sessionId: string }> {
  const alice = await connect(room);
  await alice.login();
  alice.send(`<iq type="set" id="c1" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="${room}@conference.meet.jitsi"/></iq>`);
  await alice.next(where.id('c1'));
  await alice.join(room, 'alice');
  alice.send(`<iq type="set" id="r1" to="${room}@conference.meet.jitsi/focus" xmlns="jabber:client"><jibri xmlns="${NS_JIBRI}" action="start" recording_mode="file"/></iq>`);
  const start = await rec.next(all(where.name('iq'), where.child('jibri', NS_JIBRI)));
  rec.send(`<iq type="result" id="${String(start.attrs.id)}" to="focus@auth.meet.jitsi/focus" xmlns="jabber:client"><jibri xmlns="${NS_JIBRI}" status="pending"/></iq>`);
  const result = await alice.next(where.id('r1'));
  expect(result.attrs.type).toBe('result');
  return { alice, sessionId: String(result.getChild('jibri', NS_JIBRI)?.attrs.session_id) };
}

const recordingStatus = (room: string, status: string) => (el: Element) => el.name === 'presence'
  && el.attrs.from === `${room}@conference.meet.jitsi/focus` && el.getChild('jibri-recording-status', NS_JIBRI)?.attrs.status === status;

describe('recording across a Room Durable Object eviction', () => {
  it('a session started before evictDurableObject() takes the recorder\'s "on" afterwards and publishes it', async () => {
    const room = 'rec-evict';
    const rec = await recorder('rec-evict-1');
    const { alice, sessionId } = await recordingRoom(room, rec);
    await evictDurableObject(env.ROOM.get(env.ROOM.idFromName(room)));
    // Jibri's status IQ carries no session id: the Registry routes it by the recorder's session.
    rec.send(`<iq type="set" id="on1" to="focus@auth.meet.jitsi/focus" xmlns="jabber:client"><jibri xmlns="${NS_JIBRI}" status="on"/></iq>`);
    expect((await rec.next(where.id('on1'))).attrs.type).toBe('result');
    const on = await alice.next(recordingStatus(room, 'on'));
    expect(on.getChild('jibri-recording-status', NS_JIBRI)?.attrs).toMatchObject({ session_id: sessionId, initiator: `${room}@conference.meet.jitsi/alice` });
    rec.ws.close();
  });

  it('the pending timeout fires through the room\'s alarm after an eviction: the recorder is told to stop and the status goes off with failure_reason error', async () => {
    const room = 'rec-pending';
    const rec = await recorder('rec-pending-1');
    const { alice, sessionId } = await recordingRoom(room, rec);
    await evictDurableObject(env.ROOM.get(env.ROOM.idFromName(room)));
    // RECORDING_PENDING_TIMEOUT_SECONDS is 3 in the test config.
    const stop = await rec.next(all(where.name('iq'), (el) => el.getChild('jibri', NS_JIBRI)?.attrs.action === 'stop'), 8000);

    expect(stop.getChild('jibri', NS_JIBRI)?.attrs.session_id).toBe(sessionId);
    const off = await alice.next(recordingStatus(room, 'off'), 5000);
    expect(off.getChild('jibri-recording-status', NS_JIBRI)?.attrs).toMatchObject({ session_id: sessionId, failure_reason: 'error' });
  }, 15_000);
});
