/**
 * The vitest side of the browser tests: skip where there is no Chromium (CI installs it; a
 * developer machine without it skips with a warning), and run a test script inside a fresh
 * network namespace with only `lo` up, reading the JSON line it prints.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { chromiumPath } from './chromium.ts';

const haveChromium = existsSync(chromiumPath);

/** `it`, or `it.skip` (with a warning) where there is no Chromium and this is not CI. */
export function browserIt(what: string): typeof it {
  if (haveChromium || process.env.CI) return it;
  console.warn(`skipping ${what}: no Chromium at ${chromiumPath} (apt-get install chromium)`);
  return it.skip as unknown as typeof it;
}

/**
 * Runs `script` (a URL next to the caller) with Node 22 inside `unshare --net` with only loopback,
 * and returns the JSON object it printed last; throws with its stderr if it printed none.
 */
export function runInNetns<T>(script: URL, o: { timeoutMs: number; env?: Record<string, string> }): T {
  const run = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${realpathSync(process.execPath)}" "${fileURLToPath(script)}"`], {
    encoding: 'utf8', timeout: o.timeoutMs, env: { ...process.env, ...o.env },
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`${fileURLToPath(script)} printed no result (status ${run.status}):\n${run.stderr.slice(-4000)}`);
  return JSON.parse(line) as T;
}
