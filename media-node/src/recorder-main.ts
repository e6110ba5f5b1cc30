/**
 * The recorder process: `node media-node/src/recorder-main.ts` (systemd runs it the same way;
 * `npm start` next to the media node). Config from recorder/recorder-config.ts; its control link
 * to the edge is recorder/jibri-control.ts. SIGTERM/SIGINT end every recording (status off to the
 * focus, files closed and composed), then exit; a second signal exits at once.
 * @module
 */
import { createLogger } from './log.ts';
import { JibriControl } from './recorder/jibri-control.ts';
import { loadRecorderConfig } from './recorder/recorder-config.ts';
import { repairRecordings } from './recorder/repair.ts';

const config = loadRecorderConfig();
const log = createLogger(config.logLevel, { ns: 'recorder', recorder: config.recorderId });
log.info('recorder.start', { edge: config.edgeUrl, region: config.region, dir: config.recordingsDir, maxSessions: config.maxSessions });
if (config.repairOnStart) await repairRecordings(config, log);
const control = new JibriControl(config, log);
control.start();
// Health (a writable recordings directory) is re-checked now and then; the presence changes with it.
const health = setInterval(() => control.refresh(), 10_000);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  clearInterval(health);
  log.info('recorder.signal', { signal });
  await control.stop(`the recorder stopped (${signal})`);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
