#!/usr/bin/env node
// `npm start`: runs the whole system locally: the edge Worker in `wrangler dev` local mode on
// 127.0.0.1:8787 (web app, /config.js, XMPP signalling and the focus in Durable Objects, the bridge
// registry) and one media node (SFU on UDP 127.0.0.1:10000) that registers with it. Nothing leaves
// the machine: telemetry, update checks and cf.json fetches are off.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lockStateDir } from './state-lock.mjs';

const host = process.env.EDGE_HOST ?? '127.0.0.1';
const port = process.env.EDGE_PORT ?? '8787';
// A fresh node credential per run: only the media node started here can register.
const secret = process.env.BRIDGE_SECRET ?? randomBytes(24).toString('hex');
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  // Local tracing costs ~9x in Durable Object WebSocket throughput.
  X_LOCAL_OBSERVABILITY: 'false',
};

// The web app is built into the Worker's static assets first.
const { spawnSync } = await import('node:child_process');
if ((spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', env }).status ?? 1) !== 0) {
  process.stderr.write('web app build failed\n');
  process.exit(1);
}

// Durable Objects' local storage; one npm start at a time may use a directory (state-lock.mjs).
const persistTo = process.env.EDGE_PERSIST_TO ?? '.wrangler/state';
let lock;
try {
  lock = lockStateDir(persistTo);
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
process.on('exit', () => lock.release());

const children = [];
function run(name, cmd, args, extraEnv = {}) {
  const child = spawn(cmd, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} exited (${signal ?? code}); stopping\n`);
      stop('SIGTERM');
      process.exitCode = code ?? 1;
    }
  });
  return child;
}

const edge = run('edge', 'wrangler', ['dev', '--local', '--ip', host, '--port', port, '--show-interactive-dev-session=false', '--persist-to', persistTo, '--var', `BRIDGE_SECRET:${secret}`]);
let mediaStarted = false;
edge.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (!mediaStarted && /Ready on/i.test(String(chunk))) {
    mediaStarted = true;
    const media = run('media node', 'node', ['media-node/src/main.ts'], {
      EDGE_URL: `ws://${host}:${port}`, BRIDGE_SECRET: secret, NODE_ID: process.env.NODE_ID ?? 'local-node',
      MEDIA_UDP_HOST: '127.0.0.1', MEDIA_UDP_PORT: process.env.MEDIA_UDP_PORT ?? '10000',
    });
    media.stdout.pipe(process.stdout);
    process.stdout.write(`\nedgemeet is running: open http://${host}:${port}/ (XMPP: ws://${host}:${port}/xmpp-websocket?room=NAME, media node on udp://127.0.0.1:${process.env.MEDIA_UDP_PORT ?? '10000'})\n\n`);
  }
});

let stopping = false;
function stop(signal) {
  stopping = true;
  for (const child of children) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
