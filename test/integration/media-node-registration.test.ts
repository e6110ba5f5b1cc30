import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyBridgeStats } from '@edgemeet/protocol';
import { RegistryClient } from '../../media-node/src/control/registry-client.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';

const SECRET = 'integration-bridge-secret';
const quiet = { info() {}, warn() {}, error() {} };

interface Listing { bridges: Array<{ id: string; connected: boolean; stressLevel: number; drain: boolean }> }

describe('media node registration', () => {
  let edge: RunningEdge;
  beforeAll(async () => {
    edge = await startEdge({ BRIDGE_SECRET: SECRET, LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await edge?.stop();
  });

  const listing = async (region: string): Promise<Listing> => (await fetch(`${edge.url}/about/bridges?region=${region}`)).json() as Promise<Listing>;

  it('RegistryClient.start() registers the node with its stats; updates and leaving are seen by the registry', async () => {
    let stress = 0.2;
    const node = new RegistryClient({
      edgeUrl: edge.url.replace(/^http/, 'ws'), region: 'reg1', domain: 'meet.jitsi', nodeId: 'node-1', secret: SECRET,
      statsIntervalMs: 100, stats: () => ({ ...emptyBridgeStats(), stressLevel: stress }), colibri: async () => { throw new Error('unused'); }, log: quiet,
    });
    node.start();
    await expect.poll(async () => (await listing('reg1')).bridges, { timeout: 10_000 }).toMatchObject([{ id: 'node-1', connected: true, stressLevel: 0.2 }]);
    stress = 0.7;
    await expect.poll(async () => (await listing('reg1')).bridges[0]?.stressLevel, { timeout: 5_000 }).toBe(0.7);
    await node.stop();
    await expect.poll(async () => (await listing('reg1')).bridges, { timeout: 5_000 }).toEqual([]);
  });

  it('a node with the wrong secret is never registered', async () => {
    const node = new RegistryClient({
      edgeUrl: edge.url.replace(/^http/, 'ws'), region: 'reg2', domain: 'meet.jitsi', nodeId: 'node-2', secret: 'not-the-secret',
      statsIntervalMs: 100, stats: emptyBridgeStats, colibri: async () => { throw new Error('unused'); }, log: quiet,
    });
    node.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listing('reg2')).bridges).toEqual([]);
    expect(node.online).toBe(false);
    await node.stop();
  });
});
