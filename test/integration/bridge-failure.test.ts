/**
 * Media nodes that die, blink or shut down under a running call (issue: a dying node must not end
 * anyone's call). Real edge, media nodes as their own processes, participants built from
 * @xmpp/client + werift that exchange audio through the focus and the node.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { joinConference, type Participant } from '../helpers/jingle-participant.ts';
import { registeredBridges, startMediaNodeProcess, type MediaNodeProcess } from '../helpers/media-node-process.ts';

const SECRET = 'bridge-failure-secret-0123456789';

/** Keeps everyone sending audio in short bursts until each receives each other's current SSRC. */
async function everyoneHearsEveryone(people: Participant[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ok = () => people.every((r) => people.every((s) => s === r || (s.ssrc !== null && (r.received.get(s.ssrc) ?? 0) > 3)));
  while (!ok()) {
    if (Date.now() > deadline) {
      const state = people.map((p) => `${p.nick}: ssrc ${p.ssrc}, sessions ${p.sessions.length}, accepted ${p.accepted.length}, received ${JSON.stringify([...p.received])}`);
      throw new Error(`media did not flow in time\n${state.join('\n')}`);
    }
    await Promise.all(people.map((p) => p.sendAudio(3)));
  }
}

/** A TCP relay between a node and the edge, so a test can cut the node's control link while it lives. */
async function relay(targetPort: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

describe('a call survives its media node', () => {
  let edge: RunningEdge;
  const nodes: MediaNodeProcess[] = [];
  const people: Participant[] = [];
  const wsOf = () => edge.url.replace(/^http/, 'ws');

  beforeAll(async () => {
    // A long grace period: a move that happens quickly here was triggered by the health probe, not the timer.
    edge = await startEdge({ BRIDGE_SECRET: SECRET, LOG_LEVEL: process.env.EDGE_LOG_LEVEL ?? 'warn', BRIDGE_GRACE_SECONDS: '60' });
  });
  afterAll(async () => {
    await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
    for (const n of nodes) n.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await edge?.stop();
  });

  async function node(nodeId: string, env: Record<string, string> = {}, edgeUrl = wsOf()): Promise<MediaNodeProcess> {
    const n = await startMediaNodeProcess({ edgeUrl, secret: SECRET, nodeId, env });
    nodes.push(n);
    await expect.poll(async () => (await registeredBridges(edge.url)).some((b) => b.id === nodeId && b.connected), { timeout: 10_000 }).toBe(true);
    return n;
  }

  /** Which of `candidates` carries `room`'s conference (its /about/stats counts endpoints). */
  async function carrier(candidates: MediaNodeProcess[]): Promise<MediaNodeProcess> {
    for (const n of candidates) {
      const stats = (await (await fetch(`${n.httpUrl}/about/stats`)).json()) as { endpoints: number };
      if (stats.endpoints > 0) return n;
    }
    throw new Error('no node carries the call');
  }

  it('kill -9 of the node carrying a 3-party call: everyone moves to the other node long before the grace period, nobody is offered a dead SSRC, audio flows again', async () => {
    const a = await node('fail-a');
    const b = await node('fail-b');
    for (const nick of ['alice', 'bob', 'carol']) people.push(await joinConference(edge.wsUrl, 'failover1', nick));
    await everyoneHearsEveryone(people);
    const inUse = await carrier([a, b]);
    const other = inUse === a ? b : a;
    const before = people.map((p) => p.sessions.length);
    const oldSsrcs = new Set(people.map((p) => p.ssrc!));

    const killedAt = performance.now();
    inUse.kill('SIGKILL');
    await inUse.exited;
    await expect.poll(() => people.every((p, i) => p.accepted.length > before[i]!), { timeout: 20_000 }).toBe(true);
    for (const p of people) p.received.clear();
    await everyoneHearsEveryone(people);
    console.log(`kill -9: everyone hears everyone again ${Math.round(performance.now() - killedAt)} ms after the kill (grace period 60 s)`);
    // Everyone is on the surviving node, and nobody's current SSRC is one of the dead sessions'.
    const stats = (await (await fetch(`${other.httpUrl}/about/stats`)).json()) as { endpoints: number };
    expect(stats.endpoints).toBe(3);
    for (const p of people) expect(oldSsrcs.has(p.ssrc!)).toBe(false);
    expect((await registeredBridges(edge.url)).map((x) => x.id)).not.toContain(inUse.nodeId);
  });

  it('the only node dies and comes back under the same id (npm start restarting it): the call resumes on the new process', async () => {
    // Others from earlier tests would be chosen: this room's bridge is picked among connected ones, so stop them first.
    for (const n of nodes.splice(0)) n.kill('SIGKILL');
    await expect.poll(async () => (await registeredBridges(edge.url)).length, { timeout: 10_000 }).toBe(0);
    const first = await node('solo');
    const pair = [await joinConference(edge.wsUrl, 'restart1', 'hana'), await joinConference(edge.wsUrl, 'restart1', 'ivan')];
    people.push(...pair);
    await everyoneHearsEveryone(pair);
    const before = pair.map((p) => p.accepted.length);
    first.kill('SIGKILL');
    await first.exited;
    await node('solo');
    await expect.poll(() => pair.every((p, i) => p.accepted.length > before[i]!), { timeout: 20_000 }).toBe(true);
    for (const p of pair) p.received.clear();
    await everyoneHearsEveryone(pair);
  });

  it('a blip of a live node\'s control link moves nobody: the node reconnects and the call goes on', async () => {
    const port = Number(new URL(edge.url).port);
    const link = await relay(port);
    try {
      const n = await node('blip-a', {}, `ws://127.0.0.1:${link.port}`);
      const pair = [await joinConference(edge.wsUrl, 'blip1', 'dora'), await joinConference(edge.wsUrl, 'blip1', 'eve')];
      people.push(...pair);
      await everyoneHearsEveryone(pair);
      expect((await carrier([n])).nodeId).toBe('blip-a');
      const sessions = pair.map((p) => p.sessions.length);
      link.cut();
      // It comes back on its own within a second; the probe found it alive, so nothing moved.
      await expect.poll(async () => (await registeredBridges(edge.url)).some((b) => b.id === 'blip-a' && b.connected), { timeout: 5_000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(pair.map((p) => p.sessions.length)).toEqual(sessions);
      for (const p of pair) p.received.clear();
      await everyoneHearsEveryone(pair, 5_000);
    } finally {
      await link.close();
    }
  });

  it('SIGTERM whose drain times out: the node says it is shutting down, the call moves while it still forwards, then it exits', async () => {
    const drainFast = { DRAIN_TIMEOUT_MS: '500', SHUTDOWN_MOVE_MS: '10000' };
    const c = await node('drain-c', drainFast);
    const d = await node('drain-d', drainFast);
    const pair2 = [await joinConference(edge.wsUrl, 'drain1', 'finn'), await joinConference(edge.wsUrl, 'drain1', 'gus')];
    people.push(...pair2);
    await everyoneHearsEveryone(pair2);
    const inUse = await carrier([c, d]);
    const before = pair2.map((p) => p.sessions.length);
    inUse.kill('SIGTERM');
    await expect.poll(() => pair2.every((p, i) => p.accepted.length > before[i]!), { timeout: 20_000 }).toBe(true);
    for (const p of pair2) p.received.clear();
    await everyoneHearsEveryone(pair2);
    // Once its conference was moved away it exited by itself, well before SHUTDOWN_MOVE_MS.
    expect(await inUse.exited).toBe(0);
    expect(inUse.log.some((e) => e.event === 'media_node.shutting_down')).toBe(true);
  });
});
