/**
 * A media node as its own process (`node media-node/src/main.ts`, as systemd runs it), for tests
 * that kill it, stop it with a signal, or cut its control connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface MediaNodeProcess {
  readonly nodeId: string;
  readonly process: ChildProcess;
  /** http://127.0.0.1:PORT of its health, stats and bridge-channel server. */
  readonly httpUrl: string;
  /** Structured log lines it printed (parsed JSON), newest last. */
  readonly log: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a node that dials `edgeUrl` (ws://…); resolves once it has started (its first log line
 * with the HTTP port). Lines at warn and above, or all with NODE_LOG_LEVEL=info, go to stderr.
 */
export async function startMediaNodeProcess(o: { edgeUrl: string; secret: string; nodeId: string; env?: Record<string, string> }): Promise<MediaNodeProcess> {
  const main = new URL('../../media-node/src/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env, EDGE_URL: o.edgeUrl, BRIDGE_SECRET: o.secret, NODE_ID: o.nodeId, MEDIA_UDP_HOST: '127.0.0.1', MEDIA_UDP_PORT: '0',
      HTTP_PORT: '0', STATS_INTERVAL_MS: '500', LOG_LEVEL: 'info', ...o.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const log: Array<Record<string, unknown>> = [];
  const shown = new Set(['error', 'warn', ...(process.env.NODE_LOG_LEVEL === 'info' ? ['info'] : [])]);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)));
  const port = await new Promise<number>((resolve, reject) => {
    void exited.then((how) => reject(new Error(`media node ${o.nodeId} exited (${how}) before it started`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        log.push(entry);
        if (entry.event === 'media_node.started' && typeof entry.http === 'number') resolve(entry.http);
        if (shown.has(String(entry.level))) process.stderr.write(`${line}\n`);
      } catch {
        process.stderr.write(`${line}\n`);
      }
    });
  });
  return {
    nodeId: o.nodeId, process: child, httpUrl: `http://127.0.0.1:${port}`, log, exited,
    kill: (signal = 'SIGKILL') => { child.kill(signal); },
  };
}

/** The edge's view of registered nodes (`GET /about/bridges`). */
export async function registeredBridges(edgeUrl: string): Promise<Array<{ id: string; connected: boolean; shuttingDown: boolean }>> {
  const res = await fetch(`${edgeUrl}/about/bridges`);
  return ((await res.json()) as { bridges: Array<{ id: string; connected: boolean; shuttingDown: boolean }> }).bridges;
}
