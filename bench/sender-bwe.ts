/**
 * How Chrome's send-side bandwidth estimate behaves against the media node (fed by the node's
 * transport-cc feedback and RTCP receiver reports): the estimate, page A's video rate and the round
 * trip Chrome measured, every 2 s. With `--limit-kbit N` the loopback is throttled to N kbit/s
 * (a token bucket with 100 ms of queue, shared by both pages' media) from second 14 to second 28, to show the senders adapt.
 * Two web-app pages on loopback; run inside a network namespace with only `lo`:
 *   unshare --net sh -c 'ip link set lo up && npm exec -- node bench/sender-bwe.ts [--limit-kbit 800]'
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openPrejoin } from '../test/helpers/web-app.ts';
import { startWorld } from '../test/interop/ljm-harness.ts';

const { values: o } = parseArgs({ options: { 'limit-kbit': { type: 'string' }, seconds: { type: 'string', default: '40' } } });
const limit = o['limit-kbit'] ? Number(o['limit-kbit']) : 0;
const tc = (...args: string[]) => execFileSync('tc', ['qdisc', ...args, 'dev', 'lo', 'root', ...(args[0] === 'del' ? [] : ['tbf', 'rate', `${limit}kbit`, 'burst', '16kb', 'latency', '100ms'])], { stdio: 'pipe' });
const world = await startWorld();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const pages = [];
  for (const name of ['A', 'B']) {
    const page = await world.browser.newPage();
    await openPrejoin(page, world.edge.url, 'bwe', name);
    await page.click('#join');
    pages.push(page);
  }
  let prev = 0;
  console.log('second | video sent by page A kbps | its bandwidth estimate kbps | round trip to the node ms | link');
  for (let t = 2; t <= Number(o.seconds); t += 2) {
    await sleep(2000);
    if (limit && t === 14) tc('add');
    if (limit && t === 28) tc('del');
    const s = await pages[0]!.evaluate(async () => {
      const pc = (window as any).meeting.peerConnection as RTCPeerConnection;
      let bytes = 0; let rtt = -1; let bwe = -1;
      (await pc.getStats()).forEach((x: any) => {
        if (x.type === 'outbound-rtp' && x.kind === 'video') bytes += x.bytesSent;
        if (x.type === 'remote-inbound-rtp' && x.kind === 'video') rtt = x.roundTripTime ?? rtt;
        if (x.type === 'candidate-pair' && x.availableOutgoingBitrate) bwe = x.availableOutgoingBitrate;
      });
      return { bytes, rtt, bwe };
    });
    const link = limit && t >= 14 && t < 28 ? `${limit} kbit/s` : 'loopback';
    console.log(`| ${t} | ${Math.round((s.bytes - prev) * 8 / 2000)} | ${Math.round(s.bwe / 1000)} | ${s.rtt < 0 ? '—' : (s.rtt * 1000).toFixed(1)} | ${link} |`);
    prev = s.bytes;
  }
} finally {
  if (limit) try { tc('del'); } catch { /* already gone */ }
  await world.stop();
}
