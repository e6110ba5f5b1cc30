/**
 * Bridge failover with today's lib-jitsi-meet: a 3-party call in Chromium, two media nodes; the node
 * carrying the call is killed with SIGKILL `--kills N` times (a fresh node replaces it each time),
 * then one drain to its timeout (SIGTERM, DRAIN_TIMEOUT_MS=1000). Reports kill → every page
 * decoding everyone again (per kill, median, max) and the longest gap in decoded video during the
 * drain. Runs test/interop/ljm-failover.run.ts in its own network namespace with only loopback.
 *
 *     npm exec -- node bench/failover.ts --kills 6
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const kills = Number(arg('kills', '5'));
const script = fileURLToPath(new URL('../test/interop/ljm-failover.run.ts', import.meta.url));
const run = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${realpathSync(process.execPath)}" "${script}"`], {
  encoding: 'utf8', timeout: 120_000 + kills * 30_000, env: { ...process.env, KILLS: String(kills), DRAIN: '1' },
});
const line = run.stdout.trim().split('\n').at(-1) ?? '';
if (!line.startsWith('{')) {
  process.stderr.write(run.stderr.slice(-4000));
  process.exit(1);
}
const r = JSON.parse(line) as { error?: string; kills: Array<{ allMs: number; recoveredMs: number[] }>; drain?: { maxGapMs: number[]; exitedMs: number }; left: string[][] };
if (r.error) {
  process.stderr.write(`${r.error}\n`);
  process.exit(1);
}
const all = r.kills.map((k) => k.allMs).sort((a, b) => a - b);
const median = all.length % 2 ? all[(all.length - 1) / 2]! : (all[all.length / 2 - 1]! + all[all.length / 2]!) / 2;
console.log(JSON.stringify({
  bench: 'failover', client: "today's lib-jitsi-meet (3 Chromium pages)", kills: r.kills.length,
  killToEveryoneDecodingMs: { samples: r.kills.map((k) => k.allMs), median, max: all.at(-1) },
  perPageMs: r.kills.map((k) => k.recoveredMs),
  drain: r.drain ? { longestGapMs: Math.max(...r.drain.maxGapMs), perPage: r.drain.maxGapMs, nodeGoneAfterMs: r.drain.exitedMs } : null,
  nobodyLeft: r.left.every((l) => l.length === 0),
}));
