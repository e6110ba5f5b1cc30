/**
 * The self-hosted edge as production runs it: `scripts/workerd-config.mjs` generates the workerd
 * config from wrangler.toml, and the workerd binary from node_modules serves it on a loopback port
 * with its Durable Objects on a local directory (infra/systemd/edgemeet-edge.service does the
 * same). Restartable on the same storage.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localEnv } from '../../scripts/local-env.mjs';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
export const WORKERD = join(root, 'node_modules/workerd/bin/workerd');
/** TimeoutStopSec of infra/systemd/edgemeet-edge.service. */
export const STOP_TIMEOUT_MS = 5_000;

/** Generates the config into `out` (the web app is built first if it is not). */
export async function generateSelfHostedConfig(out: string, storage: string): Promise<void> {
  if (!existsSync(join(root, 'edge/public/index.html'))) await run('npm', ['run', '--silent', 'build'], { cwd: root });
  await run(process.execPath, [join(root, 'scripts/workerd-config.mjs'), '--out', out, '--storage', storage, '--no-web-build'], {
    cwd: root, env: { ...process.env, ...localEnv }, timeout: 60_000,
  });
}

/** A free loopback TCP port (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface WorkerdEdge {
  readonly url: string;
  readonly wsUrl: string;
  readonly process: ChildProcess;
  /** Everything workerd printed (stdout and stderr). */
  readonly output: string[];
  /**
   * As `systemctl stop` with infra/systemd/edgemeet-edge.service: SIGTERM, SIGKILL after
   * STOP_TIMEOUT_MS (workerd waits for open WebSockets to end before it exits on SIGTERM, i.e.
   * forever while clients are connected). Resolves with how it ended.
   */
  stop(): Promise<number | string>;
}

/** Starts `workerd serve` on `port`; resolves once /about/health answers. `env` is its environment (the edge's keys). */
export async function startWorkerd(o: { configDir: string; storage: string; port: number; env: Record<string, string> }): Promise<WorkerdEdge> {
  // systemd's StateDirectory= makes it in production; workerd does not create it.
  mkdirSync(o.storage, { recursive: true });
  const child = spawn(WORKERD, [
    'serve', join(o.configDir, 'edgemeet.capnp'), '--socket-addr', `http=127.0.0.1:${o.port}`,
    '--directory-path', `edgemeet-do-storage=${o.storage}`,
  ], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    const text = String(chunk);
    output.push(text);
    if (process.env.WORKERD_LOG === '1' || /error|uncaught/i.test(text)) process.stderr.write(`[workerd] ${text}`);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)));
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`workerd exited before it was ready:\n${output.join('')}`);
    try {
      const r = await fetch(`${url}/about/health`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`workerd not ready in 30 s:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, wsUrl: `ws://127.0.0.1:${o.port}/xmpp-websocket`, process: child, output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const how = await exited;
      clearTimeout(killer);
      return how;
    },
  };
}
