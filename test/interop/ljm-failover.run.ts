/// <reference lib="dom" />
/**
 * A media node dies (or drains to its timeout) under a 3-party call of today's lib-jitsi-meet: run
 * inside a network namespace with only loopback (ljm-failover.test.ts and bench/failover.ts start
 * it). The edge, two media nodes as their own processes, three Chromium pages.
 *
 * `KILLS` (default 1) times: the node carrying the call gets SIGKILL, and the time until every page
 * decodes both others' video and audio again (on a new session) is measured; a fresh node then
 * replaces the dead one, so there are always two. Then, with `DRAIN=1` (default), the carrier gets
 * SIGTERM with a drain timeout of 1 s: the longest time any page went without a new decoded video
 * frame from someone is measured. Prints one JSON line.
 */
import { flowDelta, startCurrentLjmPages, startNodeProcess, startWorld, type FlowSnapshot, type LjmPage, type NodeProcess } from './ljm-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KILLS = Number(process.env.KILLS ?? 1);
const DRAIN = process.env.DRAIN !== '0';
const SECRET = 'interop-bridge-secret-0123456789';
const result: {
  error?: string; kills: Array<{ node: string; recoveredMs: number[]; allMs: number }>; drain?: { node: string; maxGapMs: number[]; moved: boolean; exitedMs: number };
  left: string[][]; participants: number[]; pageErrors: string[][]; libraryErrors: string[][]; jingle?: unknown;
} = { kills: [], left: [], participants: [], pageErrors: [], libraryErrors: [] };

// A long grace period: moves that happen quickly are the Registry's health probe at work.
const world = await startWorld({ BRIDGE_GRACE_SECONDS: '60' }, { DRAIN_TIMEOUT_MS: '1000', SHUTDOWN_MOVE_MS: '15000' });
const edgeWs = world.edge.url.replace(/^http/, 'ws');
let serial = 1;
const nodes: NodeProcess[] = [world.node];
async function addNode(): Promise<NodeProcess> {
  serial += 1;
  const id = `interop-node-${serial}`;
  const n = await startNodeProcess({
    EDGE_URL: edgeWs, BRIDGE_SECRET: SECRET, NODE_ID: id, MEDIA_UDP_HOST: '127.0.0.1', MEDIA_UDP_PORT: '0', HTTP_PORT: '0',
    STATS_INTERVAL_MS: '500', DRAIN_TIMEOUT_MS: '1000', SHUTDOWN_MOVE_MS: '15000',
  });
  for (let i = 0; i < 100; i++) {
    const { bridges } = await (await fetch(`${world.edge.url}/about/bridges`)).json() as { bridges: Array<{ id: string; connected: boolean }> };
    if (bridges.some((b) => b.id === id && b.connected)) break;
    await sleep(100);
  }
  nodes.push(n);
  return n;
}

async function endpointsOn(n: NodeProcess): Promise<number> {
  try {
    return ((await (await fetch(`${n.httpUrl}/about/stats`)).json()) as { endpoints: number }).endpoints;
  } catch {
    return 0;
  }
}

async function carrier(): Promise<NodeProcess> {
  for (const n of nodes) if (n.process.exitCode === null && n.process.signalCode === null && (await endpointsOn(n)) > 0) return n;
  throw new Error('no node carries the call');
}

/** Per page: whether it now decodes video and audio from both others (growing since `since`). */
function decodingAll(since: FlowSnapshot, now: FlowSnapshot, others: number): boolean {
  const d = Object.values(flowDelta(since, now));
  return d.filter((x) => x.video > 0).length >= others && d.filter((x) => x.audio > 0).length >= others;
}

/** Polls every page until it decodes everyone else again on a session other than `oldSids[i]`; ms after `t0` per page. */
async function recovery(pages: LjmPage[], oldSids: Array<string | null>, t0: number, timeoutMs = 30_000): Promise<number[]> {
  const done: Array<number | null> = pages.map(() => null);
  let last = await Promise.all(pages.map((p) => p.flowSnapshot()));
  while (done.some((x) => x === null)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`pages ${done.map((x, i) => (x === null ? pages[i]!.nick : '')).filter(Boolean).join(', ')} did not decode everyone again within ${timeoutMs} ms`);
    await sleep(150);
    const now = await Promise.all(pages.map((p) => p.flowSnapshot()));
    now.forEach((snap, i) => {
      if (done[i] === null && snap.sid !== oldSids[i] && snap.sid !== null && decodingAll(last[i]!, snap, pages.length - 1)) done[i] = Math.round(performance.now() - t0);
    });
    last = now;
  }
  return done as number[];
}

/** Samples every page for `ms`; per page, the longest stretch without a newly decoded frame from some other participant. */
async function longestGaps(pages: LjmPage[], ms: number, stop: () => boolean): Promise<number[]> {
  const t0 = performance.now();
  const lastFrame = pages.map(() => new Map<string, number>());
  const gaps = pages.map(() => 0);
  let prev = await Promise.all(pages.map((p) => p.flowSnapshot()));
  prev.forEach((snap, i) => { for (const id of Object.keys(snap.participants)) lastFrame[i]!.set(id, performance.now()); });
  while (performance.now() - t0 < ms && !stop()) {
    await sleep(100);
    const now = await Promise.all(pages.map((p) => p.flowSnapshot()));
    const t = performance.now();
    now.forEach((snap, i) => {
      const d = flowDelta(prev[i]!, snap);
      for (const [id, x] of Object.entries(d)) if (x.video > 0) lastFrame[i]!.set(id, t);
      for (const at of lastFrame[i]!.values()) gaps[i] = Math.max(gaps[i]!, Math.round(t - at));
    });
    prev = now;
  }
  return gaps;
}

try {
  await addNode();
  const pages = await startCurrentLjmPages(world, 'failover', 3, { nicks: ['alice', 'bob', 'carol'] });
  // Everyone decodes everyone before anything is killed.
  await recovery(pages, pages.map(() => 'none'), performance.now(), 30_000);
  for (let k = 0; k < KILLS; k++) {
    const victim = await carrier();
    const oldSids = (await Promise.all(pages.map((p) => p.flowSnapshot()))).map((s) => s.sid);
    const t0 = performance.now();
    victim.process.kill('SIGKILL');
    const recoveredMs = await recovery(pages, oldSids, t0);
    result.kills.push({ node: String(victim.process.pid), recoveredMs, allMs: Math.max(...recoveredMs) });
    nodes.splice(nodes.indexOf(victim), 1);
    await addNode();
    await sleep(1000);
  }
  if (DRAIN) {
    const victim = await carrier();
    const oldSids = (await Promise.all(pages.map((p) => p.flowSnapshot()))).map((s) => s.sid);
    const t0 = performance.now();
    let exited = false;
    victim.process.once('exit', () => { exited = true; });
    victim.process.kill('SIGTERM');
    const gaps = longestGaps(pages, 20_000, () => exited);
    const maxGapMs = await gaps;
    const exitedMs = Math.round(performance.now() - t0);
    const after = await Promise.all(pages.map((p) => p.flowSnapshot()));
    result.drain = { node: String(victim.process.pid), maxGapMs, moved: after.every((s, i) => s.sid !== oldSids[i]), exitedMs };
    nodes.splice(nodes.indexOf(victim), 1);
    // After the node left, everyone still decodes everyone.
    await recovery(pages, pages.map(() => 'none'), performance.now(), 15_000);
  }
  for (const p of pages) {
    result.left.push(await p.page.evaluate(() => (window as unknown as { ljm: { left: string[] } }).ljm.left));
    result.participants.push(await p.page.evaluate(() => (window as unknown as { ljm: { conference: { getParticipants(): unknown[] } } }).ljm.conference.getParticipants().length));
    result.pageErrors.push(p.pageErrors);
    result.libraryErrors.push(p.libraryErrors);
  }
  result.jingle = await Promise.all(pages.map((p) => p.jingleActions()));
} catch (err) {
  result.error = err instanceof Error ? `${err.message}\n${err.stack}` : String(err);
} finally {
  for (const n of nodes.slice(1)) n.process.kill('SIGKILL');
  await world.stop().catch(() => undefined);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
