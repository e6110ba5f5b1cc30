/**
 * Forwarding cost of the media node's hot path, measured in CPU time: for every incoming packet,
 * SRTP-decrypt once (the sender's session), then per receiver parse the header, SRTP-encrypt with
 * that receiver's session and send it with one UDP datagram on loopback — the same werift calls
 * EndpointTransport makes — with the fan-out of a conference (1 sender → R receivers).
 * ICE and DTLS are set up once per endpoint and cost nothing per packet, so they are left out.
 *   node bench/forwarding.ts [--receivers 10] [--packets 20000] [--size 1100] [--profile gcm|cm]
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtpSession, keyLength, saltLength,
} from 'werift';

const { values: o } = parseArgs({ options: {
  receivers: { type: 'string', default: '10' }, packets: { type: 'string', default: '20000' }, size: { type: 'string', default: '1100' },
  profile: { type: 'string', default: 'gcm' }, json: { type: 'boolean', default: false },
} });
const R = Number(o.receivers), N = Number(o.packets), size = Number(o.size);
const profile = o.profile === 'cm' ? ProtectionProfileAes128CmHmacSha1_80 : ProtectionProfileAeadAes128Gcm;

function pair() {
  const k = () => randomBytes(keyLength(profile));
  const s = () => randomBytes(saltLength(profile));
  const a = { key: k(), salt: s() };
  const b = { key: k(), salt: s() };
  return [
    new SrtpSession({ profile, keys: { localMasterKey: a.key, localMasterSalt: a.salt, remoteMasterKey: b.key, remoteMasterSalt: b.salt } }),
    new SrtpSession({ profile, keys: { localMasterKey: b.key, localMasterSalt: b.salt, remoteMasterKey: a.key, remoteMasterSalt: a.salt } }),
  ] as const;
}

// The sender's browser and the node's session for it; one node session per receiver.
const [browser, nodeIn] = pair();
const outs = Array.from({ length: R }, () => pair()[0]);
// The receivers' side counts datagrams in a separate process, so its CPU is not ours.
const sinkProcess = spawn(process.execPath, ['-e', `
  const s = require('node:dgram').createSocket('udp4'); let n = 0;
  s.on('message', () => { n++; });
  s.bind(0, '127.0.0.1', () => { console.log('port ' + s.address().port); });
  process.on('message', () => { process.send(n); });
`], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => sinkProcess.stdout!.once('data', (d: Buffer) => resolve(Number(/port (\d+)/.exec(String(d))?.[1]))));
const sinkCount = () => new Promise<number>((resolve) => { sinkProcess.once('message', (n) => resolve(Number(n))); sinkProcess.send('count'); });
const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));

const payload = randomBytes(size);
const encrypted: Buffer[] = [];
for (let i = 0; i < N; i++) {
  const header = new RtpHeader({ payloadType: 100, sequenceNumber: i & 0xffff, timestamp: i * 3000, ssrc: 1234, marker: i % 10 === 0 });
  encrypted.push(browser.encrypt(payload, header));
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let sent = 0;
for (let i = 0; i < N; i++) {
  const plain = nodeIn.decrypt(encrypted[i]!);
  for (const out of outs) {
    const header = RtpHeader.deSerialize(plain);
    sock.send(out.encrypt(plain.subarray(header.payloadOffset), header), port, '127.0.0.1');
    sent++;
  }
  // Let the event loop flush sends now and then, as the node does between datagrams.
  if (i % 20 === 19) await new Promise((r) => setImmediate(r));
}
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
await new Promise((r) => setTimeout(r, 300));
const sunk = await sinkCount();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const perCore = Math.round(sent / cpuSeconds);
const result = {
  date: new Date().toISOString(), cpu: cpus()[0]?.model, profile: o.profile, receivers: R, incoming: N, forwarded: sent, delivered: sunk,
  wallMs: Math.round(wall), cpuMs: Math.round(cpuSeconds * 1000), usPerForwardedPacket: +(cpuSeconds * 1e6 / sent).toFixed(2),
  forwardedPacketsPerCoreSecond: perCore, streamsPerCoreAt50pps: Math.round(perCore / 50),
};
if (o.json) console.log(JSON.stringify(result));
else console.log(`${o.profile}: ${sent} packets forwarded (1→${R}) in ${result.cpuMs} ms CPU: ${result.usPerForwardedPacket} µs each, ${perCore} packets/s per core ≈ ${result.streamsPerCoreAt50pps} streams of 50 packets/s per core (delivered ${sunk})`);
sinkProcess.kill();
sock.close();
