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
import { HibernatingConnection, type ConnectionState } from '../xmpp/connection.ts';
import { RegistryServer, type BridgeInfo } from './registry-server.ts';
import { RegistryStore } from './registry-store.ts';

export const REGION_HEADER = 'x-edgemeet-region';

export type RegistryReply = { ok: true; reply: string } | { ok: false; code: ErrorCode; message: string };

export class RegistryDurableObject extends DurableObject<Env> {
  readonly #log: Logger;
  readonly #server: RegistryServer;
  readonly #connections = new WeakMap<WebSocket, HibernatingConnection>();
  #wakeAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configFromEnv(env);
    this.#log = createLogger(config.logLevel, { ns: 'edge:registry' });
    this.#server = new RegistryServer({
      config, log: this.#log, store: new RegistryStore(ctx.storage.sql),
      scheduleWakeUp: (at) => { this.#wakeAt = this.#wakeAt === null ? at : Math.min(this.#wakeAt, at); },
      notifyRoom: (room, bridgeId) => env.ROOM.get(env.ROOM.idFromName(room)).bridgeDown(bridgeId),
    });
    for (const ws of ctx.getWebSockets()) this.#server.adopt(this.#connection(ws));
  }

  #connection(ws: WebSocket, state?: ConnectionState): HibernatingConnection {
    let conn = this.#connections.get(ws);
    if (!conn) {
      conn = new HibernatingConnection(ws, state);
      this.#connections.set(ws, conn);
    }
    return conn;
  }

  /** RPC: registered media nodes of this region. */
  bridges(): BridgeInfo[] {
    return this.#server.bridges();
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
      await this.#applyWakeUp();
    }
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      const region = request.headers.get(REGION_HEADER) ?? 'default';
      const pair = new WebSocketPair();
      const [client, ws] = [pair[0], pair[1]];
      this.ctx.acceptWebSocket(ws);
      const state: ConnectionState = {
        cid: crypto.randomUUID(), stage: 'initial', room: region, token: null, node: null, sid: null, ackRequested: false,
      };
      const conn = this.#connection(ws, state);
      conn.save();
      this.#server.adopt(conn);
      const asked = (request.headers.get('Sec-WebSocket-Protocol') ?? '').split(',').map((p) => p.trim());
      return new Response(null, { status: 101, webSocket: client, headers: asked.includes('xmpp') ? { 'Sec-WebSocket-Protocol': 'xmpp' } : undefined });
    } catch (err) {
      this.#log.error('registry.fetch_failed', { err });
      return new Response('internal error', { status: 500 });
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.#server.onMessage(this.#connection(ws), message);
      await this.#applyWakeUp();
    } catch (err) {
      this.#log.error('registry.message_failed', { err });
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#connection(ws).acknowledgeClose();
    await this.#closed(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#closed(ws);
  }

  async #closed(ws: WebSocket): Promise<void> {
    try {
      this.#server.onClose(this.#connection(ws));
      await this.#applyWakeUp();
    } catch (err) {
      this.#log.error('registry.close_failed', { err });
    }
  }

  override async alarm(): Promise<void> {
    try {
      const next = await this.#server.onWakeUp();
      if (next !== null) this.#wakeAt = next;
      await this.#applyWakeUp(true);
    } catch (err) {
      this.#log.error('registry.alarm_failed', { err });
    }
  }

  async #applyWakeUp(fromAlarm = false): Promise<void> {
    const at = this.#wakeAt;
    if (at === null) return;
    this.#wakeAt = null;
    const current = fromAlarm ? null : await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
