import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types
import { lockStateDir } from '../../scripts/state-lock.mjs';

type Lock = { path: string; release(): void };
const lock = lockStateDir as (dir: string, pid?: number) => Lock;

describe('npm start state lock (two workerd on one .wrangler/state → SQLITE_BUSY)', () => {
  it('lockStateDir() refuses a second holder while the first lives, and is free again once released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgemeet-lock-'));
    const first = lock(dir);
    // process.ppid is alive: it stands for another npm start on the same directory.
    expect(() => lock(dir, process.ppid)).toThrow(/another npm start .* uses the local state/);
    first.release();
    lock(dir, process.ppid).release();
  });

  it('lockStateDir() takes over the lock of a process that is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgemeet-lock-'));
    // A pid far above any live one (Linux pid_max is at most 2^22).
    const dead = lock(dir, 2 ** 22 + 17);
    expect(dead.path).toContain('edgemeet-start.pid');
    const mine = lock(dir);
    mine.release();
  });
});
