import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { restartDelay, Supervised, type SupervisedExit } from './supervisor.mjs';

const node = process.execPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: Supervised[] = [];
const strays: number[] = [];

function supervise(script: string, backoff = { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 }) {
  const log: string[] = [];
  const spawns: { pid: number; at: number }[] = [];
  const exits: (SupervisedExit & { at: number })[] = [];
  const s = new Supervised({ name: 'child', command: node, args: ['-e', script], backoff, log: (l) => log.push(l), stdio: ['ignore', 'pipe', 'ignore'] });
  s.on('spawn', (c) => spawns.push({ pid: c.pid!, at: Date.now() }));
  s.on('exit', (e) => exits.push({ ...e, at: Date.now() }));
  running.push(s.start());
  return { s, log, spawns, exits };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Whether a pid is a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
  for (const pid of strays.splice(0)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone, as it should be */ }
});

describe('the npm start supervisor', () => {
  it('waits 0.5 s doubling to 10 s between quick restarts', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => restartDelay(n))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('restarts a child that keeps exiting, waiting longer each time up to the bound', async () => {
    const { log, spawns, exits } = supervise('process.exit(3)');
    await until('four exits', () => exits.length >= 4 && spawns.length >= 5);
    expect(exits.slice(0, 4).map((e) => [e.code, e.signal, e.restartInMs])).toEqual([[3, null, 100], [3, null, 200], [3, null, 400], [3, null, 400]]);
    for (let i = 0; i < 4; i++) expect(spawns[i + 1]!.at - exits[i]!.at).toBeGreaterThanOrEqual(exits[i]!.restartInMs! - 5);
    expect(new Set(spawns.map((s) => s.pid)).size).toBe(spawns.length);
    expect(log).toContain(`child started (pid ${spawns[1]!.pid})`);
    expect(log.find((l) => l.startsWith(`child (pid ${spawns[0]!.pid}) exited with code 3 after`))).toMatch(/; restarting in 0\.1 s$/);
  });

  it('goes back to the shortest wait after a run longer than resetAfterMs', async () => {
    const { exits } = supervise('setTimeout(() => process.exit(1), 300)', { initialMs: 100, maxMs: 400, resetAfterMs: 200 });
    await until('three exits', () => exits.length >= 3);
    expect(exits.slice(0, 3).map((e) => e.restartInMs)).toEqual([100, 100, 100]);
  });

  it('a child killed with SIGKILL takes its process group along, and comes back', async () => {
    // The child starts a grandchild (as wrangler starts workerd) and reports its pid.
    const { s, log, spawns, exits } = supervise(`
      const g = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log(g.pid);
      setInterval(() => {}, 1000);`);
    let out = '';
    s.child!.stdout!.on('data', (c) => { out += String(c); });
    await until('the grandchild', () => /^\d+\n/.test(out));
    const grandchild = Number(out.trim());
    strays.push(grandchild);
    expect(alive(grandchild)).toBe(true);
    process.kill(spawns[0]!.pid, 'SIGKILL');
    await until('the exit', () => exits.length === 1);
    expect(exits[0]).toMatchObject({ signal: 'SIGKILL', restartInMs: 100 });
    expect(log).toContain(`child (pid ${spawns[0]!.pid}) killed by SIGKILL after ${(exits[0]!.ranMs / 1000).toFixed(1)} s; restarting in 0.1 s`);
    await until('the grandchild gone', () => !alive(grandchild), 2000);
    await until('the restart', () => spawns.length === 2);
  });

  it('stop: no restart, SIGKILL when SIGTERM is not enough', async () => {
    const { s, spawns, exits } = supervise(`process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);`);
    let out = '';
    s.child!.stdout!.on('data', (c) => { out += String(c); });
    await until('the child', () => out.includes('ready'));
    const t0 = Date.now();
    await s.stop('SIGTERM', { killAfterMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(exits).toEqual([expect.objectContaining({ signal: 'SIGKILL', restartInMs: null })]);
    expect(s.pid).toBeUndefined();
    await sleep(300);
    expect(spawns).toHaveLength(1);
  });

  it('stop: a child that exits on SIGTERM is not killed', async () => {
    const { s, exits } = supervise(`process.on('SIGTERM', () => process.exit(0)); console.log('ready'); setInterval(() => {}, 1000);`);
    let out = '';
    s.child!.stdout!.on('data', (c) => { out += String(c); });
    await until('the child', () => out.includes('ready'));
    await s.stop('SIGTERM', { killAfterMs: 5000 });
    expect(exits).toEqual([expect.objectContaining({ code: 0, signal: null, restartInMs: null })]);
  });
});
