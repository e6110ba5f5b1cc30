/**
 * A real recorder process (`media-node/src/recorder-main.ts`) for integration tests: started with
 * its env, its JSON log lines collected (warn and above, or all with RECORDER_LOG_LEVEL=info, go to
 * stderr); resolves once the jibri brewery has reflected its join (it can be selected from then on).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RecorderProcess {
  readonly process: ChildProcess;
  readonly log: Array<Record<string, unknown>>;
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export async function startRecorderProcess(env: Record<string, string>): Promise<RecorderProcess> {
  const main = new URL('../../media-node/src/recorder-main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const log: Array<Record<string, unknown>> = [];
  const shown = new Set(['error', 'warn', ...(process.env.RECORDER_LOG_LEVEL === 'info' ? ['info'] : [])]);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)));
  // Always at info: readiness is its `control.joined` line (RECORDER_LOG_LEVEL only decides what is shown).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the recorder did not join the jibri brewery within 30 s')); }, 30_000);
    void exited.then((how) => reject(new Error(`recorder exited (${how}) before it joined the jibri brewery`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        log.push(entry);
        if (entry.event === 'control.joined') { clearTimeout(timer); resolve(); }
        if (shown.has(String(entry.level))) process.stderr.write(`${line}\n`);
      } catch {
        process.stderr.write(`${line}\n`);
      }
    });
  });
  // Signals go to the recorder's whole process group: its ffmpeg children (composition) must not
  // outlive a killed recorder in a test run (systemd's control group does this in production).
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      child.kill(signal);
    }
  };
  return { process: child, log, exited, kill };
}
