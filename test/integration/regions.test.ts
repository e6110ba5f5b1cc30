/**
 * Many nodes in two regions: an edge whose rooms draw from the Registries of `eu` and `us`
 * (BRIDGE_REGIONS), its own REGION `us`; one media node per region (own processes, REGION each).
 * A conference goes to the node of its participants' region (`jitsi_participant_region`), to the
 * edge's region when they announce none; `/admin/nodes` (behind STATUS_TOKEN) lists both regions'
 * nodes with their conferences, endpoints and rooms. Then the `us` node drains (SIGTERM, long
 * drain timeout): its call carries on where it is (no new session, audio still flows), and a new
 * `us` conference goes to the `eu` node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { joinConference, type Participant } from '../helpers/jingle-participant.ts';
import { startMediaNodeProcess, type MediaNodeProcess } from '../helpers/media-node-process.ts';

const SECRET = 'regions-bridge-secret-0123456789';
const TOKEN = 'regions-status-token-0123456789';

interface AdminNode { id: string; region: string; connected: boolean; drain: boolean; stressLevel: number; conferences: number; endpoints: number; rooms: string[] }
interface AdminNodes { regions: Array<{ region: string; nodes: AdminNode[] }>; totals: { nodes: number; connected: number; draining: number; conferences: number; endpoints: number } }

async function everyoneHearsEveryone(people: Participant[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ok = () => people.every((r) => people.every((s) => s === r || (s.ssrc !== null && (r.received.get(s.ssrc) ?? 0) > 3)));
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('media did not flow in time');
    await Promise.all(people.map((p) => p.sendAudio(3)));
  }
}

describe('two regions: region-aware selection, the admin listing, a drain', () => {
  let edge: RunningEdge;
  const nodes: Record<string, MediaNodeProcess> = {};
  const people: Participant[] = [];

  beforeAll(async () => {
    edge = await startEdge({ BRIDGE_SECRET: SECRET, LOG_LEVEL: 'warn', REGION: 'us', BRIDGE_REGIONS: 'eu,us', STATUS_TOKEN: TOKEN });
    for (const region of ['eu', 'us']) {
      nodes[region] = await startMediaNodeProcess({
        edgeUrl: edge.url.replace(/^http/, 'ws'), secret: SECRET, nodeId: `node-${region}`, env: { REGION: region, DRAIN_TIMEOUT_MS: '60000' },
      });
    }
    for (const until = Date.now() + 10_000; (await adminNodes()).totals.connected < 2;) {
      if (Date.now() > until) throw new Error('the nodes did not register');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
    for (const n of Object.values(nodes)) n.kill('SIGKILL');
    await Promise.all(Object.values(nodes).map((n) => n.exited));
    await edge?.stop();
  });

  async function adminNodes(token = TOKEN): Promise<AdminNodes> {
    const res = await fetch(`${edge.url}/admin/nodes`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET /admin/nodes: ${res.status} ${await res.text()}`);
    return res.json() as Promise<AdminNodes>;
  }

  async function endpointsOn(region: string): Promise<number> {
    return ((await (await fetch(`${nodes[region]!.httpUrl}/about/stats`)).json()) as { endpoints: number }).endpoints;
  }

  async function call(room: string, region?: string): Promise<Participant[]> {
    const pair = [await joinConference(edge.wsUrl, room, 'a', undefined, { region }), await joinConference(edge.wsUrl, room, 'b', undefined, { region })];
    people.push(...pair);
    await everyoneHearsEveryone(pair);
    return pair;
  }

  it('the admin listing needs the token', async () => {
    expect((await fetch(`${edge.url}/admin/nodes`)).status).toBe(401);
    expect((await fetch(`${edge.url}/admin/nodes`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const listed = await adminNodes();
    expect(listed.regions.map((r) => [r.region, r.nodes.map((n) => `${n.id}/${n.region}`)])).toEqual([['eu', ['node-eu/eu']], ['us', ['node-us/us']]]);
  });

  it('conferences go to their participants\' region; without one, to the edge\'s region', async () => {
    await call('in-us', 'us');
    expect([await endpointsOn('eu'), await endpointsOn('us')]).toEqual([0, 2]);
    // node-eu is now the less stressed one; a region-less conference still goes by the edge's REGION (us).
    await call('no-region');
    expect([await endpointsOn('eu'), await endpointsOn('us')]).toEqual([0, 4]);
    await call('in-eu', 'eu');
    expect([await endpointsOn('eu'), await endpointsOn('us')]).toEqual([2, 4]);
    // The listing follows (stats presence every STATS_INTERVAL_MS).
    await expect.poll(async () => (await adminNodes()).totals.endpoints, { timeout: 5_000 }).toBe(6);
    const listed = await adminNodes();
    const byId = Object.fromEntries(listed.regions.flatMap((r) => r.nodes).map((n) => [n.id, n]));
    expect(byId['node-eu']).toMatchObject({ conferences: 1, endpoints: 2, rooms: ['in-eu'], drain: false, connected: true });
    expect(byId['node-us']).toMatchObject({ conferences: 2, endpoints: 4, rooms: ['in-us', 'no-region'], drain: false, connected: true });
    expect(byId['node-us']!.stressLevel).toBeGreaterThan(byId['node-eu']!.stressLevel);
    expect(listed.totals).toEqual({ nodes: 2, connected: 2, draining: 0, conferences: 3, endpoints: 6 });
  });

  it('a draining node keeps its calls where they are and gets no new conference', async () => {
    const usCalls = people.slice(0, 4);
    const sessionsBefore = usCalls.map((p) => p.sessions.length);
    nodes.us!.kill('SIGTERM');
    await expect.poll(async () => (await adminNodes()).regions.find((r) => r.region === 'us')!.nodes[0]!.drain, { timeout: 5_000 }).toBe(true);
    expect((await adminNodes()).totals.draining).toBe(1);
    // A new conference of the us region goes elsewhere.
    await call('in-us-later', 'us');
    expect([await endpointsOn('eu'), await endpointsOn('us')]).toEqual([4, 4]);
    // Nobody on the draining node was moved: no new session, and their audio still flows through it.
    for (const p of usCalls) p.received.clear();
    await everyoneHearsEveryone(usCalls.slice(0, 2));
    await everyoneHearsEveryone(usCalls.slice(2, 4));
    expect(usCalls.map((p) => p.sessions.length)).toEqual(sessionsBefore);
    expect(nodes.us!.process.exitCode).toBeNull();
  });
});
