/**
 * Seeded fuzzer for the edge's XMPP signalling: an attacker in a room sends mutations of real
 * Jitsi stanzas (stanza-mutator.ts) to the room, its occupants, the focus, the av_moderation
 * component and the server. Oracle, after every batch: control clients in the same room and in
 * another room still get answers (a groupchat round trip, a server ping, the focus's conference
 * answer), and no reply to the attacker was `internal-server-error` (an error nobody classified).
 * The attacker may be disconnected by stream errors; it reconnects and carries on.
 */
import { serialize } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { FrameClient, conditionOf, where } from '../helpers/frame-client.ts';
import { joinRoom, xml, type TestClient } from '../helpers/xmpp-client.ts';
import { Prng } from './prng.ts';
import { seedStanzas, stanzaCase, type StanzaTargets } from './stanza-mutator.ts';

export interface XmppFinding { caseIndex: number; kind: string; what: string }
export interface XmppFuzzReport { seed: number; cases: number; sent: number; reconnects: number; findings: XmppFinding[]; elapsedMs: number; kinds: Record<string, number> }

const MUC = 'conference.meet.jitsi';
const BATCH = 25;

async function attacker(edge: RunningEdge, room: string): Promise<FrameClient> {
  const raw = await FrameClient.open(`${edge.wsUrl}?room=${room}`);
  await raw.login();
  raw.send(`<iq type="set" id="conf" to="focus.meet.jitsi" xmlns="jabber:client"><conference xmlns="http://jitsi.org/protocol/focus" room="${room}@${MUC}"/></iq>`);
  raw.send(`<presence to="${room}@${MUC}/mallory" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
  await raw.next(where.status('110'));
  return raw;
}

let nonce = 0;
async function answers(a: TestClient, b: TestClient, room: string): Promise<string | null> {
  const text = `fuzz-oracle-${++nonce}`;
  await a.send(xml('message', { to: `${room}@${MUC}`, type: 'groupchat' }, xml('body', null, text)));
  try {
    await b.waitFor((s) => s.getChildText('body') === text, 5000);
  } catch {
    return `no groupchat round trip in ${room}`;
  }
  try {
    const pong = await a.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    if (pong.attrs.type !== 'result') return `server ping in ${room}: ${pong.toString()}`;
    const ready = await a.iq(xml('iq', { type: 'set', to: 'focus.meet.jitsi' }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: `${room}@${MUC}` })));
    if (ready.getChild('conference')?.attrs.ready !== 'true') return `focus not ready in ${room}`;
  } catch (err) {
    return `no answer in ${room}: ${(err as Error).message.slice(0, 200)}`;
  }
  return null;
}

export async function fuzzXmpp(options: { seed: number; cases: number; log?: (line: string) => void; edge?: RunningEdge }): Promise<XmppFuzzReport> {
  const started = performance.now();
  const rnd = new Prng(options.seed);
  const log = options.log ?? (() => undefined);
  const edge = options.edge ?? await startEdge({ LOG_LEVEL: 'error', RATE_LIMIT_STANZAS_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
  const room = `fuzz${options.seed}`;
  const other = `other${options.seed}`;
  const targets: StanzaTargets = {
    room: `${room}@${MUC}`, focusOccupant: `${room}@${MUC}/focus`, occupant: `${room}@${MUC}/control-b`,
    focus: 'focus.meet.jitsi', avModeration: 'avmoderation.meet.jitsi', server: 'meet.jitsi',
  };
  const seeds = seedStanzas(targets);
  const controls = [
    await joinRoom(edge.wsUrl, room, 'control-a'), await joinRoom(edge.wsUrl, room, 'control-b'),
    await joinRoom(edge.wsUrl, other, 'other-a'), await joinRoom(edge.wsUrl, other, 'other-b'),
  ] as const;
  const findings: XmppFinding[] = [];
  const kinds: Record<string, number> = {};
  let raw = await attacker(edge, room);
  let sent = 0;
  let reconnects = 0;
  let seen = 0;
  try {
    for (let first = 0; first < options.cases; first += BATCH) {
      const batch: Array<{ index: number; kind: string }> = [];
      for (let i = first; i < Math.min(options.cases, first + BATCH); i++) {
        const c = stanzaCase(rnd, seeds, targets, i);
        batch.push({ index: i, kind: c.kind });
        kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
        if (raw.closed) {
          reconnects += 1;
          raw = await attacker(edge, room);
          seen = 0;
        }
        raw.send(c.text);
        sent += 1;
      }
      const why = (await answers(controls[0], controls[1], room)) ?? (await answers(controls[2], controls[3], other));
      if (why) {
        findings.push({ caseIndex: batch.at(-1)!.index, kind: `batch ${batch[0]!.index}–${batch.at(-1)!.index}: ${[...new Set(batch.map((b) => b.kind))].join(', ')}`, what: why });
        log(`finding after case ${batch.at(-1)!.index}: ${why}`);
        break;
      }
      const internal = raw.received((el) => conditionOf(el) === 'internal-server-error');
      for (; seen < internal.length; seen++) {
        const el = internal[seen]!;
        const index = Number(/^fz(\d+)$/.exec(String(el.attrs.id ?? ''))?.[1] ?? -1);
        const f = { caseIndex: index, kind: batch.find((b) => b.index === index)?.kind ?? '?', what: `internal-server-error: ${serialize(el).slice(0, 300)}` };
        findings.push(f);
        log(`finding at case ${index} (${f.kind}): ${f.what}`);
      }
    }
  } finally {
    raw.ws.close();
    await Promise.all(controls.map((c) => c.stop()));
    if (!options.edge) await edge.stop();
  }
  return { seed: options.seed, cases: options.cases, sent, reconnects, findings, elapsedMs: Math.round(performance.now() - started), kinds };
}
