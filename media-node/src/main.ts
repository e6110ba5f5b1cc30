/**
 * The media node process: `node media-node/src/main.ts` (systemd runs it the same way).
 * SIGTERM drains: no new conferences, then exit once the current ones are gone. If they are not
 * gone after DRAIN_TIMEOUT_MS, the node announces it is shutting down, the focus moves them to
 * another node while this one still forwards (SHUTDOWN_MOVE_MS at most), then it exits. A second
 * signal exits at once.
 * @module
 */
import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startMediaNode } from './media-node.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, { ns: 'media-node', node: config.nodeId });
const node = await startMediaNode(config, log);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  log.info('media_node.signal', { signal });
  node.drain();
  await conferencesGone(config.drainTimeoutMs);
  if (node.directory.conferenceCount > 0) {
    node.shutDown();
    await conferencesGone(config.shutdownMoveMs);
  }
  await node.stop();
  process.exit(0);
}
/** Resolves once the node has no conferences, or after `ms`. */
async function conferencesGone(ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (node.directory.conferenceCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
