import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../media-node/src/config.ts';
import { createLogger } from '../../media-node/src/log.ts';
import { startMediaNode, type MediaNode } from '../../media-node/src/media-node.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { joinConference, type Participant } from '../helpers/jingle-participant.ts';

const SECRET = 'integration-bridge-secret';

/** Keeps `senders` sending audio in short bursts until `done()` holds (connections may still be coming up). */
async function flowUntil(senders: Participant[], done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('media did not flow in time');
    await Promise.all(senders.map((p) => p.sendAudio(5)));
  }
}

async function mediaNode(edge: RunningEdge, nodeId: string): Promise<MediaNode> {
  const config = loadConfig({
    EDGE_URL: edge.url.replace(/^http/, 'ws'), BRIDGE_SECRET: SECRET, NODE_ID: nodeId, MEDIA_UDP_HOST: '127.0.0.1', MEDIA_UDP_PORT: '0', HTTP_PORT: '0',
    STATS_INTERVAL_MS: '500', LOG_LEVEL: 'warn',
  });
  const node = await startMediaNode(config, createLogger('warn', { node: nodeId }));
  await expect.poll(async () => ((await (await fetch(`${edge.url}/about/bridges`)).json()) as { bridges: Array<{ id: string }> }).bridges.map((b) => b.id),
    { timeout: 10_000 }).toContain(nodeId);
  return node;
}

describe('a conference through the focus and a real media node', () => {
  let edge: RunningEdge;
  const nodes: MediaNode[] = [];
  const people: Participant[] = [];
  beforeAll(async () => {
    edge = await startEdge({ BRIDGE_SECRET: SECRET, LOG_LEVEL: 'warn', BRIDGE_GRACE_SECONDS: '1' });
  });
  afterAll(async () => {
    await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
    await Promise.all(nodes.map((n) => n.stop()));
    await edge?.stop();
  });

  it('three participants get sessions from the focus and receive each other\'s audio through the node', async () => {
    nodes.push(await mediaNode(edge, 'node-a'));
    for (const nick of ['alice', 'bob']) people.push(await joinConference(edge.wsUrl, 'media1', nick));
    await expect.poll(() => people.every((p) => p.ssrc !== null), { timeout: 15_000 }).toBe(true);
    const [alice, bob] = people as [Participant, Participant];
    // Both connected (media flows both ways) before the late joiner comes.
    await flowUntil([alice, bob], () => (bob.received.get(alice.ssrc!) ?? 0) > 0 && (alice.received.get(bob.ssrc!) ?? 0) > 0);
    await new Promise((r) => setTimeout(r, 300));
    // A late joiner: the node asks the others' video senders for a keyframe when it connects.
    const carolJoins = performance.now();
    people.push(await joinConference(edge.wsUrl, 'media1', 'carol'));
    const carol = people[2]!;
    await expect.poll(() => people.every((p) => p.ssrc !== null), { timeout: 15_000 }).toBe(true);
    for (const p of [alice, bob]) await expect.poll(() => p.plis.some((t) => t > carolJoins), { timeout: 5_000 }).toBe(true);
    console.log(`keyframe requests for a late joiner: ${[alice, bob].map((p) => Math.round(p.plis.find((t) => t > carolJoins)! - carolJoins)).join(' / ')} ms after it started joining`);
    const pairs = [[alice, [bob, carol]], [bob, [alice, carol]], [carol, [alice, bob]]] as const;
    await flowUntil(people, () => pairs.every(([receiver, senders]) => senders.every((s) => (receiver.received.get(s.ssrc!) ?? 0) > 20)));
    for (const [receiver] of pairs) expect(receiver.received.get(receiver.ssrc!) ?? 0).toBe(0);
    expect(nodes[0]!.directory.endpointCount).toBe(3);

    // Carol leaves: the others see her presence go (and, as with Jicofo, get no source-remove for
    // her: clients drop a departed participant's sources themselves), and the node expires her endpoint.
    const carolSsrc = carol.ssrc!;
    await carol.leave();
    people.splice(people.indexOf(carol), 1);
    for (const p of [alice, bob]) {
      await p.xmpp.waitFor((st) => st.name === 'presence' && st.attrs.type === 'unavailable' && String(st.attrs.from).endsWith('/carol'), 10_000);
    }
    await expect.poll(() => nodes[0]!.directory.endpointCount, { timeout: 10_000 }).toBe(2);
    for (const p of [alice, bob]) {
      expect(p.xmpp.received((st) => st.getChild('jingle')?.attrs.action === 'source-remove' && st.toString().includes(`ssrc="${carolSsrc}"`))).toEqual([]);
    }
  });

  it('the bridge channel (colibri-ws) from the offer says hello, relays endpoint messages, refuses a wrong password, shrugs off garbage', async () => {
    const [alice, bob] = people as [Participant, Participant];
    const open = (url: string) => new Promise<{ ws: WebSocket; frames: unknown[] }>((resolve, reject) => {
      const ws = new WebSocket(url);
      const frames: unknown[] = [];
      ws.addEventListener('message', (ev) => frames.push(JSON.parse(String(ev.data))));
      ws.addEventListener('open', () => resolve({ ws, frames }), { once: true });
      ws.addEventListener('error', () => reject(new Error('refused')), { once: true });
    });
    expect(alice.channelUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/colibri-ws\/node-a\/[0-9a-f]+\/alice\?pwd=[0-9a-f]+$/);
    const a = await open(alice.channelUrl!);
    const b = await open(bob.channelUrl!);
    await expect.poll(() => a.frames[0]).toMatchObject({ colibriClass: 'ServerHello' });
    a.ws.send('this is not json');
    a.ws.send(JSON.stringify({ colibriClass: 'NoSuchClass' }));
    a.ws.send(JSON.stringify({ colibriClass: 'EndpointMessage', to: '', msgPayload: { type: 'hello', n: 1 } }));
    await expect.poll(() => b.frames.find((f) => (f as { colibriClass?: string }).colibriClass === 'EndpointMessage'))
      .toMatchObject({ from: 'alice', to: '', msgPayload: { type: 'hello', n: 1 } });
    // Dominant speaker from the audio levels alice and bob put in their RTP.
    const speaker = () => b.frames.filter((f) => (f as { colibriClass?: string }).colibriClass === 'DominantSpeakerEndpointChangeEvent').at(-1);
    for (let i = 0; i < 10 && !speaker(); i++) await Promise.all([alice.sendAudio(5, 10), bob.sendAudio(5, 127)]);
    expect(speaker()).toMatchObject({ dominantSpeakerEndpoint: 'alice', silence: false });
    expect(a.frames.some((f) => (f as { dominantSpeakerEndpoint?: string }).dominantSpeakerEndpoint === 'alice')).toBe(true);

    // Last-N: bob asks for no video at all, then for everyone again; the node says what it forwards.
    const forwarded = () => b.frames.filter((f) => (f as { colibriClass?: string }).colibriClass === 'ForwardedSources').at(-1);
    b.ws.send(JSON.stringify({ colibriClass: 'ReceiverVideoConstraints', lastN: 0 }));
    await expect.poll(forwarded).toEqual({ colibriClass: 'ForwardedSources', forwardedSources: [] });
    b.ws.send(JSON.stringify({ colibriClass: 'ReceiverVideoConstraints', lastN: -1 }));
    await expect.poll(forwarded).toEqual({ colibriClass: 'ForwardedSources', forwardedSources: ['alice-v0'] });
    await expect(open(alice.channelUrl!.replace(/pwd=[0-9a-f]+/, 'pwd=wrong'))).rejects.toThrow('refused');
    await expect(open(alice.channelUrl!.replace('/alice?', '/mallory?'))).rejects.toThrow('refused');
    a.ws.close();
    b.ws.close();
    const health = await (await fetch(`http://127.0.0.1:${nodes[0]!.http.port}/about/health`)).json();
    expect(health).toMatchObject({ status: 'ok', node: 'node-a', draining: false, conferences: 1, endpoints: 2 });
    const stats = await (await fetch(`http://127.0.0.1:${nodes[0]!.http.port}/about/stats`)).json() as Record<string, number>;
    expect(stats).toMatchObject({ node: 'node-a', conferences: 1, endpoints: 2, retransmittedPackets: 0 });
    expect(stats.forwardedPackets).toBeGreaterThan(0);
  });

  it('when the media node in use dies, the focus moves the conference to the other node and media flows again', async () => {
    const a = await mediaNode(edge, 'node-b');
    nodes.push(a);
    const dave = await joinConference(edge.wsUrl, 'media2', 'dave');
    const erin = await joinConference(edge.wsUrl, 'media2', 'erin');
    people.push(dave, erin);
    await expect.poll(() => dave.ssrc !== null && erin.ssrc !== null, { timeout: 15_000 }).toBe(true);
    const inUse = nodes.find((n) => [...n.directory.conferences()].some((c) => c.endpoint('dave')))!;
    const used = inUse === nodes[0] ? 'node-a' : 'node-b';
    await flowUntil([dave], () => (erin.received.get(dave.ssrc!) ?? 0) > 5);

    // The node in use shuts down: it leaves the brewery and its media port closes.
    const before = dave.sessions.length;
    const killedAt = performance.now();
    await inUse.stop();
    nodes.splice(nodes.indexOf(inUse), 1);
    await expect.poll(() => dave.sessions.length > before && erin.sessions.length > before, { timeout: 20_000 }).toBe(true);
    await expect.poll(() => dave.accepted.length > before && erin.accepted.length > before, { timeout: 10_000 }).toBe(true);
    const dave2 = dave.ssrc!;
    erin.received.clear();
    await flowUntil([dave], () => (erin.received.get(dave2) ?? 0) > 5);
    const movedMs = Math.round(performance.now() - killedAt);
    console.log(`failover: media flowing again ${movedMs} ms after ${used} stopped`);
    expect([...nodes[0]!.directory.conferences()].some((c) => c.endpoint('dave') && c.endpoint('erin'))).toBe(true);
  });
});
