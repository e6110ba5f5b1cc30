/**
 * A real media node (startMediaNode: UDP mux, colibri-ws server, SFU) in its own process, for the
 * bridge-channel fuzzer: a crash is this process exiting, not the test runner's. Its control
 * connection points at a closed loopback port (no edge is needed); conferences are created through
 * the node's own Colibri2 handler. Prints its JSON log lines, then one line
 * `{"ready":{http, conferences:{name:{endpoint:url}}}}`.
 *
 * Run: node test/fuzz/media-node-process.ts
 */
import { buildConferenceModify, parseConferenceModified } from '@edgemeet/protocol';
import { handleConferenceModify } from '../../media-node/src/control/colibri2-handler.ts';
import { loadConfig } from '../../media-node/src/config.ts';
import { createLogger } from '../../media-node/src/log.ts';
import { startMediaNode } from '../../media-node/src/media-node.ts';

const CONFERENCES: Record<string, string[]> = { fuzz: ['attacker', 'control-a', 'control-b'], other: ['other-a', 'other-b'] };

const config = loadConfig({
  EDGE_URL: 'ws://127.0.0.1:9', BRIDGE_SECRET: 'fuzz-secret-0123456789', NODE_ID: 'fuzz-node', MEDIA_UDP_HOST: '127.0.0.1', MEDIA_UDP_PORT: '0',
  HTTP_PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
const node = await startMediaNode(config, createLogger(config.logLevel, { node: 'fuzz-node' }));
const urls: Record<string, Record<string, string>> = {};
for (const [name, endpoints] of Object.entries(CONFERENCES)) {
  const reply = handleConferenceModify(node.directory, buildConferenceModify({
    meetingId: `meeting-${name}`, name: `${name}@conference.meet.jitsi`, create: true,
    endpoints: endpoints.map((id) => ({ id, create: true, transport: { iceControlling: true }, capabilities: ['source-names'] })),
  }));
  urls[name] = Object.fromEntries(parseConferenceModified(reply).endpoints.map((e) => [e.id, e.transport!.webSocketUrls[0]!]));
}
process.stdout.write(`${JSON.stringify({ ready: { http: node.http.port, conferences: urls } })}\n`);
process.on('SIGTERM', () => void node.stop().then(() => process.exit(0)));
