/**
 * Seeded fuzzer for a media node's bridge channel (colibri-ws): mutations of the golden client
 * messages (test/fixtures/bridge-channel), deep nesting, huge arrays and wrong types, sent by one
 * endpoint of a conference. Oracle, after every batch: the node process is alive and still
 * serving — an EndpointMessage round trip between two other endpoints of the same conference
 * and of another conference, `/about/health` — and no handler failure was logged or counted
 * (`/about/stats` `faults`). A batch that kills the node is replayed case by case on a fresh node
 * to name the culprit.
 */
import { readFileSync } from 'node:fs';
import { ChannelPeer } from './channel-peer.ts';
import { bridgeCase, type FuzzCase } from './json-mutator.ts';
import { startNodeProcess, type NodeProcess } from './node-process.ts';
import { Prng } from './prng.ts';

export interface Finding { caseIndex: number; kind: string; what: string; detail?: string }
export interface FuzzReport {
  seed: number; cases: number; sent: number; findings: Finding[]; elapsedMs: number;
  /** Cases by kind of mutation (the number in a kind, such as a nesting depth, left out). */
  kinds: Record<string, number>;
  /** The last node's refusals (`/about/stats` `rejected`): proof the cases reached it. */
  rejected: Record<string, number>;
}

const SEEDS = JSON.parse(readFileSync(new URL('../fixtures/bridge-channel/ljm-2021-client-messages.json', import.meta.url), 'utf8')) as Array<Record<string, never>>;
const BATCH = 25;

interface Peers { attacker: ChannelPeer; a: ChannelPeer; b: ChannelPeer; otherA: ChannelPeer; otherB: ChannelPeer }

async function openPeers(node: NodeProcess): Promise<Peers> {
  const fuzz = node.conferences.fuzz!;
  const other = node.conferences.other!;
  const [attacker, a, b, otherA, otherB] = await Promise.all([
    fuzz.attacker!, fuzz['control-a']!, fuzz['control-b']!, other['other-a']!, other['other-b']!,
  ].map((url) => ChannelPeer.open(url)));
  return { attacker: attacker!, a: a!, b: b!, otherA: otherA!, otherB: otherB! };
}

let nonce = 0;
/** One EndpointMessage from `from` to `toId` arrives at `to`. */
async function roundTrip(from: ChannelPeer, to: ChannelPeer, toId: string): Promise<boolean> {
  const n = ++nonce;
  to.clear();
  from.send(JSON.stringify({ colibriClass: 'EndpointMessage', to: toId, msgPayload: { type: 'fuzz-ping', nonce: n } }));
  return (await to.waitFor((f) => (f as { msgPayload?: { nonce?: number } }).msgPayload?.nonce === n, 3000)) !== null;
}

/** What is wrong with the node now, or null if it is alive, serving, and has counted no fault. */
function exited(node: NodeProcess): string {
  const stack = node.stderr.trim().split('\n').filter((l) => /Error|at /.test(l)).slice(0, 4).map((l) => l.trim()).join(' | ');
  return `media node exited (${node.exit!.signal ?? `code ${node.exit!.code}`}): ${stack}`;
}

async function check(node: NodeProcess, peers: Peers): Promise<string | null> {
  if (node.exit) return exited(node);
  if (!(await roundTrip(peers.a, peers.b, 'control-b'))) {
    await new Promise((r) => setTimeout(r, 300));
    return node.exit ? exited(node) : 'no EndpointMessage round trip in the attacked conference';
  }
  if (!(await roundTrip(peers.otherA, peers.otherB, 'other-b'))) return 'no EndpointMessage round trip in another conference';
  try {
    const health = await (await fetch(`http://127.0.0.1:${node.http}/about/health`)).json() as { status?: string };
    if (health.status !== 'ok') return `health: ${JSON.stringify(health)}`;
    const stats = await (await fetch(`http://127.0.0.1:${node.http}/about/stats`)).json() as { faults?: Record<string, number> };
    const faults = Object.entries(stats.faults ?? {}).filter(([, n]) => n > 0);
    if (faults.length > 0) return `handler faults counted: ${JSON.stringify(Object.fromEntries(faults))}`;
  } catch (err) {
    return `HTTP side not answering: ${(err as Error).message}`;
  }
  const errors = node.problems.filter((p) => p.level === 'error');
  if (errors.length > 0) return `error logged: ${JSON.stringify(errors.splice(0)[0]).slice(0, 300)}`;
  return null;
}

/** Sends each case of a failing batch to a fresh node until one of them alone fails. */
async function culprit(batch: ReadonlyArray<{ index: number; c: FuzzCase }>): Promise<{ index: number; c: FuzzCase; why: string } | null> {
  for (const item of batch) {
    const node = await startNodeProcess();
    try {
      const peers = await openPeers(node);
      peers.attacker.send(item.c.text);
      const why = await check(node, peers);
      for (const p of Object.values(peers)) p.close();
      if (why) return { ...item, why };
    } finally {
      await node.stop();
    }
  }
  return null;
}

export async function fuzzBridgeChannel(options: { seed: number; cases: number; log?: (line: string) => void }): Promise<FuzzReport> {
  const started = performance.now();
  const rnd = new Prng(options.seed);
  const log = options.log ?? (() => undefined);
  const findings: Finding[] = [];
  let node = await startNodeProcess();
  let peers = await openPeers(node);
  let sent = 0;
  const kinds: Record<string, number> = {};
  let rejected: Record<string, number> = {};
  try {
    for (let first = 0; first < options.cases; first += BATCH) {
      const batch: Array<{ index: number; c: FuzzCase }> = [];
      for (let i = first; i < Math.min(options.cases, first + BATCH); i++) {
        const c = bridgeCase(rnd, SEEDS, ['', 'control-a', 'control-b', 'nobody', 'attacker']);
        batch.push({ index: i, c });
        const kind = c.kind.replace(/ \d+$/, '');
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        // The node may close a channel that sent too much (frame limit): that is allowed, reopen it.
        if (peers.attacker.closed) peers.attacker = await ChannelPeer.open(node.conferences.fuzz!.attacker!);
        peers.attacker.send(c.text);
        sent += 1;
      }
      const why = await check(node, peers);
      if (!why) continue;
      const found = await culprit(batch);
      const last = batch.at(-1)!;
      const f: Finding = found
        ? { caseIndex: found.index, kind: found.c.kind, what: found.why, detail: found.c.text.slice(0, 120) }
        : { caseIndex: last.index, kind: `batch ${batch[0]!.index}–${last.index}`, what: why };
      findings.push(f);
      log(`finding at case ${f.caseIndex} (${f.kind}): ${f.what}`);
      // Carry on with a fresh node: a dead one finds nothing more.
      for (const p of Object.values(peers)) p.close();
      await node.stop();
      node = await startNodeProcess();
      peers = await openPeers(node);
    }
    if (!node.exit) rejected = ((await (await fetch(`http://127.0.0.1:${node.http}/about/stats`)).json()) as { rejected?: Record<string, number> }).rejected ?? {};
  } finally {
    for (const p of Object.values(peers)) p.close();
    await node.stop();
  }
  return { seed: options.seed, cases: options.cases, sent, findings, elapsedMs: Math.round(performance.now() - started), kinds, rejected };
}
