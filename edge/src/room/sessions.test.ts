import { describe, expect, it } from 'vitest';
import { serialize, xml, type Element } from '@edgemeet/protocol';
import { RecordingConnection, memoryStore, silentLog, testConfig } from '../testing/room-kit.ts';
import { Sessions, type EndReason } from './sessions.ts';

const JID = 'alice@meet.jitsi/res';

function setup(env: Record<string, string> = {}) {
  const clock = { now: 1_000_000 };
  const ended: Array<{ sid: string; reason: EndReason }> = [];
  const wakeUps: number[] = [];
  const store = memoryStore();
  const sessions = new Sessions({
    store, config: testConfig(env), log: silentLog, now: () => clock.now,
    hooks: { sessionEnded: (sid, reason) => ended.push({ sid, reason }), scheduleWakeUp: (at) => wakeUps.push(at) },
  });
  const conn = new RecordingConnection('c1');
  const row = sessions.bind(conn, JID);
  return { clock, ended, wakeUps, store, sessions, conn, sid: row.sid };
}

const message = (n: number): Element => xml('message', { to: JID }, xml('body', null, `m${n}`));
const sm = (name: string, attrs: Record<string, string> = {}) => xml(name, { xmlns: 'urn:xmpp:sm:3', ...attrs });

describe('Sessions', () => {
  it('bind() stores the session and puts the connection in the session stage', () => {
    const { store, conn, sid } = setup();
    expect(store.sessions.get(sid)).toMatchObject({ jid: JID, sm: false, hIn: 0, hOut: 0 });
    expect(conn.state).toMatchObject({ sid, stage: 'session' });
  });

  it('deliver() without XEP-0198 sends the stanza in jabber:client and queues nothing', () => {
    const { sessions, conn, store, sid } = setup();
    sessions.deliver(sid, message(1));
    expect(conn.frames).toEqual(['<message to="alice@meet.jitsi/res" xmlns="jabber:client"><body>m1</body></message>']);
    expect(store.unacked(sid, 0)).toEqual([]);
  });

  it('handleSm() <enable resume="true"/> answers enabled with the session id and the resumption window', () => {
    const { sessions, conn, sid } = setup();
    sessions.handleSm(conn, sm('enable', { resume: 'true' }));
    expect(conn.frames).toEqual([`<enabled xmlns="urn:xmpp:sm:3" id="${sid}" resume="true" max="60"/>`]);
  });

  it('handleSm() <enable/> twice is refused with unexpected-request', () => {
    const { sessions, conn } = setup();
    sessions.handleSm(conn, sm('enable'));
    sessions.handleSm(conn, sm('enable'));
    expect(conn.frames[1]).toBe('<failed xmlns="urn:xmpp:sm:3"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>');
  });

  it('received() counts inbound stanzas once XEP-0198 is on; <r/> is answered with that h', () => {
    const { sessions, conn, sid } = setup();
    sessions.received(sid);
    sessions.handleSm(conn, sm('enable'));
    sessions.received(sid);
    sessions.received(sid);
    sessions.handleSm(conn, sm('r'));
    expect(conn.frames.at(-1)).toBe('<a xmlns="urn:xmpp:sm:3" h="2"/>');
  });

  it('deliver() with XEP-0198 numbers and queues each stanza; flush() asks for one ack at a time', () => {
    const { sessions, conn, store, sid } = setup();
    sessions.handleSm(conn, sm('enable', { resume: 'true' }));
    conn.clear();
    sessions.deliver(sid, message(1));
    sessions.deliver(sid, message(2));
    sessions.flush();
    sessions.deliver(sid, message(3));
    sessions.flush();
    expect(conn.frames.filter((f) => f === '<r xmlns="urn:xmpp:sm:3"/>')).toHaveLength(1);
    expect(store.sessions.get(sid)).toMatchObject({ hOut: 3, acked: 0 });
    expect(store.unacked(sid, 0)).toHaveLength(3);
  });

  it('handleSm() <a h/> drops acknowledged stanzas, clamps h to what was sent, and allows the next <r/>', () => {
    const { sessions, conn, store, sid } = setup();
    sessions.handleSm(conn, sm('enable'));
    for (let n = 1; n <= 3; n++) sessions.deliver(sid, message(n));
    sessions.flush();
    sessions.handleSm(conn, sm('a', { h: '2' }));
    expect(store.unacked(sid, store.sessions.get(sid)!.acked).map((f) => f.includes('m3'))).toEqual([true]);
    expect(conn.state.ackRequested).toBe(false);
    sessions.handleSm(conn, sm('a', { h: '99' }));
    expect(store.sessions.get(sid)?.acked).toBe(3);
    sessions.handleSm(conn, sm('a', { h: '-1' }));
    expect(store.sessions.get(sid)?.acked).toBe(3);
  });

  it('deliver() past SM_MAX_QUEUE unacknowledged stanzas ends the session at flush() with queue-overflow', () => {
    const { sessions, conn, ended, sid } = setup({ SM_MAX_QUEUE: '10' });
    sessions.handleSm(conn, sm('enable'));
    for (let n = 1; n <= 11; n++) sessions.deliver(sid, message(n));
    expect(ended).toEqual([]);
    sessions.deliver(sid, message(12));
    expect(conn.frames.some((f) => f.includes('m12'))).toBe(false);
    sessions.flush();
    expect(ended).toEqual([{ sid, reason: 'queue-overflow' }]);
    expect(conn.closed).toEqual({ code: 1000, reason: 'queue-overflow' });
  });

  it('disconnected() of a resumable session detaches it and asks for a wake-up at the end of the window', () => {
    const { sessions, conn, store, wakeUps, ended, clock, sid } = setup();
    sessions.handleSm(conn, sm('enable', { resume: 'true' }));
    sessions.disconnected(conn, false);
    expect(ended).toEqual([]);
    expect(store.sessions.get(sid)?.detachedUntil).toBe(clock.now + 60_000);
    expect(wakeUps).toEqual([clock.now + 60_000]);
  });

  it('disconnected() after a clean close, or without resumption, ends the session', () => {
    const a = setup();
    a.sessions.handleSm(a.conn, sm('enable', { resume: 'true' }));
    a.sessions.disconnected(a.conn, true);
    expect(a.ended).toEqual([{ sid: a.sid, reason: 'closed' }]);
    const b = setup();
    b.sessions.disconnected(b.conn, false);
    expect(b.ended).toEqual([{ sid: b.sid, reason: 'disconnected' }]);
  });

  it('resume() on a new connection answers resumed with h and replays what the client did not acknowledge', () => {
    const { sessions, conn, sid } = setup();
    sessions.handleSm(conn, sm('enable', { resume: 'true' }));
    sessions.received(sid);
    for (let n = 1; n <= 3; n++) sessions.deliver(sid, message(n));
    sessions.disconnected(conn, false);
    const next = new RecordingConnection('c2');
    expect(sessions.resume(next, sm('resume', { previd: sid, h: '1' }))).toBe(true);
    expect(next.frames[0]).toBe(`<resumed xmlns="urn:xmpp:sm:3" h="1" previd="${sid}"/>`);
    expect(next.frames.slice(1).map((f) => /m\d/.exec(f)?.[0])).toEqual(['m2', 'm3']);
    expect(next.state).toMatchObject({ sid, stage: 'session' });
  });

  it('resume() of a live session on another connection closes the old one', () => {
    const { sessions, conn, sid } = setup();
    sessions.handleSm(conn, sm('enable', { resume: 'true' }));
    sessions.resume(new RecordingConnection('c2'), sm('resume', { previd: sid, h: '0' }));
    expect(conn.closed).toEqual({ code: 1000, reason: 'session resumed elsewhere' });
    expect(conn.state.sid).toBeNull();
  });

  it('resume() of an unknown or non-resumable session fails with item-not-found', () => {
    const { sessions, sid } = setup();
    const next = new RecordingConnection('c2');
    expect(sessions.resume(next, sm('resume', { previd: sid, h: '0' }))).toBe(false);
    expect(sessions.resume(next, sm('resume', { previd: 'nope', h: '0' }))).toBe(false);
    expect(next.frames).toEqual(Array(2).fill('<failed xmlns="urn:xmpp:sm:3"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>'));
  });

  it('expire() ends sessions whose window passed and returns the next deadline', () => {
    const { sessions, conn, ended, clock, sid } = setup();
    sessions.handleSm(conn, sm('enable', { resume: 'true' }));
    sessions.disconnected(conn, false);
    const other = new RecordingConnection('c2');
    const second = sessions.bind(other, 'bob@meet.jitsi/res');
    sessions.handleSm(other, sm('enable', { resume: 'true' }));
    clock.now += 30_000;
    sessions.disconnected(other, false);
    clock.now += 30_000;
    expect(sessions.expire()).toBe(clock.now + 30_000);
    expect(ended).toEqual([{ sid, reason: 'resume-timeout' }]);
    expect(sessions.get(second.sid)).toBeDefined();
  });

  it('bindLocal() sessions get their stanzas in drainLocal(), after the current stanza, including those they cause', async () => {
    const { sessions, sid } = setup();
    const seen: string[] = [];
    sessions.bindLocal('focus', 'focus@auth.meet.jitsi/focus', async (stanza) => {
      seen.push(serialize(stanza));
      if (seen.length === 1) sessions.deliver('focus', message(2));
    });
    sessions.deliver('focus', message(1));
    expect(seen).toEqual([]);
    const errors: unknown[] = [];
    await sessions.drainLocal((err) => errors.push(err));
    expect(seen.map((s) => /m\d/.exec(s)?.[0])).toEqual(['m1', 'm2']);
    expect(errors).toEqual([]);
    expect(sessions.get(sid)).toBeDefined();
  });

  it('drainLocal() reports a handler that throws and carries on with the queue', async () => {
    const { sessions } = setup();
    const seen: number[] = [];
    sessions.bindLocal('focus', 'focus@auth.meet.jitsi/focus', async (stanza) => {
      seen.push(seen.length);
      if (stanza.getChildText('body') === 'm1') throw new Error('boom');
    });
    sessions.deliver('focus', message(1));
    sessions.deliver('focus', message(2));
    const errors: unknown[] = [];
    await sessions.drainLocal((err) => errors.push(err));
    expect(seen).toEqual([0, 1]);
    expect(errors).toHaveLength(1);
  });

  it('end() forgets the session, calls the hook first and closes its connection', () => {
    const { sessions, conn, store, ended, sid } = setup();
    sessions.end(sid, 'stream-error');
    expect(ended).toEqual([{ sid, reason: 'stream-error' }]);
    expect(store.sessions.has(sid)).toBe(false);
    expect(conn.closed).toEqual({ code: 1000, reason: 'stream-error' });
    sessions.deliver(sid, message(1));
    expect(conn.frames).toEqual([]);
  });
});
