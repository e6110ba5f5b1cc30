/**
 * How fast Chrome's send-side bandwidth estimate rises against the media node (the node's RTCP
 * receiver reports feed it), and the video rate and round trip it reports. Two web-app pages on
 * loopback; run inside a network namespace with only `lo`:
 *   unshare --net sh -c 'ip link set lo up && npm exec -- node bench/sender-bwe.ts'
 */
import { openPrejoin } from '../test/helpers/web-app.ts';
import { startWorld } from '../test/interop/ljm-harness.ts';
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
  console.log('every 5 s: video sent by page A, its bandwidth estimate, round trip to the node');
  for (let i = 0; i < 6; i++) {
    await sleep(5000);
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
    console.log(`video ${Math.round((s.bytes - prev) * 8 / 5000)} kbps, bwe ${Math.round(s.bwe / 1000)} kbps, rtt ${s.rtt}`);
    prev = s.bytes;
  }
} finally { await world.stop(); }
