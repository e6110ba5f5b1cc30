#!/usr/bin/env node
// `npm start`: runs the whole system locally: the edge Worker in `wrangler dev` local mode on
// 127.0.0.1:8787 (web app, /config.js, XMPP signalling in Durable Objects). Media nodes join here
// as they are built. Nothing leaves the machine: telemetry, update checks and cf.json fetches are off.
import { spawn } from 'node:child_process';

const host = process.env.EDGE_HOST ?? '127.0.0.1';
const port = process.env.EDGE_PORT ?? '8787';
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  // Local tracing costs ~9x in Durable Object WebSocket throughput (docs/toolchain notes).
  X_LOCAL_OBSERVABILITY: 'false',
};

const edge = spawn('wrangler', ['dev', '--local', '--ip', host, '--port', port, '--show-interactive-dev-session=false'], {
  env, stdio: ['ignore', 'pipe', 'inherit'],
});

let announced = false;
edge.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/i.test(String(chunk))) {
    announced = true;
    process.stdout.write(`\nedgemeet is running: open http://${host}:${port}/ (XMPP: ws://${host}:${port}/xmpp-websocket?room=NAME)\n\n`);
  }
});

const stop = (signal) => edge.kill(signal);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
edge.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
