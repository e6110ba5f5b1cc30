/**
 * Join → first media: for conferences of 2…N participants, the time from a participant starting
 * to join (connect, conference IQ, MUC join) until it has received its first RTP packet from every
 * other participant, through the focus and a real media node on loopback. Each size runs R rounds
 * in fresh rooms; reports p50/p99 over all participants.
 *   node bench/join-to-media.ts [--max 5] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../media-node/src/config.ts';
import { createLogger } from '../media-node/src/log.ts';
import { startMediaNode } from '../media-node/src/media-node.ts';
import { startEdge } from '../test/helpers/edge.ts';
import { joinConference, type Participant } from '../test/helpers/jingle-participant.ts';
import { percentile } from './lib/bench-client.ts';

const { values: o } = parseArgs({ options: { max: { type: 'string', default: '5' }, rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const secret = 'bench-bridge-secret-0123456789';
const deadline = setTimeout(() => { console.error('benchmark timed out'); process.exit(2); }, 300_000);

const edge = await startEdge({ BRIDGE_SECRET: secret, LOG_LEVEL: 'error' });
const node = await startMediaNode(loadConfig({
  EDGE_URL: edge.url.replace(/^http/, 'ws'), BRIDGE_SECRET: secret, NODE_ID: 'bench-node', MEDIA_UDP_PORT: '0', HTTP_PORT: '0', STATS_INTERVAL_MS: '500', LOG_LEVEL: 'error',
}), createLogger('error'));
while (!node.control.online) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 300));

const results: Array<{ participants: number; samples: number; p50: number; p99: number; max: number }> = [];
for (let n = 2; n <= Number(o.max); n++) {
  const samples: number[] = [];
  for (let round = 0; round < Number(o.rounds); round++) {
    const room = `jtm-${n}-${round}-${Date.now().toString(36)}`;
    const people: Array<{ p: Participant; started: number; done: number | null }> = [];
    const senders: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      const p = await joinConference(edge.wsUrl, room, `p${i}`);
      people.push({ p, started, done: null });
    }
    // Everyone sends audio continuously while the others connect.
    let sending = true;
    for (const { p } of people) {
      senders.push((async () => { while (sending) { if (p.ssrc !== null) await p.sendAudio(5); else await new Promise((r) => setTimeout(r, 10)); } })());
    }
    const until = performance.now() + 20_000;
    while (people.some((x) => x.done === null) && performance.now() < until) {
      for (const x of people) {
        if (x.done !== null) continue;
        const others = people.filter((y) => y !== x).map((y) => y.p.ssrc);
        if (others.every((s) => s !== null && (x.p.received.get(s) ?? 0) > 0)) x.done = performance.now();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    sending = false;
    await Promise.all(senders);
    for (const x of people) if (x.done !== null) samples.push(x.done - x.started);
    await Promise.all(people.map((x) => x.p.leave().catch(() => undefined)));
  }
  samples.sort((a, b) => a - b);
  results.push({ participants: n, samples: samples.length, p50: Math.round(percentile(samples, 50)), p99: Math.round(percentile(samples, 99)), max: Math.round(samples.at(-1) ?? NaN) });
}
clearTimeout(deadline);
await node.stop();
await edge.stop();
if (o.json) console.log(JSON.stringify({ date: new Date().toISOString(), results }));
else for (const r of results) console.log(`${r.participants} participants: join→first media from everyone p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (${r.samples} samples)`);
process.exit(0);
