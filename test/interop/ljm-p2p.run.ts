/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet with P2P on (as jitsi-meet's default) and its own codec order, against
 * the real edge and a real media node, inside a network namespace with only loopback
 * (ljm-p2p.test.ts starts it): two pages move to a direct connection and suspend the bridge one
 * (the node forwards next to nothing while they are P2P), then a third joins and all three are
 * back on the bridge. Prints one JSON line.
 */
import { flowOver, startCurrentLjmPages, startWorld, waitForFlow, type Flow, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;

/** Polls 1 s windows until `p` decodes one peer's video and audio over P2P (or 25 s pass). */
async function untilP2p(p: LjmPage): Promise<Flow> {
  const deadline = Date.now() + 25_000;
  let f = await flowOver(p, 1000);
  while (!(f.p2p && f.video >= 1 && f.audio >= 1) && Date.now() < deadline) f = await flowOver(p, 1000);
  return f;
}

/** Bytes the page's bridge connection sent in `ms` (its outbound RTP); -1 if it has none. */
async function bridgeBytesSent(p: LjmPage, ms: number): Promise<number> {
  const read = () => p.page.evaluate(async () => {
    const pc = (window as unknown as { ljm: { conference: { jvbJingleSession?: { peerconnection?: { peerconnection: RTCPeerConnection } } } } })
      .ljm.conference.jvbJingleSession?.peerconnection?.peerconnection;
    if (!pc || pc.connectionState !== 'connected') return -1;
    let bytes = 0;
    (await pc.getStats()).forEach((r: { type: string; bytesSent?: number }) => { if (r.type === 'outbound-rtp') bytes += r.bytesSent ?? 0; });
    return bytes;
  });
  const a = await read();
  await new Promise((r) => setTimeout(r, ms));
  const b = await read();
  return a < 0 || b < 0 ? -1 : b - a;
}

const result: Record<string, unknown> = {};
const world = await startWorld();
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-p2p', 2, { nicks: ['alice', 'bob'], p2p: true, ssrcRewriting: true, conferenceOptions: {} });
  result.version = await ljm<string>(people[0]!, 's.version');
  result.p2pFlow = await Promise.all(people.map(untilP2p));
  const before = (await world.node.stats()).forwardedPackets;
  result.bridgeBytes = await Promise.all(people.map((p) => bridgeBytesSent(p, 3000)));
  result.forwardedWhileP2p = (await world.node.stats()).forwardedPackets - before;
  // A third participant: the call goes back to the bridge (the helper waits until carol sees the other two).
  const [carol] = await startCurrentLjmPages(world, 'ljm-p2p', 3, { nicks: ['carol'], p2p: true, ssrcRewriting: true, conferenceOptions: {} });
  people.push(carol!);
  result.bridgeFlow = await Promise.all(people.map((p) => waitForFlow(p, { video: 2, audio: 2, timeoutMs: 25_000 })));
  result.pageErrors = people.map((p) => p.pageErrors);
  result.libraryErrors = people.map((p) => p.libraryErrors);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
