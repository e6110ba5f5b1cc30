import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the npm start test');

describe('the set-up promise', () => {
  runIt('`npm start`, then the printed URL in two tabs picking the same room, gives a call', () => {
    // Loopback only, in a fresh network namespace with just `lo` up (npm start's fixed ports are free there).
    const r = runInNetns<{ error?: string; url: string; framesPerSecond: number[]; names: string[][] }>(new URL('./npm-start.run.ts', import.meta.url), { timeoutMs: 150_000 });
    expect(r.error, r.error).toBeUndefined();
    expect(r.url).toBe('http://127.0.0.1:8787');
    expect(r.names).toEqual([['Tab two'], ['Tab one']]);
    for (const fps of r.framesPerSecond) expect(fps).toBeGreaterThan(5);
  }, 160_000);
});
