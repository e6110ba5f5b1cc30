import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
// CI installs Debian's chromium (.ci/run); a developer machine without it skips, and says so.
const runIt = haveChromium || process.env.CI ? it : it.skip;
if (!haveChromium && !process.env.CI) console.warn(`skipping browser tests: no Chromium at ${chromiumPath} (apt-get install chromium)`);

describe('Debian Chromium and the media node', () => {
  runIt('a browser answering a Jingle-style offer (no ice-lite) completes ICE + DTLS-SRTP with the node, which decrypts its audio and video', () => {
    const script = fileURLToPath(new URL('./chromium-media-node.run.ts', import.meta.url));
    // Loopback only: Chromium and the node run in a fresh network namespace with just `lo` up.
    const run = spawnSync('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${realpathSync(process.execPath)}" "${script}"`], {
      encoding: 'utf8', timeout: 60_000,
    });
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(line, run.stderr).toMatch(/^\{/);
    const result = JSON.parse(line) as { transport: string; browser: string; rtp: Record<string, number>; candidates: string[] };
    expect(result.transport).toBe('connected');
    expect(result.browser).toBe('connected');
    const counts = Object.values(result.rtp);
    expect(counts).toHaveLength(2);
    for (const n of counts) expect(n).toBeGreaterThan(20);
    expect(result.candidates.every((c) => c.includes(' 127.0.0.1 '))).toBe(true);
  });
});
