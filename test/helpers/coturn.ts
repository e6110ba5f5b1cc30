/**
 * Debian's coturn (`apt-get install coturn`; .ci/run installs it) started on loopback from
 * infra/coturn/turnserver-loopback.conf with a given shared secret (the edge's TURN_SECRET), on a
 * free port, UDP and TCP. Its log is kept (allocations name the username).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const turnserverPath = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
export const haveCoturn = existsSync(turnserverPath);
export const coturnConfig = fileURLToPath(new URL('../../infra/coturn/turnserver-loopback.conf', import.meta.url));

export interface Coturn {
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startCoturn(secret: string): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'edgemeet-coturn-'));
  const port = await freeTcpPort();
  const child = spawn(turnserverPath, [
    '-c', coturnConfig, `--listening-port=${port}`, `--static-auth-secret=${secret}`,
    `--db=${join(dir, 'turndb')}`, `--pidfile=${join(dir, 'turnserver.pid')}`, '--verbose',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready once its listeners are up (it logs the database last).
  for (const until = Date.now() + 10_000; !/SQLite DB connection success/.test(out);) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`coturn did not start:\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, process: child, log: () => out,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
