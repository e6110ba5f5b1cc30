/**
 * `wrangler deploy --dry-run`: the Worker bundles offline (no account, no network) into an upload
 * within Cloudflare's documented Worker size limits, with the bindings wrangler.toml declares.
 *
 * Limits (developers.cloudflare.com/workers/platform/limits, checked November 2026): "Worker size"
 * is 64 MiB on every plan, measured uncompressed (wrangler 4.156's bundle reporter uses the same
 * constant). Until 2026 the limit was on the compressed upload: 3 MB (Free) and 10 MB (Paid) after
 * gzip. Both are asserted: the uncompressed size against today's limit, the gzip size against the
 * old Free-plan limit, the strictest one ever documented.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { localEnv } from '../../scripts/local-env.mjs';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const MiB = 1024 * 1024;
const WORKER_SIZE_LIMIT_BYTES = 64 * MiB;
const LEGACY_FREE_GZIP_LIMIT_BYTES = 3 * MiB;

describe('wrangler deploy --dry-run', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'edgemeet-dry-run-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds a bundle within the Worker size limits, offline, with the Durable Objects and assets bound', async () => {
    // The static assets are part of the deploy: the web app must be built (npm test builds it first).
    if (!existsSync(join(root, 'edge/public/index.html'))) await run('npm', ['run', '--silent', 'build'], { cwd: root });
    const { stdout, stderr } = await run(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: root, env: { ...process.env, ...localEnv }, timeout: 60_000,
    });
    const output = `${stdout}\n${stderr}`;
    expect(output).toContain('--dry-run: exiting now.');
    // Modules wrangler would upload: everything it wrote but source maps and its README.
    const modules = readdirSync(outdir).filter((f) => !f.endsWith('.map') && f !== 'README.md');
    expect(modules).toContain('index.js');
    const contents = modules.map((f) => readFileSync(join(outdir, f)));
    const size = contents.reduce((n, b) => n + b.length, 0);
    const gzipSize = gzipSync(Buffer.concat(contents)).length;
    console.log(`worker bundle: ${(size / 1024).toFixed(1)} KiB, gzip ${(gzipSize / 1024).toFixed(1)} KiB `
      + `(limit ${WORKER_SIZE_LIMIT_BYTES / MiB} MiB uncompressed; ${(100 * gzipSize / LEGACY_FREE_GZIP_LIMIT_BYTES).toFixed(1)} % of the former 3 MB gzip limit) — wrangler: ${/Total Upload: (.*)/.exec(output)?.[1]}`);
    expect(size).toBeLessThan(WORKER_SIZE_LIMIT_BYTES);
    expect(gzipSize).toBeLessThan(LEGACY_FREE_GZIP_LIMIT_BYTES);
    // Our measurement is wrangler's (it gzips the concatenated modules the same way).
    const reported = /gzip: ([\d.]+) KiB/.exec(output)?.[1];
    expect(Number(reported)).toBeCloseTo(gzipSize / 1024, 0);
    for (const binding of ['env.ROOM (RoomDurableObject)', 'env.REGISTRY (RegistryDurableObject)', 'env.ASSETS']) expect(output).toContain(binding);
    // No secret is ever a plain var in wrangler.toml.
    for (const secret of ['BRIDGE_SECRET', 'JWT_APP_SECRET', 'STATUS_TOKEN']) expect(output).not.toContain(`env.${secret} (`);
  }, 120_000);
});
