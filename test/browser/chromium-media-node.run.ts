/// <reference lib="dom" />
/**
 * Run inside a network namespace with only loopback (see chromium-media-node.test.ts): Debian's
 * Chromium connects to a media node endpoint the way a browser does in a call — it answers an offer
 * that, like Jingle, does not say ice-lite — and sends its fake camera and microphone. Prints one
 * JSON line: did ICE + DTLS complete, and how many RTP packets per SSRC did the node decrypt.
 */
import { createServer } from 'node:http';
import { launchChromium } from '../helpers/chromium.ts';
import { createDtlsIdentity } from '../../media-node/src/transport/certificate.ts';
import { EndpointTransport } from '../../media-node/src/transport/endpoint-transport.ts';
import { UdpMux } from '../../media-node/src/transport/udp-mux.ts';

const mux = await UdpMux.bind('127.0.0.1', 0);
const transport = new EndpointTransport({ mux, identity: await createDtlsIdentity() });
const p = transport.localParameters();
const c = p.candidates[0]!;
const media = (kind: 'audio' | 'video', mid: string, pt: number, rtpmap: string) => [
  `m=${kind} ${c.port} UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 127.0.0.1', `a=mid:${mid}`, 'a=sendrecv',
  `a=ice-ufrag:${p.ufrag}`, `a=ice-pwd:${p.pwd}`, `a=fingerprint:sha-256 ${p.fingerprint.value}`, 'a=setup:actpass', 'a=rtcp-mux',
  `a=rtpmap:${pt} ${rtpmap}`, `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.ip} ${c.port} typ host generation 0`,
];
const offer = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS *',
  ...media('audio', '0', 111, 'opus/48000/2'), ...media('video', '1', 100, 'VP8/90000'), ''].join('\r\n');

const http = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>media</title>'); });
await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
const browser = await launchChromium();
const rtp = new Map<number, number>();
transport.onRtp = (packet) => { const ssrc = packet.readUInt32BE(8); rtp.set(ssrc, (rtp.get(ssrc) ?? 0) + 1); };
let result: Record<string, unknown> = {};
try {
  const page = await browser.newPage();
  // getUserMedia needs a secure context: a page from 127.0.0.1 is one, about:blank is not.
  await page.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
  const answer = await page.evaluate(async (sdp: string) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    (globalThis as unknown as { pc: RTCPeerConnection }).pc = pc;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    for (const track of stream.getTracks()) {
      const t = pc.getTransceivers().find((x) => x.receiver.track.kind === track.kind);
      if (t) { t.direction = 'sendrecv'; await t.sender.replaceTrack(track); }
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
      setTimeout(resolve, 3000);
    });
    return pc.localDescription!.sdp;
  }, offer);
  const fp = /a=fingerprint:sha-256 (\S+)/.exec(answer)?.[1] ?? '';
  transport.setRemoteFingerprint('sha-256', fp);
  transport.setRemoteIce(/a=ice-ufrag:(\S+)/.exec(answer)?.[1] ?? '', /a=ice-pwd:(\S+)/.exec(answer)?.[1] ?? '');
  const deadline = Date.now() + 10_000;
  while (transport.state !== 'connected' && transport.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const connectedAt = Date.now();
  while (Date.now() - connectedAt < 2000 && transport.state === 'connected') await new Promise((r) => setTimeout(r, 100));
  const browserState = await page.evaluate(() => (globalThis as unknown as { pc: RTCPeerConnection }).pc.connectionState);
  result = { transport: transport.state, reason: transport.failureReason, srtpProfile: transport.srtpProfile, browser: browserState, rtp: Object.fromEntries(rtp), candidates: answer.match(/a=candidate:[^\r\n]+/g) ?? [] };
} finally {
  await browser.close();
  http.close();
  transport.close();
  await mux.close();
}
console.log(JSON.stringify(result));
