/** Starts test/fuzz/media-node-process.ts as a child process and watches it (exit, log lines). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface NodeProcess {
  readonly http: number;
  readonly conferences: Record<string, Record<string, string>>;
  readonly child: ChildProcess;
  /** Set once the process exited. */
  exit: { code: number | null; signal: string | null } | null;
  /** Log lines of level error or warn the node wrote (JSON objects). */
  readonly problems: Array<Record<string, unknown>>;
  /** The tail of its stderr (a crash's stack trace). */
  stderr: string;
  stop(): Promise<void>;
}

export function startNodeProcess(): Promise<NodeProcess> {
  // The Node running the tests (22, from the npm scripts) runs the TypeScript sources directly.
  const child = spawn(process.execPath, ['test/fuzz/media-node-process.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const proc: NodeProcess = {
      http: 0, conferences: {}, child, exit: null, problems: [], stderr: '',
      stop: () => new Promise<void>((done) => {
        if (proc.exit) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
    };
    child.stderr!.on('data', (c) => { proc.stderr = (proc.stderr + String(c)).slice(-4000); });
    child.stdout!.on('data', (chunk) => {
      buffered += String(chunk);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const ready = parsed.ready as { http: number; conferences: NodeProcess['conferences'] } | undefined;
        if (ready) {
          Object.assign(proc, { http: ready.http, conferences: ready.conferences });
          resolve(proc);
        } else if (parsed.level === 'error' || parsed.level === 'warn') {
          proc.problems.push(parsed);
        }
      }
    });
    child.once('exit', (code, signal) => {
      proc.exit = { code, signal };
      reject(new Error(`media node exited before it was ready (${signal ?? code}):\n${proc.stderr}`));
    });
  });
}
