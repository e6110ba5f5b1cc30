/** Types of scripts/supervisor.mjs for its TypeScript test. */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';

export interface Backoff { initialMs: number; maxMs: number; resetAfterMs: number }
export interface SupervisedExit { pid: number | undefined; code: number | null; signal: NodeJS.Signals | null; ranMs: number; restartInMs: number | null }

export declare const DEFAULT_BACKOFF: Readonly<Backoff>;
export declare function restartDelay(failures: number, backoff?: Backoff): number;

export declare class Supervised extends EventEmitter<{ spawn: [ChildProcess]; exit: [SupervisedExit] }> {
  constructor(o: {
    name: string;
    command: string;
    args?: string[];
    env?: NodeJS.ProcessEnv;
    stdio?: StdioOptions;
    backoff?: Backoff;
    restart?: (exit: { code: number | null; signal: NodeJS.Signals | null; ranMs: number }) => boolean;
    log?: (line: string) => void;
  });
  readonly name: string;
  readonly pid: number | undefined;
  readonly child: ChildProcess | null;
  start(): this;
  kill(signal?: NodeJS.Signals): void;
  stop(signal?: NodeJS.Signals, o?: { killAfterMs?: number }): Promise<void>;
}
