/**
 * Assembles a media node: the shared UDP port, the DTLS identity, the conference directory, and
 * the control connection to the edge's Registry answering Colibri2. `drain()` stops taking new
 * conferences (announced in the brewery stats), as JVB's graceful shutdown does.
 * @module
 */
import { StanzaError, emptyBridgeStats, type Element } from '@edgemeet/protocol';
import type { MediaNodeConfig } from './config.ts';
import { handleConferenceModify } from './control/colibri2-handler.ts';
import { RegistryClient } from './control/registry-client.ts';
import { Faults } from './faults.ts';
import type { Logger } from './log.ts';
import { NodeMetrics } from './metrics.ts';
import { SfuConferenceDirectory } from './sfu/conference-directory.ts';
import { ColibriWsServer } from './bridge-channel/colibri-ws-server.ts';
import type { SfuContext } from './sfu/context.ts';
import { createDtlsIdentity } from './transport/certificate.ts';
import { UdpMux } from './transport/udp-mux.ts';

export interface MediaNode {
  readonly directory: SfuConferenceDirectory;
  /** Handler failures and refused input, by site (also in `GET /about/stats`). */
  readonly faults: Faults;
  readonly mux: UdpMux;
  readonly control: RegistryClient;
  readonly http: ColibriWsServer;
  /** Takes no new conferences; existing ones carry on. */
  drain(): void;
  /** Asks the focus to move the conferences elsewhere (announced as shutting down); media still flows. */
  shutDown(): void;
  stop(): Promise<void>;
}

export const VERSION = '0.1.0';

export async function startMediaNode(config: MediaNodeConfig, log: Logger): Promise<MediaNode> {
  const faults = new Faults(log);
  const mux = await UdpMux.bind(config.udpHost, config.udpPort, faults);
  const identity = await createDtlsIdentity();
  const ctx: SfuContext = { mux, identity, publicIp: config.publicIp, log: log.child({ ns: 'sfu' }), faults, dropPermille: config.dropPermille, ssrcLimits: config.ssrcLimits };
  const directory = new SfuConferenceDirectory(ctx);
  let controlOnline = () => false;
  const metrics = new NodeMetrics({
    directory, faults, nodeId: config.nodeId, region: config.region, version: VERSION, capacityEndpoints: config.capacityEndpoints, online: () => controlOnline(),
  });
  const http = await ColibriWsServer.listen({
    host: config.httpHost, port: config.httpPort, nodeId: config.nodeId, directory, log: log.child({ ns: 'colibri-ws' }), faults, version: VERSION, metrics,
  });
  const httpBase = config.channelPublicUrl ?? `ws://${config.httpHost}:${http.port}`;
  ctx.channelUrl = `${httpBase}/colibri-ws/${config.nodeId}`;
  const healthUrl = `${httpBase.replace(/^ws/, 'http')}/about/health`;
  const control = new RegistryClient({
    edgeUrl: config.edgeUrl, region: config.region, domain: config.domain, nodeId: config.nodeId, secret: config.secret,
    statsIntervalMs: config.statsIntervalMs, log: log.child({ ns: 'control' }),
    stats: () => ({
      ...emptyBridgeStats(), stressLevel: Math.min(1, directory.endpointCount / config.capacityEndpoints),
      averageParticipantStress: 1 / config.capacityEndpoints, drain: directory.draining, gracefulShutdown: directory.draining,
      shuttingDown: directory.shuttingDown, region: config.region, version: VERSION, healthUrl, conferences: directory.conferenceCount, participants: directory.endpointCount,
    }),
    // The Colibri2 error boundary: refusals (StanzaError) are answers; anything else is a fault,
    // reported here and answered internal-server-error by the client.
    colibri: async (payload: Element) => {
      try {
        return handleConferenceModify(directory, payload);
      } catch (err) {
        if (!(err instanceof StanzaError)) faults.report('colibri2', err);
        throw err;
      }
    },
  });
  controlOnline = () => control.online;
  control.start();
  log.info('media_node.started', { udp: mux.address, http: http.port, node: config.nodeId, region: config.region });
  return {
    directory, mux, control, http, faults,
    drain() {
      directory.draining = true;
      control.sendStats(false);
      log.info('media_node.draining', {});
    },
    shutDown() {
      directory.draining = true;
      directory.shuttingDown = true;
      control.sendStats(false);
      log.warn('media_node.shutting_down', { conferences: directory.conferenceCount });
    },
    async stop() {
      await control.stop();
      directory.closeAll();
      await http.close();
      await mux.close();
      log.info('media_node.stopped', {});
    },
  };
}
