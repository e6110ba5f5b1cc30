/**
 * The media node process: `node media-node/src/main.ts` (systemd runs it the same way).
 * SIGTERM drains: no new conferences, then exit once the current ones are gone (or after
 * DRAIN_TIMEOUT_MS); a second signal exits at once.
 * @module
 */
import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startMediaNode } from './media-node.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, { ns: 'media-node', node: config.nodeId });
const node = await startMediaNode(config, log);
const drainTimeoutMs = Number(process.env.DRAIN_TIMEOUT_MS ?? 60_000);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  log.info('media_node.signal', { signal });
  node.drain();
  const deadline = Date.now() + drainTimeoutMs;
  while (node.directory.conferenceCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  await node.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
