import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
const runIt = haveChromium || process.env.CI ? it : it.skip;

describe('the set-up promise', () => {
  runIt('`npm start`, then the printed URL in two tabs picking the same room, gives a call', () => {
    const script = fileURLToPath(new URL('./npm-start.run.ts', import.meta.url));
    // Its own network namespace: npm start's fixed ports (8787, 10000, 9090) are free there.
    const run = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${realpathSync(process.execPath)}" "${script}"`], {
      encoding: 'utf8', timeout: 150_000,
    });
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(line, run.stderr.slice(-3000)).toMatch(/^\{/);
    const r = JSON.parse(line) as { error?: string; url: string; framesPerSecond: number[]; names: string[][] };
    expect(r.error, r.error).toBeUndefined();
    expect(r.url).toBe('http://127.0.0.1:8787');
    expect(r.names).toEqual([['Tab two'], ['Tab one']]);
    for (const fps of r.framesPerSecond) expect(fps).toBeGreaterThan(5);
  }, 160_000);
});
