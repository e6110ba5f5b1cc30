/**
 * The whole media plane under load: the node's UdpMux, EndpointTransports and SfuConferences run
 * in their own process (bench/lib/node-host.ts); this process is the load generator. Per
 * conference one sender and R receivers, each a light client on its own UDP socket that does
 * what a browser does with the node: an ICE connectivity check with USE-CANDIDATE, a DTLS
 * handshake (werift's client, AES-CM), then the sender sends SRTP video (1,100-byte VP8-shaped
 * packets, a keyframe every 100) at --pps, and receivers count what arrives without decrypting.
 * After a warm-up, the node's own CPU time over --seconds gives forwarded packets per core.
 *   node bench/node-load.ts [--conferences 10] [--receivers 10] [--pps 50] [--seconds 10] [--json]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { DtlsClient, ProtectionProfileAes128CmHmacSha1_80, RtpHeader, RtpPacket, keyLength, saltLength, type Transport } from 'werift';
import { createDtlsIdentity } from '../media-node/src/transport/certificate.ts';
import { SrtpCmContext } from '../media-node/src/transport/srtp-cm.ts';
import { nominationRequest } from '../media-node/src/transport/stun-responder.ts';

const { values: o } = parseArgs({ options: {
  conferences: { type: 'string', default: '10' }, receivers: { type: 'string', default: '10' }, pps: { type: 'string', default: '50' },
  seconds: { type: 'string', default: '10' }, size: { type: 'string', default: '1100' }, json: { type: 'boolean', default: false },
} });
const C = Number(o.conferences), R = Number(o.receivers), PPS = Number(o.pps), SECONDS = Number(o.seconds), SIZE = Number(o.size);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timeout = setTimeout(() => { console.error('node-load: timed out'); process.exit(2); }, (60 + SECONDS * 3) * 1000);

// The node's process and a tiny RPC to it.
const host = fork(new URL('./lib/node-host.ts', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let nextId = 1;
const pending = new Map<number, (m: Record<string, unknown>) => void>();
const nodePort = await new Promise<number>((resolve) => host.once('message', (m: { port: number }) => resolve(m.port)));
host.on('message', (m: { id?: number }) => { if (m.id !== undefined) { pending.get(m.id)?.(m as Record<string, unknown>); pending.delete(m.id); } });
function rpc<T>(body: Record<string, unknown>): Promise<T> {
  const id = nextId++;
  return new Promise((resolve) => { pending.set(id, resolve as (m: Record<string, unknown>) => void); host.send({ id, ...body }); });
}

const identity = await createDtlsIdentity();

/** One browser-like endpoint: ICE check, DTLS client, then SRTP out (sender) or counting in (receiver). */
class LightClient {
  readonly socket: Socket = createSocket('udp4');
  readonly ufrag = randomBytes(4).toString('hex');
  received = 0;
  srtp: SrtpCmContext | null = null;
  #dtlsInput: ((d: Buffer) => void) | null = null;

  async connect(conf: string, ep: string, ssrc?: number): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.socket.on('message', (d) => {
      const b = d[0]!;
      if (b >= 20 && b <= 63) this.#dtlsInput?.(d);
      else if (b >= 128 && b <= 191 && !(d[1]! >= 200 && d[1]! <= 206)) this.received++;
    });
    const node = await rpc<{ ufrag: string; pwd: string }>({ cmd: 'endpoint', conf, ep });
    await rpc({ cmd: 'remote', conf, ep, fingerprint: identity.fingerprint, ssrc });
    this.socket.send(nominationRequest({ localUfrag: this.ufrag, remoteUfrag: node.ufrag, remotePwd: node.pwd, tieBreaker: 1n }), nodePort, '127.0.0.1');
    await sleep(20);
    const transport: Transport = {
      type: 'udp', address: {} as Transport['address'], closed: false, onData: () => undefined,
      send: async (data: Buffer) => { this.socket.send(data, nodePort, '127.0.0.1'); }, close: async () => undefined,
    };
    this.#dtlsInput = (d) => transport.onData(d, { address: '127.0.0.1', port: nodePort } as never);
    const dtls = new DtlsClient({
      transport, cert: identity.certPem, key: identity.keyPem, signatureHash: identity.signatureHash,
      srtpProfiles: [ProtectionProfileAes128CmHmacSha1_80], extendedMasterSecret: true,
    });
    const connected = new Promise<void>((resolve) => dtls.onConnect.once(() => resolve()));
    await dtls.connect();
    await connected;
    const p = ProtectionProfileAes128CmHmacSha1_80;
    const keys = dtls.extractSessionKeys(keyLength(p), saltLength(p));
    this.srtp = new SrtpCmContext(keys.localKey, keys.localSalt);
  }
}

const clients: Array<{ sender: LightClient; ssrc: number; receivers: LightClient[] }> = [];
const setupStart = performance.now();
for (let c = 0; c < C; c++) {
  const ssrc = 10_000 + c;
  const sender = new LightClient();
  await sender.connect(`conf${c}`, 'sender', ssrc);
  const receivers = Array.from({ length: R }, () => new LightClient());
  await Promise.all(receivers.map((r, i) => r.connect(`conf${c}`, `r${i}`)));
  clients.push({ sender, ssrc, receivers });
}
const setupMs = performance.now() - setupStart;
const { states } = await rpc<{ states: Record<string, number> }>({ cmd: 'states' });

// Media: every sender, PPS packets per second in 20 ms ticks.
const payload = randomBytes(SIZE);
const keyframe = Buffer.concat([Buffer.from([0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]), payload.subarray(11)]);
const delta = Buffer.concat([Buffer.from([0x10, 0x01]), payload.subarray(2)]);
// One output buffer per sender: dgram sends on the next tick, so a shared one would be overwritten.
const outs = clients.map(() => Buffer.alloc(2048));
let seq = 0;
let owed = 0;
const tick = setInterval(() => {
  owed += PPS / 50;
  for (; owed >= 1; owed--, seq++) {
    const plain = new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq & 0xffff, timestamp: Math.floor(seq / 5) * 3000, ssrc: 0, marker: seq % 5 === 4 }),
      seq % 100 === 0 ? keyframe : delta).serialize();
    for (const [i, { sender, ssrc }] of clients.entries()) {
      plain.writeUInt32BE(ssrc, 8);
      const n = sender.srtp!.protect(plain, outs[i]!);
      sender.socket.send(outs[i]!, 0, n, nodePort, '127.0.0.1');
    }
  }
}, 20);

type Stats = { cpu: { user: number; system: number }; forwarded: number; received: number; rss: number };
await sleep(3000);
const before = await rpc<Stats>({ cmd: 'stats' });
const receivedBefore = clients.reduce((n, c) => n + c.receivers.reduce((m, r) => m + r.received, 0), 0);
const t0 = performance.now();
await sleep(SECONDS * 1000);
const after = await rpc<Stats>({ cmd: 'stats' });
const wallS = (performance.now() - t0) / 1000;
const receivedAfter = clients.reduce((n, c) => n + c.receivers.reduce((m, r) => m + r.received, 0), 0);
clearInterval(tick);

const cpuS = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
const forwardedPerS = (after.forwarded - before.forwarded) / wallS;
const result = {
  date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, conferences: C, receiversPerConference: R, streams: C * R, pps: PPS,
  setupMs: Math.round(setupMs), endpointStates: states, nodeCpuCores: +(cpuS / wallS).toFixed(3), incomingPerS: Math.round((after.received - before.received) / wallS),
  forwardedPerS: Math.round(forwardedPerS), deliveredPerS: Math.round((receivedAfter - receivedBefore) / wallS),
  usPerForwardedPacket: +((cpuS * 1e6) / (forwardedPerS * wallS)).toFixed(2),
  streamsPerCore: Math.round(forwardedPerS / PPS / (cpuS / wallS)), nodeRssMb: Math.round(after.rss / 1e6),
};
if (o.json) console.log(JSON.stringify(result));
else console.log(`${C}×(1→${R}) = ${C * R} streams at ${PPS} packets/s: node uses ${result.nodeCpuCores} of a core, `
  + `${result.usPerForwardedPacket} µs per forwarded packet ≈ ${result.streamsPerCore} streams per core `
  + `(forwarded ${result.forwardedPerS}/s, delivered ${result.deliveredPerS}/s; endpoints ${JSON.stringify(states)}; set-up ${result.setupMs} ms; node RSS ${result.nodeRssMb} MB)`);
clearTimeout(timeout);
host.kill();
for (const c of clients) for (const cl of [c.sender, ...c.receivers]) cl.socket.close();
