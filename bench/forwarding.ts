/**
 * Forwarding cost of the media node's hot path, in CPU time and in V8 heap allocated per packet:
 * for every incoming packet, SRTP-decrypt once (the sender's session), then per receiver
 * SRTP-encrypt with that receiver's session and send it as one UDP datagram on loopback, with the
 * fan-out of a conference (1 sender → R receivers). ICE and DTLS are set up once per endpoint and
 * cost nothing per packet, so they are left out.
 *   --path own          what EndpointTransport does with AES_CM_128_HMAC_SHA1_80 (the default
 *                       profile): SrtpCmContext in place / into the UdpMux output ring
 *   --path werift-gcm   what it does with AEAD_AES_128_GCM: werift's RtpHeader + SrtpSession
 *   --path werift-cm    werift's SrtpSession with AES-CM (what the node did before SrtpCmContext)
 *   --path conference   `own` plus the node's routing: a real SfuConference (VP8 keyframe/layer
 *                       tracking, header-extension stripping, reception stats, transport-cc,
 *                       packet cache) decides what each receiver gets
 *   --codec vp8|vp9     with --path conference: a single VP8 stream (every receiver gets every
 *                       packet), or VP9 k-SVC as Chrome sends it for lib-jitsi-meet (L3T3_KEY: three
 *                       spatial layers on one SSRC, two packets per layer frame, a keyframe picture
 *                       every 102 packets); half the receivers ask for 180p (spatial layer 1), half
 *                       for everything (layer 2), so each drops what it does not get. The cost is
 *                       per forwarded packet and per packet looked at for a receiver (sent or not).
 *   --codec av1         with --path conference: AV1 k-SVC as Chrome sends it for lib-jitsi-meet
 *                       (L2T3_KEY: two spatial layers on one SSRC, their frames told apart by the
 *                       dependency descriptor extension, two packets per layer frame, a keyframe
 *                       picture with the descriptor's template structure, captured from Chrome, every
 *                       68 packets); half the receivers ask for 180p (the base layer), half for 360p.
 *   --svc ksvc|full     with --codec vp9: k-SVC as above (default), or full SVC (L3T3: every layer
 *                       predicts from the one below) with every receiver asking for everything, so
 *                       that every packet goes to every receiver, as with --codec vp8: the per-packet
 *                       cost of the two paths side by side.
 *   node bench/forwarding.ts [--path own] [--codec vp8|vp9|av1] [--receivers 10] [--packets 20000] [--size 1100] [--json]
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtpSession, keyLength, saltLength,
} from 'werift';
import { HDREXT_AV1_DEPENDENCY_DESCRIPTOR } from '@edgemeet/protocol';
import { Faults } from '../media-node/src/faults.ts';
import { createLogger } from '../media-node/src/log.ts';
import type { SfuEndpoint } from '../media-node/src/sfu/endpoint.ts';
import { SfuConference } from '../media-node/src/sfu/conference.ts';
import { createDtlsIdentity } from '../media-node/src/transport/certificate.ts';
import { SrtpCmContext, TAG_BYTES } from '../media-node/src/transport/srtp-cm.ts';
import { UdpMux } from '../media-node/src/transport/udp-mux.ts';

const { values: o } = parseArgs({ options: {
  receivers: { type: 'string', default: '10' }, packets: { type: 'string', default: '20000' }, size: { type: 'string', default: '1100' },
  path: { type: 'string', default: 'own' }, codec: { type: 'string', default: 'vp8' }, svc: { type: 'string', default: 'ksvc' },
  json: { type: 'boolean', default: false },
} });
const R = Number(o.receivers), N = Number(o.packets), size = Number(o.size);
const path = o.path as 'own' | 'werift-gcm' | 'werift-cm' | 'conference';
if (!['own', 'werift-gcm', 'werift-cm', 'conference'].includes(path)) throw new Error(`unknown --path ${path}`);
const codec = o.codec as 'vp8' | 'vp9' | 'av1';
if (!['vp8', 'vp9', 'av1'].includes(codec) || (codec !== 'vp8' && path !== 'conference')) throw new Error(`--codec ${codec}: vp8, or vp9 / av1 with --path conference`);
if (codec === 'av1' && o.svc === 'full') throw new Error('--svc full: VP9 only (the AV1 structure is the k-SVC one Chrome sent)');
const fullSvc = o.svc === 'full';
if (!['ksvc', 'full'].includes(o.svc!)) throw new Error(`--svc ${o.svc}: ksvc or full`);
const profile = path === 'werift-gcm' ? ProtectionProfileAeadAes128Gcm : ProtectionProfileAes128CmHmacSha1_80;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const keys = () => ({ key: randomBytes(keyLength(profile)), salt: randomBytes(saltLength(profile)) });
function weriftSession(local: { key: Buffer; salt: Buffer }, remote: { key: Buffer; salt: Buffer }): SrtpSession {
  return new SrtpSession({ profile, keys: { localMasterKey: local.key, localMasterSalt: local.salt, remoteMasterKey: remote.key, remoteMasterSalt: remote.salt } });
}

// The sender's browser encrypts with `up`; the node decrypts with the same keys and encrypts per receiver.
const up = keys();
const browser = weriftSession(up, keys());
const downs = Array.from({ length: R }, () => keys());

// The receivers' side counts datagrams in a separate process, so its CPU is not ours.
const sinkProcess = spawn(process.execPath, ['-e', `
  const s = require('node:dgram').createSocket('udp4'); let n = 0;
  s.on('message', () => { n++; });
  s.bind(0, '127.0.0.1', () => { console.log('port ' + s.address().port); });
  process.on('message', () => { process.send(n); });
`], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => sinkProcess.stdout!.once('data', (d: Buffer) => resolve(Number(/port (\d+)/.exec(String(d))?.[1]))));
const sinkCount = () => new Promise<number>((resolve) => { sinkProcess.once('message', (n) => resolve(Number(n))); sinkProcess.send('count'); });

// VP8-shaped payloads (a 640x480 keyframe every 100 packets, the node's router looks), the rest random.
const payload = randomBytes(size);
const keyframe = Buffer.concat([Buffer.from([0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]), payload.subarray(11)]);
const delta = Buffer.concat([Buffer.from([0x10, 0x01]), payload.subarray(2)]);
const vp8At = (i: number) => browser.encrypt(i % 100 === 0 ? keyframe : delta, new RtpHeader({
  payloadType: 100, sequenceNumber: i & 0xffff, timestamp: Math.floor(i / 10) * 3000, ssrc: 1234, marker: i % 10 === 9,
}));
/**
 * VP9 k-SVC (RFC 9628 descriptor, non-flexible mode): pictures of three spatial layers, two packets
 * each; every 17th picture (102 packets) is a keyframe (with the scalability structure: 90, 180,
 * 360 lines); in the others the lower layers are no reference for the ones above (Z).
 */
const PER_PICTURE = 6;
function vp9At(i: number): Buffer {
  const picture = Math.floor(i / PER_PICTURE);
  const sid = Math.floor((i % PER_PICTURE) / 2);
  const first = i % 2 === 0;
  const key = picture % 17 === 0;
  const notRef = sid === 2 || (!key && !fullSvc);
  const interLayer = sid > 0 && (key || fullSvc);
  const b0 = 0x80 | (key ? 0 : 0x40) | 0x20 | (first ? 0x08 : 0x04) | (key && sid === 0 && first ? 0x02 : 0) | (notRef ? 0x01 : 0);
  const head = [b0, 0x80 | ((picture >> 8) & 0x7f), picture & 0xff, 0x10 | (sid << 1) | (interLayer ? 1 : 0), picture & 0xff];
  if (b0 & 0x02) head.push((2 << 5) | 0x10 | 0x08, 0, 160, 0, 90, 1, 64, 0, 180, 2, 128, 1, 104, 1, 0x14, 1);
  return browser.encrypt(Buffer.concat([Buffer.from(head), payload.subarray(head.length)]), new RtpHeader({
    payloadType: 101, sequenceNumber: i & 0xffff, timestamp: picture * 3000, ssrc: 1234, marker: sid === 2 && !first,
  }));
}
/**
 * AV1 L2T3_KEY: pictures of two spatial layers, two packets each; every 17th picture is a keyframe
 * whose first packet carries the template structure Chrome sent (templates 0/5: the keyframe's
 * layers; 1/6: later base-temporal-layer frames of each spatial layer).
 */
const AV1_KEYFRAME_DD = Buffer.from('c0000d800514853aaaa8018004004002a02a0060010015d34514174d144c700874321651118543276809f8059813f80b38', 'hex');
const AV1_PER_PICTURE = 4;
function av1At(i: number): Buffer {
  const picture = Math.floor(i / AV1_PER_PICTURE);
  const sid = Math.floor((i % AV1_PER_PICTURE) / 2);
  const first = i % 2 === 0;
  const key = picture % 17 === 0;
  const template = key ? (sid === 0 ? 0 : 5) : (sid === 0 ? 1 : 6);
  const flags = (first ? 0x80 : 0) | (first ? 0 : 0x40) | template;
  const frameNumber = (picture * 2 + sid) & 0xffff;
  let dd = Buffer.from([flags, frameNumber >> 8, frameNumber & 0xff]);
  if (key && sid === 0 && first) {
    dd = Buffer.from(AV1_KEYFRAME_DD);
    dd[0] = flags;
    dd.writeUInt16BE(frameNumber, 1);
  }
  return browser.encrypt(Buffer.concat([Buffer.from([0x18]), payload.subarray(1, size - dd.length)]), new RtpHeader({
    payloadType: 41, sequenceNumber: i & 0xffff, timestamp: picture * 3000, ssrc: 1234, marker: sid === 1 && !first,
    extension: true, extensionProfile: 0x1000, extensions: [{ id: 11, payload: dd }],
  }));
}
const packetAt = codec === 'vp9' ? vp9At : codec === 'av1' ? av1At : vp8At;
const encrypted: Buffer[] = Array.from({ length: N }, (_, i) => packetAt(i));

/** One incoming datagram (a buffer Node would have allocated on receipt) forwarded to every receiver. */
type Forward = (datagram: Buffer, send: boolean) => void;
let forward: Forward;
const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
let mux: UdpMux | null = null;
/** Packets actually forwarded so far (the conference path drops what a receiver does not get). */
let forwardedCount: (() => number) | null = null;
if (path === 'own') {
  mux = await UdpMux.bind('127.0.0.1', 0);
  const nodeIn = new SrtpCmContext(up.key, up.salt);
  const outs = downs.map((k) => new SrtpCmContext(k.key, k.salt));
  const m = mux;
  forward = (datagram, send) => {
    const length = nodeIn.unprotect(datagram);
    if (length < 0) throw new Error('did not authenticate');
    const plain = datagram.subarray(0, length);
    for (const out of outs) {
      const buffer = m.outputBuffer(length + TAG_BYTES);
      const n = out.protect(plain, buffer);
      if (send) m.sendBuffer(buffer, n, '127.0.0.1', port);
    }
  };
} else if (path === 'conference') {
  mux = await UdpMux.bind('127.0.0.1', 0);
  const m = mux;
  const conference = new SfuConference('bench', undefined, { mux, identity: await createDtlsIdentity(), publicIp: '127.0.0.1', log: createLogger('error'), faults: new Faults(createLogger('error')) });
  const endpoints = Array.from({ length: R + 1 }, (_, i) => conference.createEndpoint(`e${i}`) as SfuEndpoint);
  endpoints.forEach((ep, i) => {
    // Connected without ICE/DTLS: the transport's send goes through the same SRTP and ring as EndpointTransport's.
    Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
    const ctx = i === 0 ? null : new SrtpCmContext(downs[i - 1]!.key, downs[i - 1]!.salt);
    (ep.transport as unknown as { sendRtp(p: Buffer): void }).sendRtp = (packet) => {
      if (!ctx || !sending) return;
      const buffer = m.outputBuffer(packet.length + TAG_BYTES);
      m.sendBuffer(buffer, ctx.protect(packet, buffer), '127.0.0.1', port);
    };
    (ep.transport as unknown as { sendRtcp(p: Buffer): void }).sendRtcp = () => undefined;
  });
  if (codec === 'vp9') {
    endpoints[0]!.setMedia([{ type: 'video', extmapAllowMixed: true, headerExtensions: [], payloadTypes: [{ id: 101, name: 'VP9', clockrate: 90000, parameters: [], rtcpFeedback: [] }] }]);
    if (!fullSvc) for (const ep of endpoints.slice(1, 1 + Math.floor(R / 2))) conference.setConstraints(ep, new Map(), 180);
  }
  if (codec === 'av1') {
    endpoints[0]!.setMedia([{ type: 'video', extmapAllowMixed: true, headerExtensions: [{ id: 11, uri: HDREXT_AV1_DEPENDENCY_DESCRIPTOR }], payloadTypes: [{ id: 41, name: 'AV1', clockrate: 90000, parameters: [], rtcpFeedback: [] }] }]);
    for (const ep of endpoints.slice(1, 1 + Math.floor(R / 2))) conference.setConstraints(ep, new Map(), 180);
  }
  endpoints[0]!.setSources([{ type: 'video', id: 'e0-v0', sources: [{ ssrc: 1234 }], groups: [] }]);
  forwardedCount = () => conference.forwardedPackets;
  const nodeIn = new SrtpCmContext(up.key, up.salt);
  let sending = true;
  forward = (datagram, send) => {
    sending = send;
    const length = nodeIn.unprotect(datagram);
    if (length < 0) throw new Error('did not authenticate');
    conference.routeRtp(endpoints[0]!, datagram.subarray(0, length));
  };
} else {
  const nodeIn = weriftSession(keys(), up);
  const outs = downs.map((k) => weriftSession(k, keys()));
  forward = (datagram, send) => {
    const plain = nodeIn.decrypt(datagram);
    for (const out of outs) {
      const header = RtpHeader.deSerialize(plain);
      const packet = out.encrypt(plain.subarray(header.payloadOffset), header);
      if (send) sock.send(packet, port, '127.0.0.1');
    }
  };
}

/**
 * V8 heap bytes allocated while `fn` runs, GCs included: what was in use before each collection
 * minus what was left after the previous one (v8.GCProfiler), plus the growth since the last.
 */
function heapAllocated(fn: () => void): number {
  gc();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  fn();
  const after = process.memoryUsage().heapUsed;
  const stats = profiler.stop() as { statistics: Array<{ beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }> };
  let total = 0;
  let last = before;
  for (const s of stats.statistics) {
    total += s.beforeGC.heapStatistics.usedHeapSize - last;
    last = s.afterGC.heapStatistics.usedHeapSize;
  }
  return total + after - last;
}

// CPU time over every packet (each one a buffer of its own, as Node hands over a received datagram).
const datagrams = encrypted;
const delivered0 = await sinkCount();
// Garbage collections during the run, and the time the main thread spent in them.
const gcs = { count: 0, ms: 0 };
const gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) { gcs.count++; gcs.ms += e.duration; } });
gcObserver.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const forwarded0 = forwardedCount?.() ?? 0;
let looked = 0;
for (let i = 0; i < N; i++) {
  forward(datagrams[i]!, true);
  looked += R;
  // Let the event loop flush sends now and then, as the node does between datagrams.
  if (i % 20 === 19) await new Promise((r) => setImmediate(r));
}
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
const sent = forwardedCount ? forwardedCount() - forwarded0 : looked;
await new Promise((r) => setTimeout(r, 300));
gcObserver.disconnect();
const sunk = (await sinkCount()) - delivered0;
// Then allocation, on packets that continue the sequence: without and with the send (Node's dgram
// allocates its own request objects per datagram).
const sample = 1000;
const more = (from: number) => Array.from({ length: sample }, (_, k) => {
  const i = from + k;
  return packetAt(i);
});
const batchA = more(N);
const sentShare = sent / looked;
const cryptoBytes = heapAllocated(() => { for (const d of batchA) forward(d, false); }) / (sample * R * sentShare);
const batchB = more(N + sample);
const sendBytes = heapAllocated(() => { for (const d of batchB) forward(d, true); }) / (sample * R * sentShare);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const perCore = Math.round(sent / cpuSeconds);
const result = {
  date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, path, codec, svc: codec !== 'vp8' ? o.svc : undefined, receivers: R, incoming: N, size, forwarded: sent, delivered: sunk,
  wallMs: Math.round(wall), cpuMs: Math.round(cpuSeconds * 1000), usPerForwardedPacket: +(cpuSeconds * 1e6 / sent).toFixed(2),
  usPerPacketPerReceiver: +(cpuSeconds * 1e6 / looked).toFixed(2),
  forwardedPacketsPerCoreSecond: perCore, streamsPerCoreAt50pps: Math.round(perCore / 50),
  gcDuringRun: gcs.count, gcMsDuringRun: Math.round(gcs.ms),
  heapBytesPerForwardedPacket: Math.round(cryptoBytes), heapBytesPerForwardedPacketWithSend: Math.round(sendBytes),
};
if (o.json) console.log(JSON.stringify(result));
else {
  console.log(`${path}${path === 'conference' ? ` (${codec}${codec !== 'vp8' ? ` ${o.svc}` : ''})` : ''}: ${sent} packets forwarded (1→${R}) in ${result.cpuMs} ms CPU: ${result.usPerForwardedPacket} µs each, ${perCore} packets/s per core ≈ ${result.streamsPerCoreAt50pps} streams of 50 packets/s per core (delivered ${sunk})`);
  if (sent !== looked) console.log(`${path} (${codec}): ${looked} packets looked at for a receiver (${(100 * sentShare).toFixed(0)} % forwarded): ${result.usPerPacketPerReceiver} µs each`);
  console.log(`${path}: ${gcs.count} garbage collections during the run, ${result.gcMsDuringRun} ms in them`);
  console.log(`${path}: V8 heap allocated per forwarded packet: ${result.heapBytesPerForwardedPacket} bytes without the UDP send, ${result.heapBytesPerForwardedPacketWithSend} bytes with it`);
}
sinkProcess.kill();
sock.close();
await mux?.close();
