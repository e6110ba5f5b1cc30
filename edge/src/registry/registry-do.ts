/**
 * The Registry Durable Object: one per region (`idFromName(region)`), where media nodes register
 * over XMPP-over-WebSocket (the bridge brewery) and through which rooms reach them (RPC:
 * {@link RegistryDurableObject.bridges}, {@link RegistryDurableObject.request}). A thin shell over
 * {@link RegistryServer}; node sockets hibernate, state lives in SQLite.
 * @module
 */
import { AppError, type ErrorCode } from '@edgemeet/protocol';
import { DurableObject } from 'cloudflare:workers';
import { configFromEnv } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import type { ConnectionState } from '../xmpp/connection.ts';
import { SocketHost } from '../xmpp/socket-host.ts';
import { probeHealth } from './health-probe.ts';
import type { RecorderInfo, RecorderSelection } from './jibri-brewery.ts';
import { RecorderStore } from './recorder-store.ts';
import { RegistryServer, type BridgeInfo, type NodeDetails } from './registry-server.ts';
import { RegistryStore } from './registry-store.ts';

export const REGION_HEADER = 'x-edgemeet-region';

export type RegistryReply = { ok: true; reply: string } | { ok: false; code: ErrorCode; message: string };

export class RegistryDurableObject extends DurableObject<Env> {
  readonly #log: Logger;
  readonly #server: RegistryServer;
  readonly #sockets: SocketHost;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configFromEnv(env);
    this.#log = createLogger(config.logLevel, { ns: 'edge:registry' });
    this.#sockets = new SocketHost(ctx);
    this.#server = new RegistryServer({
      config, log: this.#log, store: new RegistryStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn)),
      scheduleWakeUp: (at) => this.#sockets.scheduleWakeUp(at),
      notifyRoom: (room, bridgeId, alive) => env.ROOM.get(env.ROOM.idFromName(room)).bridgeDown(bridgeId, alive),
      probe: (url) => probeHealth(url, config.bridgeProbeTimeoutMs),
      recorders: new RecorderStore(ctx.storage.sql),
      notifyRecorderStatus: (room, recorderJid, payloadXml) => env.ROOM.get(env.ROOM.idFromName(room)).recorderStatus(recorderJid, payloadXml),
      notifyRecorderDown: (room, recorderId) => env.ROOM.get(env.ROOM.idFromName(room)).recorderDown(recorderId),
    });
    for (const conn of this.#sockets.existing()) this.#server.adopt(conn);
  }

  /** RPC: registered media nodes of this region. */
  bridges(): BridgeInfo[] {
    return this.#server.bridges();
  }

  /** RPC: registered media nodes with their load and the rooms placed on them (`GET /admin/nodes`). */
  nodes(): NodeDetails[] {
    return this.#server.nodes();
  }

  /**
   * RPC: sends an IQ payload to a node for `room`; answers with the node's reply IQ, serialized,
   * or with the error code when the node is unavailable or silent. Errors travel as values:
   * a thrown error would lose its class across the RPC boundary.
   */
  async request(bridgeId: string, room: string, payloadXml: string, options?: { expire?: boolean }): Promise<RegistryReply> {
    try {
      return { ok: true, reply: await this.#server.request(bridgeId, room, payloadXml, options) };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, code: err.code, message: err.message };
      this.#log.error('registry.request_failed', { err, bridge: bridgeId });
      return { ok: false, code: 'internal', message: 'internal error' };
    } finally {
      await this.#sockets.applyWakeUp();
    }
  }

  /** RPC: registered recorders of this region (the Jibri brewery). */
  recorders(): RecorderInfo[] {
    return this.#server.jibri?.list() ?? [];
  }

  /** RPC: JibriDetector.selectJibri over this region's recorders, serialized here for every room. */
  selectRecorder(): RecorderSelection {
    return this.#server.jibri?.select() ?? { recorder: null, anyConnected: false };
  }

  /** RPC: a request to this recorder failed (JibriDetector.instanceFailed). */
  recorderFailed(recorderId: string): void {
    this.#server.jibri?.failed(recorderId);
  }

  /** RPC: sends a `<jibri/>` payload to a recorder for `room`; its reply IQ serialized, or the error code. */
  async recorderRequest(recorderId: string, room: string, payloadXml: string): Promise<RegistryReply> {
    try {
      if (!this.#server.jibri) return { ok: false, code: 'service-unavailable', message: 'no recorders here' };
      return { ok: true, reply: await this.#server.jibri.request(recorderId, room, payloadXml) };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, code: err.code, message: err.message };
      this.#log.error('registry.recorder_request_failed', { err, recorder: recorderId });
      return { ok: false, code: 'internal', message: 'internal error' };
    }
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      const region = request.headers.get(REGION_HEADER) ?? 'default';
      const state: ConnectionState = {
        cid: crypto.randomUUID(), stage: 'initial', room: region, token: null, node: null, sid: null, ackRequested: false,
      };
      const { conn, response } = this.#sockets.accept(request, state);
      this.#server.adopt(conn);
      return response;
    } catch (err) {
      this.#log.error('registry.fetch_failed', { err });
      return new Response('internal error', { status: 500 });
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.#server.onMessage(this.#sockets.connection(ws), message);
      await this.#sockets.applyWakeUp();
    } catch (err) {
      this.#log.error('registry.message_failed', { err });
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#sockets.connection(ws).acknowledgeClose();
    await this.#closed(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#closed(ws);
  }

  async #closed(ws: WebSocket): Promise<void> {
    try {
      await this.#server.onClose(this.#sockets.connection(ws));
      await this.#sockets.applyWakeUp();
    } catch (err) {
      this.#log.error('registry.close_failed', { err });
    }
  }

  override async alarm(): Promise<void> {
    this.#sockets.beginAlarm();
    try {
      const next = await this.#server.onWakeUp();
      if (next !== null) this.#sockets.scheduleWakeUp(next);
      await this.#sockets.applyWakeUp();
    } catch (err) {
      this.#log.error('registry.alarm_failed', { err });
    } finally {
      this.#sockets.endAlarm();
    }
  }
}
