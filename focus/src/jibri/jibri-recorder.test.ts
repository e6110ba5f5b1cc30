import { describe, expect, it } from 'vitest';
import { parseRecordingStatus, serialize, xml, type Element, type RecordingStatus } from '@edgemeet/protocol';
import { focusConfig, type FocusConfig } from '../config.ts';
import { FocusComponent } from '../focus-component.ts';
import type { FocusHost } from '../host.ts';
import { scriptedBridges } from '../testing/fake-bridge.ts';
import { recorderJid, scriptedRecorders } from '../testing/fake-recorder.ts';

const ROOM = 'r1@conference.meet.jitsi';
const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Options { recorders?: string[]; config?: Partial<FocusConfig>; noDirectory?: boolean }

function setup(o: Options = {}) {
  const clock = { now: 1_000_000 };
  const sent: Element[] = [];
  const wakeUps: number[] = [];
  let saved: unknown = null;
  const recorders = scriptedRecorders(o.recorders ?? ['rec-1'], clock);
  const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
  const host: FocusHost = {
    send: (s) => sent.push(s), bridges: scriptedBridges(['b1']).directory, log, now: () => clock.now,
    scheduleWakeUp: (at) => wakeUps.push(at),
    store: { load: () => saved, save: (s) => { saved = JSON.parse(JSON.stringify(s)); } },
    ...(o.noDirectory ? {} : { recorders: recorders.directory }),
  };
  const config = focusConfig('meet.jitsi', o.config);
  const make = () => new FocusComponent({ host, config, mucDomain: 'conference.meet.jitsi', room: 'r1', meetingId: () => 'meeting-1' });
  const s = { focus: make(), sent, clock, recorders, wakeUps, saved: () => saved, make };
  s.focus.handleConferenceIq(xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: ROOM }));
  return s;
}

type Setup = ReturnType<typeof setup>;

const settle = () => new Promise((r) => setTimeout(r, 5));

function presence(nick: string, o: { owner?: boolean; type?: string; jid?: string } = {}): Element {
  return xml('presence', { from: `${ROOM}/${nick}`, type: o.type },
    xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' },
      xml('item', { jid: o.jid ?? `${nick}-uuid@meet.jitsi/res`, affiliation: o.owner ? 'owner' : 'none', role: o.owner ? 'moderator' : 'participant' })));
}

let ids = 0;
/** Sends a jibri IQ from occupant `nick` and resolves with the focus's answer to it. */
async function jibri(s: Setup, nick: string, attrs: Record<string, string>): Promise<Element> {
  const id = `j${++ids}`;
  await s.focus.handleStanza(xml('iq', { type: 'set', id, from: `${ROOM}/${nick}`, to: `${ROOM}/focus` }, xml('jibri', { xmlns: NS_JIBRI, ...attrs })));
  await settle();
  const reply = s.sent.find((x) => x.name === 'iq' && x.attrs.id === id);
  if (!reply) throw new Error(`no answer to ${id}`);
  return reply;
}

const condition = (iq: Element) => iq.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

/** The recording statuses the focus published in its presence, in order. */
const published = (s: Setup): RecordingStatus[] => s.sent.filter((x) => x.name === 'presence' && x.attrs.to === `${ROOM}/focus`)
  .map((p) => parseRecordingStatus(p)).filter((r): r is RecordingStatus => r !== undefined)
  .filter((r, i, all) => i === 0 || serialize(xml('x', r as never)) !== serialize(xml('x', all[i - 1] as never)));

const status = (state: string, extra: Record<string, string> = {}) => xml('jibri', { xmlns: NS_JIBRI, status: state, ...extra });

/** A conference with moderator alice and bob, and a recording alice started (pending). */
async function recording(o: Options = {}) {
  const s = setup(o);
  await s.focus.handleStanza(presence('alice', { owner: true }));
  await s.focus.handleStanza(presence('bob'));
  const reply = await jibri(s, 'alice', { action: 'start', recording_mode: 'file', app_data: '{"file_recording_metadata":{"share":true}}' });
  const sessionId = String(reply.getChild('jibri', NS_JIBRI)?.attrs.session_id);
  return { ...s, reply, sessionId };
}

describe('JibriRecorder: start and stop', () => {
  it('a moderator\'s start is answered with a fresh session id once the recorder said pending; on and off are published with the initiator', async () => {
    const s = await recording();
    expect(s.reply.attrs.type).toBe('result');
    expect(s.sessionId).toMatch(UUID);
    expect(serialize(s.reply.getChild('jibri', NS_JIBRI)!)).toBe(`<jibri xmlns="${NS_JIBRI}" session_id="${s.sessionId}"/>`);
    expect(s.recorders.requests[0]).toEqual({
      recorder: 'rec-1', action: 'start', recordingMode: 'file', room: ROOM, sessionId: s.sessionId,
      appData: '{"file_recording_metadata":{"share":true}}', rtcStatsEnabled: false,
    });
    // As Jicofo: "pending" is the initiator's own state (the IQ result); the focus publishes on and off.
    expect(published(s)).toEqual([]);
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    expect(published(s)).toEqual([{ status: 'on', sessionId: s.sessionId, recordingMode: 'file', initiator: `${ROOM}/alice` }]);
    const stop = await jibri(s, 'alice', { action: 'stop', recording_mode: 'file' });
    expect(stop.attrs.type).toBe('result');
    expect(stop.children).toEqual([]);
    expect(s.recorders.requests.at(-1)).toEqual({ recorder: 'rec-1', action: 'stop', sessionId: s.sessionId });
    expect(published(s).at(-1)).toEqual({ status: 'off', sessionId: s.sessionId, recordingMode: 'file', initiator: `${ROOM}/alice` });
    expect(s.focus.jibri?.session).toBeNull();
    // The recorder's own off afterwards belongs to no session any more.
    await expect(s.focus.recorderIq(recorderJid('rec-1'), status('off'))).rejects.toMatchObject({ condition: 'item-not-found' });
  });

  it('a stream start carries its stream id and broadcast id to the recorder and is published as stream', async () => {
    const s = setup();
    await s.focus.handleStanza(presence('alice', { owner: true }));
    const reply = await jibri(s, 'alice', { action: 'start', recording_mode: 'stream', streamid: 'abcd-1234', you_tube_broadcast_id: 'b1' });
    expect(reply.attrs.type).toBe('result');
    expect(s.recorders.requests[0]).toMatchObject({ action: 'start', recordingMode: 'stream', streamId: 'abcd-1234', youTubeBroadcastId: 'b1' });
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    expect(published(s)[0]).toMatchObject({ status: 'on', recordingMode: 'stream' });
  });
});

describe('JibriRecorder: Jicofo\'s errors', () => {
  it('a participant who is not a moderator is refused not-allowed; an unknown occupant forbidden; nothing reaches a recorder', async () => {
    const s = setup();
    await s.focus.handleStanza(presence('alice', { owner: true }));
    await s.focus.handleStanza(presence('bob'));
    expect(condition(await jibri(s, 'bob', { action: 'start', recording_mode: 'file' }))).toBe('not-allowed');
    expect(condition(await jibri(s, 'carol', { action: 'start', recording_mode: 'file' }))).toBe('forbidden');
    expect(s.recorders.requests).toEqual([]);
  });

  it('bad requests: stream without stream id, file with one, no action; a SIP request is no conference\'s (item-not-found)', async () => {
    const s = setup();
    await s.focus.handleStanza(presence('alice', { owner: true }));
    const answers = [
      await jibri(s, 'alice', { action: 'start', recording_mode: 'stream' }),
      await jibri(s, 'alice', { action: 'start', recording_mode: 'file', streamid: 'key' }),
      await jibri(s, 'alice', { action: 'start' }),
      await jibri(s, 'alice', { recording_mode: 'file' }),
      await jibri(s, 'alice', { action: 'start', sipaddress: 'sip:a@b' }),
    ];
    expect(answers.map(condition)).toEqual(['bad-request', 'bad-request', 'bad-request', 'bad-request', 'item-not-found']);
    expect(answers[0]!.getChild('error')?.getChildText('text')).toBe('Stream ID is empty or undefined');
    expect(s.recorders.requests).toEqual([]);
  });

  it('no recorder at all: service-unavailable; every recorder busy: resource-constraint; no recorder directory: service-unavailable', async () => {
    const none = setup({ recorders: [] });
    await none.focus.handleStanza(presence('alice', { owner: true }));
    const a = await jibri(none, 'alice', { action: 'start', recording_mode: 'file' });
    expect([condition(a), a.getChild('error')?.getChildText('text')]).toEqual(['service-unavailable', 'no Jibris available']);
    const busy = setup({ recorders: ['rec-1'] });
    busy.recorders.setAvailable('rec-1', false);
    await busy.focus.handleStanza(presence('alice', { owner: true }));
    const b = await jibri(busy, 'alice', { action: 'start', recording_mode: 'file' });
    expect([condition(b), b.getChild('error')?.getChildText('text')]).toEqual(['resource-constraint', 'all Jibris are busy']);
    expect(busy.focus.jibri?.session).toBeNull();
    const without = setup({ noDirectory: true });
    await without.focus.handleStanza(presence('alice', { owner: true }));
    expect(condition(await jibri(without, 'alice', { action: 'start', recording_mode: 'file' }))).toBe('service-unavailable');
  });

  it('a second start while a session runs is unexpected-request; a stop without one item-not-found', async () => {
    const s = await recording({ recorders: ['rec-1', 'rec-2'] });
    s.clock.now += 1000;
    const again = await jibri(s, 'alice', { action: 'start', recording_mode: 'stream', streamid: 'k' });
    expect([condition(again), again.getChild('error')?.getChildText('text')]).toEqual(['unexpected-request', 'Recording or live streaming is already enabled']);
    await jibri(s, 'alice', { action: 'stop' });
    const stop = await jibri(s, 'alice', { action: 'stop' });
    expect([condition(stop), stop.getChild('error')?.getChildText('text')]).toEqual(['item-not-found', 'Unknown session']);
    expect(s.recorders.starts()).toEqual(['rec-1']);
  });

  it('status IQs from a recorder that is not the session\'s, or naming another session, are item-not-found', async () => {
    const s = await recording({ recorders: ['rec-1', 'rec-2'] });
    await expect(s.focus.recorderIq(recorderJid('rec-2'), status('on'))).rejects.toMatchObject({ condition: 'item-not-found' });
    await expect(s.focus.recorderIq(recorderJid('rec-1'), status('on', { session_id: 'other' }))).rejects.toMatchObject({ condition: 'item-not-found' });
    await s.focus.recorderIq(recorderJid('rec-1'), status('on', { session_id: s.sessionId }));
    expect(published(s).map((p) => p.status)).toEqual(['on']);
  });
});

describe('JibriRecorder: selection and retries', () => {
  it('a recorder answering busy is marked failed and the start goes to another; the client gets its result', async () => {
    const s = setup({ recorders: ['rec-1', 'rec-2'] });
    s.recorders.behaviour.set('rec-1', 'busy');
    await s.focus.handleStanza(presence('alice', { owner: true }));
    const reply = await jibri(s, 'alice', { action: 'start', recording_mode: 'file' });
    expect(reply.attrs.type).toBe('result');
    expect(s.recorders.starts()).toEqual(['rec-1', 'rec-2']);
    expect(s.recorders.failed).toEqual(['rec-1']);
    expect(s.focus.jibri?.session?.recorder?.id).toBe('rec-2');
  });

  it('a recorder that failed in the last minute is skipped; after a minute it is picked again', async () => {
    const s = setup({ recorders: ['rec-1'] });
    await s.recorders.directory.failed('rec-1');
    await s.focus.handleStanza(presence('alice', { owner: true }));
    expect(condition(await jibri(s, 'alice', { action: 'start', recording_mode: 'file' }))).toBe('resource-constraint');
    s.clock.now += 60_000;
    expect((await jibri(s, 'alice', { action: 'start', recording_mode: 'file' })).attrs.type).toBe('result');
  });

  it('failing recorders are tried up to jibriNumRetries more times, then the start is internal-server-error', async () => {
    const s = setup({ recorders: ['rec-1', 'rec-2', 'rec-3', 'rec-4'], config: { jibriNumRetries: 2 } });
    for (const id of ['rec-1', 'rec-2', 'rec-3', 'rec-4']) s.recorders.behaviour.set(id, 'error');
    await s.focus.handleStanza(presence('alice', { owner: true }));
    expect(condition(await jibri(s, 'alice', { action: 'start', recording_mode: 'file' }))).toBe('internal-server-error');
    expect(s.recorders.starts()).toHaveLength(3);
    expect(s.focus.jibri?.session).toBeNull();
    expect(published(s)).toEqual([]);
  });

  it('a recorder that does not answer a start is told to stop and another is tried', async () => {
    const s = setup({ recorders: ['rec-1', 'rec-2'] });
    s.recorders.behaviour.set('rec-1', 'silent');
    await s.focus.handleStanza(presence('alice', { owner: true }));
    expect((await jibri(s, 'alice', { action: 'start', recording_mode: 'file' })).attrs.type).toBe('result');
    expect(s.recorders.requests.map((r) => [r.recorder, r.action])).toEqual([['rec-1', 'start'], ['rec-1', 'stop'], ['rec-2', 'start']]);
  });

  it('a failure with should_retry while on moves the recording to another recorder, published on stays; should_retry false ends it with the failure', async () => {
    const s = await recording({ recorders: ['rec-1', 'rec-2'] });
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    s.clock.now += 1000;
    await s.focus.recorderIq(recorderJid('rec-1'), status('off', { failure_reason: 'error', should_retry: 'true' }));
    expect(s.recorders.starts()).toEqual(['rec-1', 'rec-2']);
    expect(s.recorders.requests.at(-1)).toMatchObject({ recorder: 'rec-2', sessionId: s.sessionId });
    expect(published(s).map((p) => p.status)).toEqual(['on']);
    await s.focus.recorderIq(recorderJid('rec-2'), status('off', { failure_reason: 'error', should_retry: 'false' }));
    expect(published(s).at(-1)).toEqual({ status: 'off', sessionId: s.sessionId, recordingMode: 'file', failureReason: 'error' });
    expect(s.focus.jibri?.session).toBeNull();
  });
});

describe('JibriRecorder: the focus stops it', () => {
  it('pending for longer than the pending timeout: that recorder is told to stop and another takes over; with none left, off with failure_reason error', async () => {
    const s = await recording({ recorders: ['rec-1', 'rec-2'], config: { jibriNumRetries: 1 } });
    expect(s.wakeUps).toContain(1_000_000 + 90_000);
    s.clock.now += 89_000;
    s.focus.onWakeUp();
    await settle();
    expect(s.recorders.starts()).toEqual(['rec-1']);
    s.clock.now += 1_000;
    s.focus.onWakeUp();
    await settle();
    expect(s.recorders.requests.map((r) => [r.recorder, r.action])).toEqual([['rec-1', 'start'], ['rec-1', 'stop'], ['rec-2', 'start']]);
    expect(s.recorders.failed).toEqual(['rec-1']);
    expect(published(s)).toEqual([]);
    // The one retry is used: the second timeout ends the session.
    s.clock.now += 90_000;
    s.focus.onWakeUp();
    await settle();
    expect(published(s)).toEqual([{ status: 'off', sessionId: s.sessionId, recordingMode: 'file', failureReason: 'error' }]);
    expect(s.focus.jibri?.session).toBeNull();
  });

  it('the pending timeout is configurable', async () => {
    const s = await recording({ config: { jibriPendingTimeoutMs: 5_000 } });
    s.clock.now += 5_000;
    s.focus.onWakeUp();
    await settle();
    expect(published(s).at(-1)).toMatchObject({ status: 'off', failureReason: 'error' });
  });

  it('when only hidden occupants (the recorder) are left, the recording stops; the recorder is no participant for min-participants', async () => {
    const s = await recording();
    await s.focus.handleStanza(presence('rec-1', { jid: 'rec-1@recorder.meet.jitsi/abc' }));
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    expect(s.focus.conference?.participant('rec-1')?.hidden).toBe(true);
    await s.focus.handleStanza(presence('bob', { type: 'unavailable' }));
    expect(s.recorders.stops()).toEqual([]);
    await s.focus.handleStanza(presence('alice', { type: 'unavailable' }));
    await settle();
    expect(s.recorders.stops()).toEqual(['rec-1']);
    expect(published(s).at(-1)).toEqual({ status: 'off', sessionId: s.sessionId, recordingMode: 'file' });
  });

  it('alone with a recorder, nobody is invited to the bridge (hidden occupants do not count toward min-participants)', async () => {
    const s = setup();
    await s.focus.handleStanza(presence('alice', { owner: true }));
    await s.focus.handleStanza(presence('rec-1', { jid: 'rec-1@recorder.meet.jitsi/abc' }));
    await settle();
    expect(s.sent.filter((x) => x.getChild('jingle'))).toEqual([]);
    await s.focus.handleStanza(presence('bob'));
    await settle();
    expect(s.sent.filter((x) => x.getChild('jingle')?.attrs.action === 'session-initiate').map((x) => x.attrs.to).sort())
      .toEqual([`${ROOM}/alice`, `${ROOM}/bob`, `${ROOM}/rec-1`]);
  });

  it('a recording on for the maximum duration is stopped by the focus', async () => {
    const s = await recording({ config: { recordingMaxDurationMs: 60_000 } });
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    expect(s.wakeUps).toContain(1_000_000 + 60_000);
    s.clock.now += 59_000;
    s.focus.onWakeUp();
    await settle();
    expect(s.recorders.stops()).toEqual([]);
    s.clock.now += 1_000;
    s.focus.onWakeUp();
    await settle();
    expect(s.recorders.stops()).toEqual(['rec-1']);
    expect(published(s).at(-1)).toEqual({ status: 'off', sessionId: s.sessionId, recordingMode: 'file' });
  });

  it('the recorder going away: another takes over if one is free, else off with failure_reason error', async () => {
    const s = await recording({ recorders: ['rec-1', 'rec-2'] });
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    s.clock.now += 1000;
    s.recorders.instances.delete('rec-1');
    await s.focus.recorderDown('rec-1');
    expect(s.recorders.starts()).toEqual(['rec-1', 'rec-2']);
    s.recorders.instances.delete('rec-2');
    await s.focus.recorderDown('rec-2');
    expect(published(s).at(-1)).toEqual({ status: 'off', sessionId: s.sessionId, recordingMode: 'file', failureReason: 'error' });
    // Another recorder's loss means nothing to this room.
    await s.focus.recorderDown('rec-9');
  });

  it('the session survives an eviction: a focus rebuilt from the saved state takes the recorder\'s status, and its presence keeps the recording status', async () => {
    const s = await recording();
    await s.focus.recorderIq(recorderJid('rec-1'), status('on'));
    const revived = s.make();
    expect(revived.jibri?.session).toMatchObject({ sessionId: s.sessionId, status: 'on', recorder: { id: 'rec-1' } });
    const before = s.sent.length;
    await revived.recorderIq(recorderJid('rec-1'), status('off'));
    const after = s.sent.slice(before).filter((x) => x.name === 'presence').map((p) => parseRecordingStatus(p));
    expect(after).toEqual([{ status: 'off', sessionId: s.sessionId, recordingMode: 'file' }]);
    expect(revived.jibri?.session).toBeNull();
  });
});
