import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the npm start test');

interface Call { framesPerSecond: number[]; names: string[][] }
interface Result extends Call {
  error?: string;
  url: string;
  killedPid: number;
  edgeAnswersAfterKill: boolean;
  restartedPid: number;
  restartedAlive: boolean;
  bridgesAfterRestart: { id: string; connected: boolean }[];
  afterRestart: Call;
  edgeAnswersAfterRestart: boolean;
  edgeStarts: number;
  stopped: { inMs: number; logged: boolean; childrenAlive: number; edgeAnswers: boolean };
}

describe('the set-up promise', () => {
  runIt('`npm start`, then the printed URL in two tabs picking the same room, gives a call; a killed media node comes back, and so does the call', () => {
    // Loopback only, in a fresh network namespace with just `lo` up (npm start's fixed ports are free there).
    const r = runInNetns<Result>(new URL('./npm-start.run.ts', import.meta.url), { timeoutMs: 230_000 });
    expect(r.error, r.error).toBeUndefined();
    expect(r.url).toBe('http://127.0.0.1:8787');
    expect(r.names).toEqual([['Tab two'], ['Tab one']]);
    for (const fps of r.framesPerSecond) expect(fps).toBeGreaterThan(5);

    // kill -9 of the media node: the edge stays up (never restarted), the node is restarted and registers again.
    expect(r.edgeAnswersAfterKill).toBe(true);
    expect(r.restartedPid).not.toBe(r.killedPid);
    expect(r.restartedAlive).toBe(true);
    expect(r.bridgesAfterRestart).toContainEqual({ id: 'local-node', connected: true });
    expect(r.edgeAnswersAfterRestart).toBe(true);
    expect(r.edgeStarts).toBe(1);
    // A new call through the restarted node.
    expect(r.afterRestart.names).toEqual([['Tab two'], ['Tab one']]);
    for (const fps of r.afterRestart.framesPerSecond) expect(fps).toBeGreaterThan(5);

    // SIGTERM stops everything, promptly.
    expect(r.stopped).toEqual({ inMs: expect.any(Number), logged: true, childrenAlive: 0, edgeAnswers: false });
    expect(r.stopped.inMs).toBeLessThan(20_000);
  }, 240_000);
});
