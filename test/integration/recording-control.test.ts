/**
 * Recording's control plane against the real edge (workerd): XMPP participants ask the focus
 * occupant to record, a scripted Jibri (test/helpers/scripted-jibri.ts) registers in the Registry's
 * Jibri brewery with RECORDER_SECRET, answers pending, reports on and joins the room from the hidden
 * domain; the focus's presence carries jibri-recording-status as Jicofo's does. No media node: the
 * recording control does not need one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { startScriptedJibri, type ScriptedJibri } from '../helpers/scripted-jibri.ts';
import { NS_MUC_USER, connectClient, joinPresence, isSelfPresence, xml, type TestClient } from '../helpers/xmpp-client.ts';
import type { Element } from '@edgemeet/protocol';

const SECRET = 'integration-recorder-secret-0123';
const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
const MUC = 'conference.meet.jitsi';

describe('recording control: the focus, the Registry\'s Jibri brewery and a scripted Jibri', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  const jibris: ScriptedJibri[] = [];

  beforeAll(async () => {
    edge = await startEdge({ RECORDER_SECRET: SECRET, BRIDGE_SECRET: 'integration-bridge-secret-0123', LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(jibris.map((j) => j.stop()));
    await edge?.stop();
  });

  const wsBase = () => edge.url.replace(/^http/, 'ws');

  /** Connects, asks the focus for the conference (as lib-jitsi-meet does) and joins. */
  async function participant(room: string, nick: string): Promise<TestClient> {
    const c = await connectClient(edge.wsUrl, room);
    clients.push(c);
    const roomJid = `${room}@${MUC}`;
    await c.iq(xml('iq', { type: 'set', to: 'focus.meet.jitsi' }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: roomJid })));
    await c.send(joinPresence(roomJid, nick));
    await c.waitFor(isSelfPresence(roomJid, nick));
    return c;
  }

  async function jibri(id: string): Promise<ScriptedJibri> {
    const j = await startScriptedJibri({ edgeWs: wsBase(), id, secret: SECRET });
    jibris.push(j);
    return j;
  }

  /** Sends a jibri IQ to the focus occupant; resolves with the answer, result or error. */
  async function ask(c: TestClient, room: string, attrs: Record<string, string>): Promise<Element> {
    const id = `rec-${Math.random().toString(36).slice(2, 8)}`;
    await c.send(xml('iq', { type: 'set', id, to: `${room}@${MUC}/focus` }, xml('jibri', { xmlns: NS_JIBRI, ...attrs })));
    return c.waitFor((s) => s.name === 'iq' && s.attrs.id === id, 15_000);
  }

  const condition = (iq: Element) => iq.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

  /** Waits for the focus's presence to carry a recording status matching `attrs`. */
  const focusStatus = (c: TestClient, room: string, attrs: Record<string, string>, timeoutMs = 10_000) => c.waitFor((s) => {
    if (s.name !== 'presence' || s.attrs.from !== `${room}@${MUC}/focus`) return false;
    const st = s.getChild('jibri-recording-status', NS_JIBRI);
    return st !== undefined && Object.entries(attrs).every(([k, v]) => st.attrs[k] === v);
  }, timeoutMs);

  it('with no recorder registered, a start is service-unavailable', async () => {
    const alice = await participant('rec-none', 'alice');
    const answer = await ask(alice, 'rec-none', { action: 'start', recording_mode: 'file' });
    expect(condition(answer)).toBe('service-unavailable');
  });

  it('a moderator records: result with a session id, on with the initiator, the recorder in the room as a hidden occupant, off on stop; a non-moderator is refused', async () => {
    const room = 'rec-main';
    const j = await jibri('jibri-1');
    const alice = await participant(room, 'alice');
    const bob = await participant(room, 'bob');
    expect(condition(await ask(bob, room, { action: 'start', recording_mode: 'file' }))).toBe('not-allowed');
    expect(j.requests).toEqual([]);

    const answer = await ask(alice, room, { action: 'start', recording_mode: 'file', app_data: '{"file_recording_metadata":{"share":true}}' });
    expect(answer.attrs.type).toBe('result');
    const sessionId = String(answer.getChild('jibri', NS_JIBRI)?.attrs.session_id);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(j.requests[0]).toMatchObject({ action: 'start', recording_mode: 'file', room: `${room}@${MUC}`, session_id: sessionId });

    const link = await j.waitOn();
    expect(link.jid).toMatch(/^jibri-1@recorder\.meet\.jitsi\//);
    const on = await focusStatus(bob, room, { status: 'on', session_id: sessionId });
    expect(on.getChild('jibri-recording-status', NS_JIBRI)?.attrs).toMatchObject({ recording_mode: 'file', initiator: `${room}@${MUC}/alice` });
    // The recorder's own occupant: its real JID on the hidden domain, session id and mode, no moderator.
    const occupant = await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}@${MUC}/jibri-1`);
    const item = occupant.getChild('x', NS_MUC_USER)?.getChild('item');
    expect(item?.attrs).toMatchObject({ role: 'participant', affiliation: 'none' });
    expect(String(item?.attrs.jid)).toMatch(/@recorder\.meet\.jitsi\//);
    expect(occupant.getChildText('session_id')).toBe(sessionId);
    expect(occupant.getChildText('mode')).toBe('file');

    // One session per conference.
    expect(condition(await ask(alice, room, { action: 'start', recording_mode: 'file' }))).toBe('unexpected-request');
    const stop = await ask(alice, room, { action: 'stop' });
    expect(stop.attrs.type).toBe('result');
    expect(await j.waitStop()).toMatchObject({ action: 'stop', session_id: sessionId });
    const off = await focusStatus(bob, room, { status: 'off', session_id: sessionId });
    expect(off.getChild('jibri-recording-status', NS_JIBRI)?.attrs.initiator).toBe(`${room}@${MUC}/alice`);
    await bob.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}@${MUC}/jibri-1` && s.attrs.type === 'unavailable');
    expect(condition(await ask(alice, room, { action: 'stop' }))).toBe('item-not-found');
  });

  it('with every recorder busy, a start is resource-constraint', async () => {
    const room = 'rec-busy';
    const j = jibris[0]!;
    await j.setBusy(true);
    const alice = await participant(room, 'alice');
    // The brewery presence reaches the Registry before the request does.
    await expect.poll(async () => condition(await ask(alice, room, { action: 'start', recording_mode: 'file' })), { timeout: 5000 }).toBe('resource-constraint');
    await j.setBusy(false);
  });

  it('the recorder\'s control connection dropping mid-recording: status off with failure_reason error', async () => {
    const room = 'rec-drop';
    const j = await jibri('jibri-2');
    // Only this recorder is free: the first one is made busy.
    await jibris[0]!.setBusy(true);
    const alice = await participant(room, 'alice');
    await participant(room, 'bob');
    // Brewery presences reach the Registry before the request does; until then the answer is resource-constraint.
    let answer = await ask(alice, room, { action: 'start', recording_mode: 'file' });
    for (let i = 0; i < 20 && answer.attrs.type !== 'result'; i++) {
      expect(condition(answer)).toBe('resource-constraint');
      await new Promise((r) => setTimeout(r, 100));
      answer = await ask(alice, room, { action: 'start', recording_mode: 'file' });
    }
    expect(answer.attrs.type).toBe('result');
    expect(j.requests[0]).toMatchObject({ action: 'start', room: `${room}@${MUC}` });
    await j.waitOn();
    await focusStatus(alice, room, { status: 'on' });
    await j.dropControl();
    const off = await focusStatus(alice, room, { status: 'off', failure_reason: 'error' });
    expect(off.getChild('jibri-recording-status', NS_JIBRI)?.attrs.initiator).toBeUndefined();
    await jibris[0]!.setBusy(false);
  });

  it('the room emptying stops the recording: the recorder is told and the focus\'s status goes off', async () => {
    const room = 'rec-empty';
    const j = jibris[0]!;
    const alice = await participant(room, 'alice');
    const bob = await participant(room, 'bob');
    const answer = await ask(alice, room, { action: 'start', recording_mode: 'file' });
    expect(answer.attrs.type).toBe('result');
    const sessionId = String(answer.getChild('jibri', NS_JIBRI)?.attrs.session_id);
    const link = await j.waitOn();
    await focusStatus(alice, room, { status: 'on', session_id: sessionId });
    const stopsBefore = j.requests.filter((r) => r.action === 'stop').length;
    await bob.stop();
    await alice.stop();
    await expect.poll(() => j.requests.filter((r) => r.action === 'stop').length, { timeout: 10_000 }).toBe(stopsBefore + 1);
    expect(j.requests.at(-1)).toMatchObject({ action: 'stop', session_id: sessionId });
    // The recorder, last in the room, sees the focus say off (no initiator: the focus stopped it).
    const off = await link.waitFor((s) => s.name === 'presence' && s.attrs.from === `${room}@${MUC}/focus`
      && s.getChild('jibri-recording-status', NS_JIBRI)?.attrs.status === 'off');
    expect(off.getChild('jibri-recording-status', NS_JIBRI)?.attrs).toMatchObject({ session_id: sessionId, recording_mode: 'file' });
  });
});
