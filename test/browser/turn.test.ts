import { describe, expect } from 'vitest';
import { haveCoturn } from '../helpers/coturn.ts';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

interface Pair { localType: string; relayProtocol: string; remoteAddress: string; remotePort: number; bytesReceived: number; bytesSent: number }
interface Result {
  error?: string;
  aliceIceServers: Array<Array<{ urls: string; username: string; hasCredential: boolean }>>;
  bobIceServers: Array<{ urls: string[]; username: string }>;
  bobPolicy: string | null;
  alicePair: Pair | null;
  bobPair: Pair | null;
  bobFlow: { video: number; audio: number };
  aliceDecoded: { frames: number; samples: number };
  nodeStats: { forwardedPackets: number };
  coturnAllocations: string[];
  coturnChannelBinds: string[];
  errors: string[];
}

const runIt = haveCoturn || process.env.CI ? browserIt('the relay-only call through coturn') : browserIt('(no coturn: apt-get install coturn)').skip;

describe('a relay-only call through coturn (TURN credentials from the edge)', () => {
  runIt('the web app over TURN/UDP and lib-jitsi-meet over TURN/TCP, both iceTransportPolicy relay, see and hear each other through the media node', () => {
    const r = runInNetns<Result>(new URL('./turn.run.ts', import.meta.url), { timeoutMs: 110_000 });
    expect(r.error).toBeUndefined();
    // The web app gave its peer connection both TURN servers from the edge, with credentials.
    const [webServers] = r.aliceIceServers;
    expect(webServers?.map((s) => s.urls.replace(/:\d+(?=$|\?)/, ':P'))).toEqual(['turn:127.0.0.1:P', 'turn:127.0.0.1:P?transport=tcp']);
    expect(webServers?.every((s) => /^\d{10}:[0-9a-f-]{36}$/.test(s.username) && s.hasCredential)).toBe(true);
    // lib-jitsi-meet asked for them itself and kept TURN/TCP for the bridge; forceTurnRelay made it relay-only.
    expect(r.bobIceServers.flatMap((s) => s.urls).map((u) => u.replace(/:\d+(?=$|\?)/, ':P'))).toEqual(['turn:127.0.0.1:P?transport=tcp']);
    expect(r.bobPolicy).toBe('relay');
    // Each side's selected pair is its relay candidate (UDP for the web app, TCP for lib-jitsi-meet) to the node.
    expect(r.alicePair).toMatchObject({ localType: 'relay', relayProtocol: 'udp', remoteAddress: '127.0.0.1' });
    expect(r.bobPair).toMatchObject({ localType: 'relay', relayProtocol: 'tcp', remoteAddress: '127.0.0.1' });
    expect(r.bobPair!.remotePort).toBe(r.alicePair!.remotePort);
    for (const p of [r.alicePair!, r.bobPair!]) {
      expect(p.bytesReceived).toBeGreaterThan(20_000);
      expect(p.bytesSent).toBeGreaterThan(20_000);
    }
    // Media both ways.
    expect(r.bobFlow.video).toBeGreaterThanOrEqual(1);
    expect(r.bobFlow.audio).toBeGreaterThanOrEqual(1);
    expect(r.aliceDecoded.frames).toBeGreaterThan(10);
    expect(r.aliceDecoded.samples).toBeGreaterThan(0);
    expect(r.nodeStats.forwardedPackets).toBeGreaterThan(100);
    // coturn allocated for both users and bound channels to the node for both.
    const users = new Set(r.coturnAllocations);
    expect(users.size).toBe(2);
    expect(new Set(r.coturnChannelBinds)).toEqual(users);
    expect(r.errors).toEqual([]);
  }, 120_000);
});
