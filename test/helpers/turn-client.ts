/**
 * The least of a TURN client (RFC 8656) for tests: one Allocate over UDP or TCP with the long-term
 * credential mechanism (RFC 8489 §9.2: the first request is refused with 401 and a realm and nonce,
 * the second carries USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed by
 * MD5(username:realm:password)). Tells whether the server allocated a relay, and where.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016, REQUESTED_TRANSPORT: 0x0019 };

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function message(type: number, tid: Buffer, attrs: Buffer[], key?: Buffer): Buffer {
  let body = Buffer.concat(attrs);
  const header = (len: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(MAGIC, 4);
    tid.copy(h, 8);
    return h;
  };
  if (key) {
    // The length field counts MESSAGE-INTEGRITY (24 bytes) when the HMAC is computed.
    const mac = createHmac('sha1', key).update(Buffer.concat([header(body.length + 24), body])).digest();
    body = Buffer.concat([body, attr(ATTR.MESSAGE_INTEGRITY, mac)]);
  }
  return Buffer.concat([header(body.length), body]);
}

interface Parsed { type: number; tid: Buffer; attrs: Map<number, Buffer> }

function parse(b: Buffer): Parsed {
  const attrs = new Map<number, Buffer>();
  const len = b.readUInt16BE(2);
  for (let o = 20; o + 4 <= 20 + len;) {
    const t = b.readUInt16BE(o);
    const l = b.readUInt16BE(o + 2);
    attrs.set(t, b.subarray(o + 4, o + 4 + l));
    o += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { type: b.readUInt16BE(0), tid: b.subarray(8, 20), attrs };
}

/** Requests and responses on one UDP socket or TCP connection (a nonce belongs to its 5-tuple). */
interface Channel { ask(req: Buffer): Promise<Parsed>; close(): void }

function channel(o: { host: string; port: number; transport: 'udp' | 'tcp' }, timeoutMs = 3000): Channel {
  let pending: ((p: Parsed) => void) | null = null;
  const deliver = (p: Parsed) => { const r = pending; pending = null; r?.(p); };
  const wait = (send: () => void) => new Promise<Parsed>((resolve, reject) => {
    const timer = setTimeout(() => { pending = null; reject(new Error(`no TURN answer over ${o.transport}`)); }, timeoutMs);
    pending = (p) => { clearTimeout(timer); resolve(p); };
    send();
  });
  if (o.transport === 'udp') {
    const sock = createSocket('udp4');
    sock.on('message', (m) => deliver(parse(m)));
    return { ask: (req) => wait(() => sock.send(req, o.port, o.host)), close: () => sock.close() };
  }
  const sock = connect(o.port, o.host);
  const connected = new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject); });
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 20 && buf.length >= 20 + buf.readUInt16BE(2)) {
      const n = 20 + buf.readUInt16BE(2);
      deliver(parse(buf.subarray(0, n)));
      buf = buf.subarray(n);
    }
  });
  return { ask: async (req) => { await connected; return wait(() => sock.write(req)); }, close: () => sock.destroy() };
}

export type AllocateResult = { ok: true; relayed: { address: string; port: number } } | { ok: false; code: number; reason: string };

function errorOf(p: Parsed): { code: number; reason: string } {
  const e = p.attrs.get(ATTR.ERROR_CODE);
  if (!e) return { code: 0, reason: `message type 0x${p.type.toString(16)}` };
  return { code: (e[2]! & 7) * 100 + e[3]!, reason: e.subarray(4).toString('utf8') };
}

/** Allocates a UDP relay with `username`/`password`; the answer (or error code) the server gave. */
export async function turnAllocate(o: { host: string; port: number; transport: 'udp' | 'tcp'; username: string; password: string }): Promise<AllocateResult> {
  const transport = attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0])); // UDP relay
  const ch = channel(o);
  try {
    return await allocate(ch, o, transport);
  } finally {
    ch.close();
  }
}

async function allocate(ch: Channel, o: { username: string; password: string }, transport: Buffer): Promise<AllocateResult> {
  const first = await ch.ask(message(ALLOCATE, randomBytes(12), [transport]));
  if (first.type !== 0x0113) return { ok: false, ...errorOf(first), reason: 'the unauthenticated Allocate was not refused' };
  const realm = first.attrs.get(ATTR.REALM);
  const nonce = first.attrs.get(ATTR.NONCE);
  if (!realm || !nonce) return { ok: false, code: errorOf(first).code, reason: 'no realm/nonce in the 401' };
  const key = createHash('md5').update(`${o.username}:${realm.toString('utf8')}:${o.password}`).digest();
  const second = await ch.ask(message(ALLOCATE, randomBytes(12), [
    transport, attr(ATTR.USERNAME, Buffer.from(o.username)), attr(ATTR.REALM, realm), attr(ATTR.NONCE, nonce),
  ], key));
  if (second.type !== 0x0103) return { ok: false, ...errorOf(second) };
  const x = second.attrs.get(ATTR.XOR_RELAYED_ADDRESS)!;
  const port = x.readUInt16BE(2) ^ (MAGIC >>> 16);
  const ip = (x.readUInt32BE(4) ^ MAGIC) >>> 0;
  return { ok: true, relayed: { address: [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'), port } };
}
