// One supervised child process of `npm start` (scripts/start.mjs): started in its own process
// group, restarted when it exits (bounded exponential backoff, reset once it has run a while),
// stopped with a signal to the whole group (wrangler's workerd goes with it) and SIGKILL after a
// deadline. Every start and exit is logged on stderr. Plain JS so that Node 20 can run it too.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** Restart waits: 0.5 s, doubling to 10 s; back to 0.5 s after a run of 30 s or more. */
export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 });

/** The wait before the restart that follows `failures` quick exits in a row (0 for the first). */
export function restartDelay(failures, backoff = DEFAULT_BACKOFF) {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** failures);
}

const stderrLog = (line) => process.stderr.write(`[supervisor] ${line}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * A child process kept running. Events: `spawn` (the ChildProcess, after each start), `exit`
 * ({ pid, code, signal, ranMs, restartInMs }: restartInMs is null when it is not restarted).
 */
export class Supervised extends EventEmitter {
  #o;
  #child = null;
  #startedAt = 0;
  #failures = 0;
  #timer = null;
  #stopping = false;
  #exited = null;
  #stopped = null;

  /**
   * @param {object} o
   * @param {string} o.name shown in the log
   * @param {string} o.command
   * @param {string[]} [o.args]
   * @param {NodeJS.ProcessEnv} [o.env]
   * @param {import('node:child_process').StdioOptions} [o.stdio] default: stdin ignored, stdout piped, stderr inherited
   * @param {{ initialMs: number, maxMs: number, resetAfterMs: number }} [o.backoff]
   * @param {(exit: { code: number | null, signal: string | null, ranMs: number }) => boolean} [o.restart] default: always
   * @param {(line: string) => void} [o.log]
   */
  constructor(o) {
    super();
    this.#o = { args: [], env: process.env, stdio: ['ignore', 'pipe', 'inherit'], backoff: DEFAULT_BACKOFF, restart: () => true, log: stderrLog, ...o };
  }

  get name() { return this.#o.name; }
  /** The running child's pid, or undefined between runs. */
  get pid() { return this.#child?.pid; }
  get child() { return this.#child; }

  start() {
    this.#stopping = false;
    this.#spawn();
    return this;
  }

  #spawn() {
    this.#timer = null;
    const { name, command, args, env, stdio, log } = this.#o;
    // Its own process group (a session: setsid), so that its descendants can be signalled with it.
    const child = spawn(command, args, { env, stdio, detached: true });
    this.#child = child;
    this.#startedAt = Date.now();
    let ended = false;
    const end = (code, signal) => {
      if (ended) return;
      ended = true;
      this.#ended(child, code, signal);
    };
    child.on('error', (err) => {
      log(`${name}: ${err.message}`);
      if (child.pid === undefined) end(null, null);
    });
    child.on('exit', (code, signal) => end(code, signal));
    if (child.pid !== undefined) {
      log(`${name} started (pid ${child.pid})`);
      this.emit('spawn', child);
    }
  }

  #ended(child, code, signal) {
    const { name, backoff, restart, log } = this.#o;
    // Whatever it left behind in its group (wrangler's workerd) goes too.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    if (this.#child === child) this.#child = null;
    const ranMs = Date.now() - this.#startedAt;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    let restartInMs = null;
    if (!this.#stopping && restart({ code, signal, ranMs })) {
      if (ranMs >= backoff.resetAfterMs) this.#failures = 0;
      restartInMs = restartDelay(this.#failures, backoff);
      this.#failures += 1;
      this.#timer = setTimeout(() => this.#spawn(), restartInMs);
    }
    log(`${name} (pid ${child.pid ?? 'none'}) ${how} after ${seconds(ranMs)}${restartInMs === null ? '' : `; restarting in ${seconds(restartInMs)}`}`);
    this.emit('exit', { pid: child.pid, code, signal, ranMs, restartInMs });
    this.#exited?.();
  }

  /** Sends `signal` to the child's process group now (a no-op between runs). */
  kill(signal = 'SIGKILL') {
    const pid = this.#child?.pid;
    if (pid !== undefined) signalGroup(pid, signal);
  }

  /**
   * No more restarts; sends `signal` to the child's group and resolves once it exited, after
   * SIGKILL if it is still there after `killAfterMs`.
   */
  stop(signal = 'SIGTERM', { killAfterMs = 15_000 } = {}) {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const child = this.#child;
    if (!child) return Promise.resolve();
    this.kill(signal);
    this.#stopped ??= new Promise((resolve) => {
      const deadline = setTimeout(() => {
        this.#o.log(`${this.#o.name} (pid ${child.pid}) still running ${seconds(killAfterMs)} after ${signal}; killing it`);
        this.kill('SIGKILL');
      }, killAfterMs);
      this.#exited = () => {
        clearTimeout(deadline);
        this.#exited = null;
        this.#stopped = null;
        resolve();
      };
    });
    return this.#stopped;
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
