/// <reference lib="dom" />
/**
 * The web app through two bridge failures, run inside a network namespace with only loopback
 * (web-app-failover.test.ts starts it): the real edge serving the built app, media nodes as their
 * own processes, three Debian Chromium pages in one room.
 *
 * 1. kill -9 of the node carrying the call (the one whose /about/stats counts endpoints): the focus
 *    moves everyone to the other node; each page must keep its participants and tiles and decode
 *    both others' video and audio again on a new peer connection.
 * 2. a third node is started; SIGTERM of the node now carrying the call, whose DRAIN_TIMEOUT_MS is
 *    1 s: the drain times out, the node announces it is shutting down and the call moves to the
 *    third node while it still forwards; per page the longest gap in decoded video frames.
 *
 * Prints one JSON line (see Result in the .test.ts).
 */
import type { Page } from 'playwright-core';
import { openPrejoin } from '../helpers/web-app.ts';
import { startNodeProcess, startWorld, stopNodeProcess, type NodeProcess } from '../interop/ljm-harness.ts';
import { installProbe, type ChannelTrace, type JingleTrace, type ProbeSample } from './failover-probe.ts';

const SECRET = 'interop-bridge-secret-0123456789';
const DRAIN = { DRAIN_TIMEOUT_MS: '1000', SHUTDOWN_MOVE_MS: '10000' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const result: Record<string, unknown> = {};
const errors: string[] = [];
const warnings: string[] = [];
const world = await startWorld({}, DRAIN);
const nodeEnv = (id: string) => ({
  EDGE_URL: world.edge.url.replace(/^http/, 'ws'), BRIDGE_SECRET: SECRET, NODE_ID: id, MEDIA_UDP_HOST: '127.0.0.1',
  MEDIA_UDP_PORT: '0', HTTP_PORT: '0', STATS_INTERVAL_MS: '500', ...DRAIN,
});
const extraNodes: NodeProcess[] = [];

async function registered(id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { bridges } = await (await fetch(`${world.edge.url}/about/bridges`)).json() as { bridges: Array<{ id: string; connected: boolean }> };
    if (bridges.some((b) => b.id === id && b.connected)) return;
    await sleep(100);
  }
  throw new Error(`node ${id} did not register`);
}

async function startNode(id: string): Promise<NodeProcess> {
  const n = await startNodeProcess(nodeEnv(id));
  extraNodes.push(n);
  await registered(id);
  return n;
}

/** The node whose /about/stats counts endpoints (the one carrying the call). */
async function carrier(nodes: NodeProcess[]): Promise<NodeProcess> {
  for (const n of nodes) {
    if (n.process.exitCode !== null || n.process.signalCode !== null) continue;
    const stats = await (await fetch(`${n.httpUrl}/about/stats`)).json() as { endpoints: number };
    if (stats.endpoints > 0) return n;
  }
  throw new Error('no node carries the call');
}

async function join(room: string, name: string): Promise<Page> {
  const page = await world.browser.newPage({ viewport: { width: 1000, height: 700 } });
  await page.addInitScript(installProbe);
  page.on('pageerror', (e) => errors.push(`${name} pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${name}: ${m.text()}`);
    if (m.type() === 'warning') warnings.push(`${name}: ${m.text()}`);
  });
  await openPrejoin(page, world.edge.url, room, name);
  await page.click('#join');
  return page;
}

const samples = (p: Page) => p.evaluate(() => (window as unknown as { __samples: ProbeSample[] }).__samples);
const jingle = (p: Page) => p.evaluate(() => (window as unknown as { __jingle: JingleTrace[] }).__jingle);

/**
 * The bridge channels a page opened since `since`, and whether every channel opened before then is
 * closed: per new channel the node it went to (by HTTP port), whether it opened, and the last
 * receiver constraints the page sent on it.
 */
async function channelsSince(p: Page, since: number, nodes: Array<{ name: string; node: NodeProcess }>) {
  const all = await p.evaluate(() => (window as unknown as { __channels: ChannelTrace[] }).__channels);
  const nodeOf = (url: string) => nodes.find((n) => new URL(n.node.httpUrl).port === new URL(url).port)?.name ?? url;
  return {
    oldOpen: all.filter((c) => c.t < since && c.closedAt === undefined).length,
    opened: all.filter((c) => c.t >= since).map((c) => ({
      node: nodeOf(c.url), open: c.openedAt !== undefined && c.closedAt === undefined,
      constraints: c.sent.filter((m) => m.colibriClass === 'ReceiverVideoConstraints').at(-1)?.message ?? null,
    })),
  };
}

/** The heights of the remote videos a page's small tiles show (not the speaker's large tile, which asks for more). */
const tileHeights = (p: Page) => p.evaluate(() => [...document.querySelectorAll<HTMLVideoElement>('.tile:not([data-id="local"]):not(.large) video')].map((v) => v.videoHeight));

/** Per remote tile: whether its video and audio progressed in the last `ms` on the meeting's current peer connection. */
async function flowNow(p: Page, ms = 1000): Promise<{ pc: number; video: number; audio: number }> {
  await sleep(ms);
  const s = (await samples(p)).filter((x) => x.t >= Date.now() - ms);
  const pc = s.at(-1)?.pc ?? -1;
  const ids = new Set(s.flatMap((x) => x.tiles));
  const grew = (kind: 'video' | 'audio') => [...ids].filter((id) => s.some((x) => x.pc === pc && x[kind][id]?.includes(pc))).length;
  return { pc, video: grew('video'), audio: grew('audio') };
}

async function waitFlowing(p: Page, timeoutMs: number): Promise<{ pc: number; video: number; audio: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = await flowNow(p);
  while ((last.video < 2 || last.audio < 2) && Date.now() < deadline) last = await flowNow(p);
  return last;
}

/**
 * After `since`: the first time at which every remote tile's video and audio had progressed on a
 * peer connection other than `oldPc` (the page decodes everything again), or null.
 */
function recoveredAt(s: ProbeSample[], since: number, oldPc: number): number | null {
  const after = s.filter((x) => x.t > since);
  const ids = new Set(after.flatMap((x) => x.tiles));
  let latest = 0;
  for (const id of ids) {
    for (const kind of ['video', 'audio'] as const) {
      const first = after.find((x) => x[kind][id]?.some((pc) => pc !== oldPc));
      if (!first) return null;
      latest = Math.max(latest, first.t);
    }
  }
  return ids.size > 0 ? latest : null;
}

/** Per remote tile, the longest time between two samples at which its `kind` progressed (any peer connection), within [from, to]. */
function longestGap(s: ProbeSample[], from: number, to: number, kind: 'video' | 'audio'): Record<string, { ms: number; after: number }> {
  const inside = s.filter((x) => x.t >= from && x.t <= to);
  const ids = new Set(inside.flatMap((x) => x.tiles));
  const out: Record<string, { ms: number; after: number }> = {};
  for (const id of ids) {
    const times = [from, ...inside.filter((x) => (x[kind][id]?.length ?? 0) > 0).map((x) => x.t), to];
    const gaps = times.slice(1).map((t, i) => ({ ms: t - times[i]!, after: times[i]! - from }));
    out[id] = gaps.reduce((a, b) => (b.ms > a.ms ? b : a));
  }
  return out;
}

/** What each page listed during [from, to]: the distinct tile sets and participant counts it showed. */
function listings(s: ProbeSample[], from: number, to: number): { tileSets: string[]; people: number[] } {
  const inside = s.filter((x) => x.t >= from && x.t <= to);
  return { tileSets: [...new Set(inside.map((x) => [...x.tiles].sort().join(',')))], people: [...new Set(inside.map((x) => x.people))] };
}

try {
  const room = 'web-failover';
  const names = ['Alice', 'Bob', 'Carol'];
  const pages: Page[] = [];
  for (const n of names) pages.push(await join(room, n));
  const second = await startNode('failover-b');
  const nodes = [world.node, second];
  await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { __startProbe(): void }).__startProbe())));
  result.ids = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { meeting: { myId: string } }).meeting.myId)));
  result.before = await Promise.all(pages.map((p) => waitFlowing(p, 20_000)));
  // Everyone shows every other participant's tile, and the participants list has all three.
  const steady = Date.now();
  result.tilesBefore = await Promise.all(pages.map((p) => p.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent).sort())));

  // 1. kill -9 of the carrying node.
  const first = await carrier(nodes);
  result.killed = first === world.node ? 'interop-node' : 'failover-b';
  const oldPcs = (result.before as Array<{ pc: number }>).map((f) => f.pc);
  const killedAt = Date.now();
  first.process.kill('SIGKILL');
  const recovered: Array<number | null> = [null, null, null];
  for (const deadline = killedAt + 30_000; Date.now() < deadline && recovered.some((r) => r === null);) {
    await sleep(200);
    for (const [i, p] of pages.entries()) recovered[i] ??= recoveredAt(await samples(p), killedAt, oldPcs[i]!);
  }
  result.killRecoveredMs = recovered.map((t) => (t === null ? null : t - killedAt));
  // Then everything flows on the new session: polled for up to 5 s, as one tile's video has stalled
  // for a second or two right after the recovery (a layer switch waiting for a keyframe).
  result.afterKill = await Promise.all(pages.map((p) => waitFlowing(p, 5000)));
  if (process.env.FAILOVER_DEBUG) result.debugAfterKill = await Promise.all(pages.map((p) => p.evaluate(async () => {
    const w = window as unknown as { __pcs: RTCPeerConnection[]; __samples: unknown[] };
    const tiles = [...document.querySelectorAll<HTMLElement>('.tile:not([data-id="local"])')].map((t) => ({
      id: t.dataset.id, tracks: ((t.querySelector('video')?.srcObject as MediaStream | null)?.getTracks() ?? []).map((x) => `${x.kind}:${x.id}:${x.readyState}`),
    }));
    const pcs = await Promise.all(w.__pcs.map(async (pc) => {
      const inbound: string[] = [];
      if (pc.signalingState !== 'closed') (await pc.getStats()).forEach((s: Record<string, unknown>) => { if (s.type === 'inbound-rtp') inbound.push(`${String(s.kind)} ${String(s.mid)} ${String(s.trackIdentifier)} ${String(s.framesDecoded ?? s.totalSamplesReceived)}`); });
      return { state: `${pc.signalingState}/${pc.connectionState}`, inbound, transceivers: pc.signalingState === 'closed' ? [] : pc.getTransceivers().map((t) => `${t.mid} ${t.currentDirection} ${t.receiver.track.id}`) };
    }));
    return { tiles, pcs, samples: w.__samples.slice(-2) };
  })));
  const settled = Date.now();
  result.killListings = await Promise.all(pages.map(async (p) => listings(await samples(p), killedAt - 1000, settled)));
  result.tilesAfterKill = await Promise.all(pages.map((p) => p.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent).sort())));
  result.errorShown = await Promise.all(pages.map((p) => p.$eval('.error[role="alert"]', (e) => ((e as HTMLElement).hidden ? '' : e.textContent ?? ''))));
  const named = [{ name: 'interop-node', node: world.node }, { name: 'failover-b', node: second }];
  result.channelsAfterKill = await Promise.all(pages.map((p) => channelsSince(p, killedAt, named)));
  result.heightsAfterKill = await Promise.all(pages.map(tileHeights));
  result.pcCountAfterKill = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length)));
  result.jingleAfterKill = await Promise.all(pages.map(async (p) => (await jingle(p)).filter((j) => j.t >= killedAt).map((j) => `${j.t - killedAt} ${j.dir} ${j.action} ${j.sid}${j.text ? ` (${j.text})` : ''}`)));

  // 2. SIGTERM of the node now carrying the call, whose drain times out after 1 s; a third node takes the call.
  const third = await startNode('failover-c');
  const live = [...nodes.filter((n) => n !== first), third];
  const draining = await carrier(live);
  result.drained = draining === third ? 'failover-c' : draining === world.node ? 'interop-node' : 'failover-b';
  const pcsBeforeDrain = (result.afterKill as Array<{ pc: number }>).map((f) => f.pc);
  await sleep(2000);
  const termAt = Date.now();
  const drainExit = new Promise<number | string>((resolve) => draining.process.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  draining.process.kill('SIGTERM');
  const drainRecovered: Array<number | null> = [null, null, null];
  for (const deadline = termAt + 30_000; Date.now() < deadline && drainRecovered.some((r) => r === null);) {
    await sleep(200);
    for (const [i, p] of pages.entries()) drainRecovered[i] ??= recoveredAt(await samples(p), termAt, pcsBeforeDrain[i]!);
  }
  result.drainRecoveredMs = drainRecovered.map((t) => (t === null ? null : t - termAt));
  await sleep(2000);
  const drainEnd = Date.now();
  const all = await Promise.all(pages.map((p) => samples(p)));
  result.drainVideoGapMs = all.map((s) => longestGap(s, termAt, drainEnd, 'video'));
  result.drainAudioGapMs = all.map((s) => longestGap(s, termAt, drainEnd, 'audio'));
  result.drainListings = all.map((s) => listings(s, termAt, drainEnd));
  result.drainExit = await Promise.race([drainExit, sleep(15_000).then(() => 'still running')]);
  result.afterDrain = await Promise.all(pages.map((p) => waitFlowing(p, 10_000)));
  result.pcsAfterDrain = (result.afterDrain as Array<{ pc: number }>).map((f) => f.pc);
  result.carrierAfterDrain = await carrier([third]).then(() => 'failover-c', () => 'none');
  named.push({ name: 'failover-c', node: third });
  result.channelsAfterDrain = await Promise.all(pages.map((p) => channelsSince(p, termAt, named)));
  result.heightsAfterDrain = await Promise.all(pages.map(tileHeights));
  result.tilesAfterDrain = await Promise.all(pages.map((p) => p.$$eval('.tile:not([data-id="local"]) .name', (els) => els.map((e) => e.textContent).sort())));
  result.jingleAfterDrain = await Promise.all(pages.map(async (p) => (await jingle(p)).filter((j) => j.t >= termAt).map((j) => `${j.t - termAt} ${j.dir} ${j.action} ${j.sid}${j.text ? ` (${j.text})` : ''}`)));
  // Leaves seen at all: the samples' participant counts over the whole run.
  result.seenSinceSteady = all.map((s) => listings(s, steady, drainEnd));
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  result.console = errors.slice(0, 30);
  result.warnings = warnings.slice(0, 30);
  for (const n of extraNodes) await stopNodeProcess(n).catch(() => undefined);
  await world.stop();
}
console.log(JSON.stringify(result));
