#!/usr/bin/env node
// `npm start`: runs the whole system locally: the edge Worker in `wrangler dev` local mode on
// 127.0.0.1:8787 (web app, /config.js, XMPP signalling and the focus in Durable Objects, the bridge
// registry) and one media node (SFU on UDP 127.0.0.1:10000; MEDIA_NODES=N for more) that registers
// with it, and the recorder (media-node/src/recorder-main.ts, recordings in .recordings/). Nothing leaves the machine: telemetry, update checks and cf.json fetches are off.
//
// It supervises them (scripts/supervisor.mjs): a media node or an edge that exits is restarted
// (0.5 s doubling to 10 s between quick restarts) while the others keep running; a node re-registers
// by itself (its control connection reconnects). Only an edge that never became ready stops it all.
// SIGINT/SIGTERM/SIGHUP stop everything (SIGTERM to each child, SIGKILL after 15 s or on a second
// signal). Starts, exits and restarts are logged on stderr.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localEnv } from './local-env.mjs';
import { lockStateDir } from './state-lock.mjs';
import { Supervised } from './supervisor.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const host = process.env.EDGE_HOST ?? '127.0.0.1';
const port = process.env.EDGE_PORT ?? '8787';
const edgeUrl = `http://${host}:${port}`;
const log = (line) => process.stderr.write(`[npm start] ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const env = { ...process.env, ...localEnv };

function fail(message) {
  log(message);
  process.exit(1);
}

// A fresh node credential per run: only the media nodes started here can register.
const secret = process.env.BRIDGE_SECRET ?? randomBytes(24).toString('hex');
// It goes into a dotenv file (quoting and $-expansion rules), so only plain characters.
if (!/^[A-Za-z0-9._~+/=-]{16,}$/.test(secret)) fail('BRIDGE_SECRET: at least 16 characters out of A-Z a-z 0-9 . _ ~ + / = -');
// Likewise the recorders' credential (Registry login and the rooms' hidden domain); it must differ from the node's.
const recorderSecret = process.env.RECORDER_SECRET ?? randomBytes(24).toString('hex');
if (!/^[A-Za-z0-9._~+/=-]{16,}$/.test(recorderSecret) || recorderSecret === secret) fail('RECORDER_SECRET: at least 16 characters out of A-Z a-z 0-9 . _ ~ + / = -, not BRIDGE_SECRET');
const recordingsDir = process.env.RECORDINGS_DIR === 'off' ? null : resolve(root, process.env.RECORDINGS_DIR ?? '.recordings');
const mediaNodes = Number(process.env.MEDIA_NODES ?? '1');
if (!Number.isInteger(mediaNodes) || mediaNodes < 1 || mediaNodes > 16) fail('MEDIA_NODES: a whole number from 1 to 16');
const baseUdpPort = Number(process.env.MEDIA_UDP_PORT ?? '10000');
const baseHttpPort = Number(process.env.HTTP_PORT ?? '9090');
const baseNodeId = process.env.NODE_ID ?? 'local-node';
// MEDIA_NODE_REGIONS=eu,us: node i registers in region i mod n, and the edge's rooms draw from all
// of them (BRIDGE_REGIONS), its own REGION being the first.
const nodeRegions = (process.env.MEDIA_NODE_REGIONS ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
if (nodeRegions.some((r) => !/^[a-z0-9][a-z0-9-]{0,63}$/.test(r))) fail('MEDIA_NODE_REGIONS: comma-separated regions of lower-case letters, digits and dashes');
const nodes = Array.from({ length: mediaNodes }, (_, i) => ({
  id: i === 0 ? baseNodeId : `${baseNodeId}-${i + 1}`, udpPort: baseUdpPort + 2 * i, httpPort: baseHttpPort + i,
  region: nodeRegions.length > 0 ? nodeRegions[i % nodeRegions.length] : undefined,
}));
const regionVars = nodeRegions.length > 0
  ? ['--var', `BRIDGE_REGIONS:${[...new Set(nodeRegions)].join(',')}`, '--var', `REGION:${nodeRegions[0]}`]
  : [];

// The web app is built into the Worker's static assets first.
if ((spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', env }).status ?? 1) !== 0) fail('web app build failed');

// The edge gets the secret from a dotenv file (`--env-file`), not on its command line where `ps`
// shows it: in a private temporary directory, mode 0600, removed when this process exits. With
// `--env-file` wrangler reads no .dev.vars or .env of its own, so the developer's go first.
const secretsDir = mkdtempSync(join(tmpdir(), 'edgemeet-start-'));
const secretsFile = join(secretsDir, 'secrets.env');
writeFileSync(secretsFile, `BRIDGE_SECRET=${secret}\nRECORDER_SECRET=${recorderSecret}\n`, { mode: 0o600 });
const ownEnvFiles = existsSync(join(root, '.dev.vars'))
  ? ['.dev.vars']
  : process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV === 'false' ? [] : ['.env', '.env.local'].filter((f) => existsSync(join(root, f)));
const envFiles = [...ownEnvFiles.map((f) => join(root, f)), secretsFile];

// Durable Objects' local storage; one npm start at a time may use a directory (state-lock.mjs:
// two workerd processes on one SQLite file make SQLITE_BUSY).
const persistTo = process.env.EDGE_PERSIST_TO ?? '.wrangler/state';
let lock;
try {
  lock = lockStateDir(persistTo);
} catch (err) {
  rmSync(secretsDir, { recursive: true, force: true });
  fail(err.message);
}

const children = [];
let stopping = false;
process.on('exit', () => {
  // Whatever way this process ends, its children, the secret and the state lock go with it.
  for (const child of children) child.kill('SIGKILL');
  rmSync(secretsDir, { recursive: true, force: true });
  lock.release();
});

async function edgeHealthy() {
  try {
    const r = await fetch(`${edgeUrl}/about/health`, { signal: AbortSignal.timeout(2000) });
    return r.ok && (await r.json())?.service === 'edgemeet-edge';
  } catch {
    return false;
  }
}

// The edge. Readiness: its /about/health answers, within EDGE_READY_MS of each start.
const EDGE_READY_MS = 90_000;
let edgeWasReady = false;
const edge = new Supervised({
  name: 'edge', command: 'wrangler', env, log, restart: () => edgeWasReady,
  args: ['dev', '--local', '--ip', host, '--port', port, '--show-interactive-dev-session=false', '--persist-to', persistTo, ...envFiles.flatMap((f) => ['--env-file', f]), ...regionVars],
});
children.push(edge);
edge.on('spawn', (child) => {
  child.stdout.pipe(process.stdout, { end: false });
  void (async () => {
    const deadline = Date.now() + EDGE_READY_MS;
    while (edge.child === child && !stopping) {
      if (await edgeHealthy()) return edgeReady(child);
      if (Date.now() > deadline) {
        log(`edge (pid ${child.pid}) not ready ${EDGE_READY_MS / 1000} s after its start; killing it`);
        if (!edgeWasReady) return shutdown('the edge did not start', 1);
        return edge.kill('SIGKILL');
      }
      await sleep(250);
    }
  })();
});
edge.on('exit', ({ restartInMs }) => {
  if (restartInMs === null && !stopping) shutdown('the edge exited before it was ready', 1);
});

function edgeReady(child) {
  if (edgeWasReady) {
    log(`edge is ready again (pid ${child.pid}); the media nodes reconnect by themselves`);
    return;
  }
  edgeWasReady = true;
  for (const n of nodes) startMediaNode(n);
  if (recordingsDir) startRecorder();
  const udp = nodes.map((n) => `udp://127.0.0.1:${n.udpPort}`).join(', ');
  process.stdout.write(`\nedgemeet is running: open ${edgeUrl}/ (XMPP: ws://${host}:${port}/xmpp-websocket?room=NAME, media node${nodes.length > 1 ? 's' : ''} on ${udp})\n\n`);
}

function startMediaNode(n) {
  const node = new Supervised({
    name: `media node ${n.id}`, command: 'node', args: [join(root, 'media-node/src/main.ts')], log,
    env: {
      ...env, EDGE_URL: `ws://${host}:${port}`, BRIDGE_SECRET: secret, NODE_ID: n.id, ...(n.region ? { REGION: n.region } : {}),
      MEDIA_UDP_HOST: '127.0.0.1', MEDIA_UDP_PORT: String(n.udpPort), HTTP_PORT: String(n.httpPort),
      // Nothing to drain for on a developer's machine: Ctrl-C should not wait a minute.
      DRAIN_TIMEOUT_MS: process.env.DRAIN_TIMEOUT_MS ?? '3000',
    },
  });
  children.push(node);
  node.on('spawn', (child) => {
    child.stdout.pipe(process.stdout, { end: false });
    // When the node says its control connection is up, confirm with the edge's registry.
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('"event":"control.online"')) void confirmRegistered(n.id, child, n.region);
    });
  });
  node.start();
}

// The recorder (Jibri's part): joins the Registry's jibri brewery with RECORDER_SECRET and records
// into RECORDINGS_DIR (.recordings/ here); RECORDINGS_DIR=off runs without one.
function startRecorder() {
  const recorder = new Supervised({
    name: 'recorder', command: 'node', args: [join(root, 'media-node/src/recorder-main.ts')], log,
    env: {
      ...env, EDGE_URL: `ws://${host}:${port}`, RECORDER_SECRET: recorderSecret, RECORDER_ID: process.env.RECORDER_ID ?? 'local-recorder',
      RECORDINGS_DIR: recordingsDir, RECORDER_ICE_HOST: '127.0.0.1', ...(nodeRegions.length > 0 ? { REGION: nodeRegions[0] } : {}),
    },
  });
  children.push(recorder);
  recorder.on('spawn', (child) => {
    child.stdout.pipe(process.stdout, { end: false });
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('"event":"control.online"')) log(`recorder (pid ${child.pid}) is in the jibri brewery; recordings go to ${recordingsDir}`);
    });
  });
  recorder.start();
}

async function confirmRegistered(id, child, region) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null && !stopping) {
    try {
      const r = await fetch(`${edgeUrl}/about/bridges${region ? `?region=${region}` : ''}`, { signal: AbortSignal.timeout(2000) });
      if (!r.ok) return; // e.g. STATUS_TOKEN set in .dev.vars
      const { bridges } = await r.json();
      if (bridges.some((b) => b.id === id && b.connected)) return log(`media node ${id} (pid ${child.pid}) is registered with the edge${region ? ` in region ${region}` : ''}`);
    } catch {
      // The edge is restarting; try again.
    }
    await sleep(250);
  }
}

let firstSignalAt = 0;
async function shutdown(why, code = 0) {
  if (stopping) return;
  stopping = true;
  log(`${why}: stopping`);
  await Promise.all(children.map((c) => c.stop('SIGTERM', { killAfterMs: 15_000 })));
  log('stopped');
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (!stopping) {
      firstSignalAt = Date.now();
      return void shutdown(`${signal} (a second one kills)`);
    }
    // npm passes the terminal's Ctrl-C on as well: one keypress, two signals, a moment apart.
    if (Date.now() - firstSignalAt < 1000) return;
    log(`${signal} again: killing everything`);
    for (const c of children) c.kill('SIGKILL');
  });
}

// Under npm, `sh -c` stands between npm and this process: a SIGTERM to npm alone ends npm and the
// shell but never reaches here. Once the parent is gone, stop instead of running on orphaned.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) void shutdown('the parent process (npm) is gone'); }, 1000).unref();
}

log(`supervisor pid ${process.pid}`);
edge.start();
