/**
 * Signalling benchmark: the same XMPP-over-WebSocket load against any server (our edge in
 * `wrangler dev`, or Debian's Prosody as a reference).
 *   1. join latency: N clients join M rooms (C joins in flight); time from connect to self-presence;
 *   2. room fan-out: K clients in one room, X groupchat messages (window W), deliveries per second.
 * Loopback only; bounded by --timeout. See bench/README.md.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { BenchClient, percentile, urlFor, type BenchTarget } from './lib/bench-client.ts';

const { values: o } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:8787/xmpp-websocket' },
    domain: { type: 'string', default: 'meet.jitsi' },
    muc: { type: 'string' },
    'room-param': { type: 'boolean', default: false },
    clients: { type: 'string', default: '50' },
    rooms: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '10' },
    'fanout-clients': { type: 'string', default: '10' },
    messages: { type: 'string', default: '2000' },
    window: { type: 'string', default: '50' },
    label: { type: 'string', default: 'server' },
    timeout: { type: 'string', default: '120' },
    json: { type: 'boolean', default: false },
  },
});

const target: BenchTarget = { url: o.url!, domain: o.domain!, muc: o.muc ?? `conference.${o.domain}`, roomParam: o['room-param']! };
const N = Number(o.clients), M = Number(o.rooms), C = Number(o.concurrency);
const K = Number(o['fanout-clients']), X = Number(o.messages), W = Number(o.window);
const run = `${Date.now().toString(36)}`;

const deadline = setTimeout(() => {
  console.error(`benchmark timed out after ${o.timeout} s`);
  process.exit(2);
}, Number(o.timeout) * 1000);

async function joinLatency() {
  const total: number[] = [];
  const joinOnly: number[] = [];
  const clients: BenchClient[] = [];
  let next = 0;
  const started = performance.now();
  async function worker() {
    for (let i = next++; i < N; i = next++) {
      const room = `bench-${run}-j${i % M}`;
      const t0 = performance.now();
      const c = await BenchClient.connect(urlFor(target, room));
      await c.login(target.domain);
      const t1 = performance.now();
      await c.join(target, room, `u${i}`);
      const t2 = performance.now();
      total.push(t2 - t0);
      joinOnly.push(t2 - t1);
      c.onFrame = () => undefined;
      clients.push(c);
    }
  }
  await Promise.all(Array.from({ length: C }, worker));
  const wall = performance.now() - started;
  for (const c of clients) c.close();
  total.sort((a, b) => a - b);
  joinOnly.sort((a, b) => a - b);
  return {
    clients: N, rooms: M, concurrency: C, wallMs: Math.round(wall), joinsPerSecond: Math.round((N / wall) * 1000),
    connectToSelfPresenceMs: { p50: percentile(total, 50), p99: percentile(total, 99), max: total.at(-1)! },
    joinToSelfPresenceMs: { p50: percentile(joinOnly, 50), p99: percentile(joinOnly, 99), max: joinOnly.at(-1)! },
  };
}

async function fanout() {
  const room = `bench-${run}-fan`;
  const clients: BenchClient[] = [];
  for (let i = 0; i < K; i++) {
    const c = await BenchClient.connect(urlFor(target, room));
    await c.login(target.domain);
    await c.join(target, room, `f${i}`);
    clients.push(c);
  }
  let delivered = 0;
  const expected = X * K;
  let echoes = 0;
  let sent = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const pump = () => {
    while (sent < X && sent - echoes < W) {
      const sender = clients[sent % K]!;
      sender.send(`<message to="${room}@${target.muc}" type="groupchat" xmlns="jabber:client"><body>m${sent}</body></message>`);
      sent++;
    }
  };
  clients.forEach((c, idx) => {
    c.onFrame = (f) => {
      if (!f.startsWith('<message') || !f.includes('<body>m')) return;
      delivered++;
      // Each message counts as echoed when its own sender receives it back.
      const n = Number(/<body>m(\d+)</.exec(f)?.[1]);
      if (n % K === idx) { echoes++; pump(); }
      if (delivered === expected) resolveDone();
    };
  });
  const t0 = performance.now();
  pump();
  await done;
  const ms = performance.now() - t0;
  for (const c of clients) c.close();
  return { clients: K, messages: X, window: W, ms: Math.round(ms), messagesPerSecond: Math.round((X / ms) * 1000), deliveriesPerSecond: Math.round((expected / ms) * 1000) };
}

const join = await joinLatency();
await new Promise((r) => setTimeout(r, 500));
const fan = await fanout();
clearTimeout(deadline);
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) };
const result = { label: o.label, date: new Date().toISOString(), target, machine, join, fanout: fan };
if (o.json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`${o.label}: ${N} joins over ${M} rooms (${C} at a time) in ${join.wallMs} ms (${join.joinsPerSecond}/s)`);
  console.log(`  connect→self-presence ms p50 ${join.connectToSelfPresenceMs.p50.toFixed(1)} p99 ${join.connectToSelfPresenceMs.p99.toFixed(1)} max ${join.connectToSelfPresenceMs.max.toFixed(1)}`);
  console.log(`  join→self-presence    ms p50 ${join.joinToSelfPresenceMs.p50.toFixed(1)} p99 ${join.joinToSelfPresenceMs.p99.toFixed(1)} max ${join.joinToSelfPresenceMs.max.toFixed(1)}`);
  console.log(`  fan-out: ${K} clients, ${X} messages: ${fan.messagesPerSecond} msg/s, ${fan.deliveriesPerSecond} deliveries/s`);
}
process.exit(0);
