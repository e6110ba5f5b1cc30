/**
 * A real RTMP server on loopback for live-streaming tests: npm's node-media-server (a
 * devDependency) as its own process, recording every published stream as FLV under its
 * directory. Resolves once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './self-hosted-edge.ts';

export interface RtmpServer {
  readonly port: number;
  readonly process: ChildProcess;
  /** The FLV files recorded so far, for `<app>/<stream>`. */
  recordings(app: string, stream: string): string[];
  readonly log: string[];
  stop(): Promise<void>;
}

export async function startRtmpServer(dir: string): Promise<RtmpServer> {
  const port = await freePort();
  const record = join(dir, 'record');
  mkdirSync(record, { recursive: true });
  const config = join(dir, 'nms.json');
  writeFileSync(config, JSON.stringify({
    bind: '127.0.0.1', notify: { url: '' }, store: { path: join(dir, 'data') }, auth: { play: false, publish: false, secret: 'test' },
    rtmp: { port }, webadmin: { enable: false }, record: { auto: true, path: record },
  }));
  const app = join(dirname(createRequire(import.meta.url).resolve('node-media-server/package.json')), 'bin', 'app.js');
  const child = spawn(process.execPath, [app, '-c', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node-media-server did not listen: ${log.join('')}`)), 10_000);
    void exited.then(() => reject(new Error(`node-media-server exited: ${log.join('')}`)));
    const onData = (c: Buffer) => {
      log.push(String(c));
      if (/Rtmp Server listening/.test(String(c))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  return {
    port, process: child, log,
    recordings: (a, s) => {
      const at = join(record, a, s);
      try {
        return readdirSync(at).filter((f) => f.endsWith('.flv')).map((f) => join(at, f)).sort((x, y) => statSync(x).mtimeMs - statSync(y).mtimeMs);
      } catch {
        return [];
      }
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
