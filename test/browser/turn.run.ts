/// <reference lib="dom" />
/**
 * A relay-only call through Debian's coturn, inside a network namespace with only loopback
 * (turn.test.ts starts it): coturn from infra/coturn/turnserver-loopback.conf with the edge's
 * TURN_SECRET, the edge announcing TURN over UDP and TCP by XEP-0215, one media node, and two
 * Chromium participants whose peer connections may use relay candidates only
 * (`iceTransportPolicy: 'relay'`):
 * - Alice, our web app: it asks the edge for the services and gives the peer connection every TURN
 *   server (recorded); the test's init script adds the relay policy and keeps the UDP server only;
 * - Bob, the unmodified lib-jitsi-meet (2021 build) with `forceTurnRelay`: it asks for the services
 *   itself and keeps only TURN over TCP for the bridge (its default without `useTurnUdp`).
 * Prints one JSON line: each side's selected candidate pair, what was decoded, coturn's view.
 */
import type { Page } from 'playwright-core';
import { startCoturn } from '../helpers/coturn.ts';
import { openPrejoin } from '../helpers/web-app.ts';
import { openLjm, startWorld, waitForFlow } from '../interop/ljm-harness.ts';

const SECRET = 'relay-only-call-secret-0123456789';
const result: Record<string, unknown> = {};
const coturn = await startCoturn(SECRET);
const world = await startWorld({
  TURN_SECRET: SECRET,
  TURN_URIS: `turn:127.0.0.1:${coturn.port}?transport=udp,turn:127.0.0.1:${coturn.port}?transport=tcp`,
});

interface Pair { localType: string; relayProtocol: string; remoteAddress: string; remotePort: number; bytesReceived: number; bytesSent: number }

/** The nominated, succeeded candidate pair of `pcExpr`'s connection, as getStats reports it. */
function selectedPair(page: Page, pcExpr: string): Promise<Pair | null> {
  return page.evaluate(async (expr) => {
    const pc = (0, eval)(expr) as RTCPeerConnection | undefined;
    if (!pc) return null;
    const stats = await pc.getStats();
    let pair: Record<string, unknown> | undefined;
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(String(s.selectedCandidatePairId));
    });
    if (!pair) return null;
    const local = stats.get(String(pair.localCandidateId)) as Record<string, unknown>;
    const remote = stats.get(String(pair.remoteCandidateId)) as Record<string, unknown>;
    return {
      localType: String(local.candidateType), relayProtocol: String(local.relayProtocol ?? ''),
      remoteAddress: String(remote.address), remotePort: Number(remote.port), bytesReceived: Number(pair.bytesReceived), bytesSent: Number(pair.bytesSent),
    };
  }, pcExpr);
}

/** Remote video frames decoded and audio samples (not concealed) on the web app's connection. */
async function webInbound(page: Page): Promise<{ frames: number; samples: number }> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { meeting?: { peerConnection: RTCPeerConnection | null } }).meeting?.peerConnection;
    let frames = 0;
    let samples = 0;
    (await pc?.getStats())?.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += Number(s.framesDecoded ?? 0);
      if (s.type === 'inbound-rtp' && s.kind === 'audio') samples += Number(s.totalSamplesReceived ?? 0) - Number(s.concealedSamples ?? 0);
    });
    return { frames, samples };
  });
}

try {
  const room = 'relay-only';
  // Alice: the web app. Test instrumentation: every peer connection it makes is relay-only and kept.
  const alice = await world.browser.newPage();
  await alice.addInitScript(() => {
    const Native = RTCPeerConnection;
    const configs: RTCConfiguration[] = [];
    (window as unknown as { pcConfigs: RTCConfiguration[] }).pcConfigs = configs;
    (window as unknown as { RTCPeerConnection: unknown }).RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        configs.push(JSON.parse(JSON.stringify(config ?? {})) as RTCConfiguration);
        // Which relay carries the call is the node's choice (it nominates the first pair that
        // checks): keep the UDP one only, so that this participant is the TURN/UDP case.
        const iceServers = (config?.iceServers ?? []).filter((s) => !String(s.urls).includes('transport=tcp'));
        super({ ...config, iceServers, iceTransportPolicy: 'relay' });
      }
    };
  });
  const errors: string[] = [];
  alice.on('pageerror', (e) => errors.push(`Alice: ${e.message}`));
  await openPrejoin(alice, world.edge.url, room, 'Alice');
  await alice.click('#join');
  // Bob: lib-jitsi-meet, relay only (its forceTurnRelay), TURN over TCP only for the bridge (its filter).
  const bob = await openLjm(world, { room, nick: 'Bob', conferenceOptions: { forceTurnRelay: true } });

  const bobPc = 'window.ljm.conference?.jvbJingleSession?.peerconnection?.peerconnection';
  const deadline = Date.now() + 30_000;
  let alicePair: Pair | null = null;
  let bobPair: Pair | null = null;
  while (Date.now() < deadline && !(alicePair && bobPair)) {
    alicePair ??= await selectedPair(alice, 'window.meeting?.peerConnection');
    bobPair ??= await selectedPair(bob.page, bobPc);
    if (!(alicePair && bobPair)) await new Promise((r) => setTimeout(r, 250));
  }
  result.aliceIceServers = await alice.evaluate(() => (window as unknown as { pcConfigs: RTCConfiguration[] }).pcConfigs.map((c) => (c.iceServers ?? []).map((s) => ({ urls: s.urls, username: s.username, hasCredential: typeof s.credential === 'string' && s.credential.length > 0 }))));
  result.bobIceServers = await bob.page.evaluate((expr) => {
    const pc = (0, eval)(expr) as RTCPeerConnection | undefined;
    return (pc?.getConfiguration().iceServers ?? []).map((s) => ({ urls: s.urls, username: s.username }));
  }, bobPc);
  result.bobPolicy = await bob.page.evaluate((expr) => ((0, eval)(expr) as RTCPeerConnection | undefined)?.getConfiguration().iceTransportPolicy ?? null, bobPc);
  // Media both ways over the relays.
  const a0 = await webInbound(alice);
  result.bobFlow = await waitForFlow(bob, { video: 1, audio: 1, timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 1000));
  const a1 = await webInbound(alice);
  result.aliceDecoded = { frames: a1.frames - a0.frames, samples: a1.samples - a0.samples };
  // The selected pairs again, with the bytes carried so far.
  result.alicePair = await selectedPair(alice, 'window.meeting?.peerConnection');
  result.bobPair = await selectedPair(bob.page, bobPc);
  result.nodeStats = await world.node.stats();
  // coturn's log: the allocations it made and the users it made them for.
  const log = coturn.log();
  result.coturnAllocations = [...log.matchAll(/user <([^>]+)>.*?ALLOCATE processed, success/g)].map((m) => m[1]);
  // A channel bound to a peer: the relay carries media to that peer (the media node, on 127.0.0.1).
  result.coturnChannelBinds = [...log.matchAll(/user <([^>]+)>: incoming packet CHANNEL_BIND processed, success/g)].map((m) => m[1]);
  result.errors = [...errors, ...bob.pageErrors];
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  await world.stop();
  await coturn.stop();
}
console.log(JSON.stringify(result));
