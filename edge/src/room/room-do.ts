/**
 * The Room Durable Object: one per conference (`idFromName(room)`), holding that room's XMPP
 * connections (WebSocket Hibernation API), its MUC and its focus. A thin shell: every entry point is
 * wrapped, logged with the room's name, and handed to {@link RoomXmppServer}. Per-connection state
 * lives in socket attachments and room state in SQLite storage, so hibernation and eviction lose nothing.
 * @module
 */
import { StanzaError, parseXml } from '@edgemeet/protocol';
import { DurableObject } from 'cloudflare:workers';
import { configFromEnv, type EdgeConfig } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import type { RoomAnswer } from '../registry/jibri-brewery.ts';
import { RegionalRegistry } from '../registry/regional-registry.ts';
import { AnonymousAuthenticator } from '../xmpp/authenticator.ts';
import { HiddenDomainAuthenticator } from '../xmpp/recorder-authenticator.ts';
import { TokenVerifier } from '../auth/token-verifier.ts';
import { JwtAuthenticator } from '../xmpp/jwt-authenticator.ts';
import type { ConnectionState } from '../xmpp/connection.ts';
import { SocketHost } from '../xmpp/socket-host.ts';
import { Pump } from './pump.ts';
import { RoomStore } from './store.ts';
import { RoomXmppServer } from './xmpp-server.ts';

/** Header by which the Worker tells the object which room it is (ids from `idFromName` are one-way). */
export const ROOM_HEADER = 'x-edgemeet-room';

export class RoomDurableObject extends DurableObject<Env> {
  readonly #config: EdgeConfig;
  readonly #store: RoomStore;
  readonly #sockets: SocketHost;
  #log: Logger;
  #server: RoomXmppServer | null = null;
  readonly #pump: Pump;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = configFromEnv(env);
    this.#log = createLogger(this.#config.logLevel, { ns: 'edge:room' });
    this.#store = new RoomStore(ctx.storage.sql);
    this.#sockets = new SocketHost(ctx);
    this.#pump = new Pump(async () => {
      await this.#server?.settle();
      await this.#sockets.applyWakeUp();
    }, this.#log);
    if (this.#store.roomName) this.#start(this.#store.roomName);
  }

  #start(room: string): RoomXmppServer {
    this.#log = this.#log.child({ room });
    this.#server = new RoomXmppServer({
      config: this.#config, log: this.#log, store: this.#store, roomName: room,
      authenticator: new HiddenDomainAuthenticator(this.#config.auth.verifying
        ? new JwtAuthenticator({
          verifier: new TokenVerifier(this.#config.auth, this.#config.domain),
          policy: this.#config.auth.policy, guestDomain: this.#config.auth.guestDomain,
        })
        : new AnonymousAuthenticator(), this.#config.hiddenDomain, this.#config.recorderSecret),
      registry: new RegionalRegistry(this.#config.bridgeRegions, (region) => this.env.REGISTRY.get(this.env.REGISTRY.idFromName(region)), this.#log),
      scheduleWakeUp: (at) => {
        this.#sockets.scheduleWakeUp(at);
        this.#pump.kick();
      },
      kick: () => this.#pump.kick(),
    });
    for (const conn of this.#sockets.existing()) this.#server.adopt(conn);
    return this.#server;
  }

  /**
   * RPC from the Registry: media node `bridgeId` is gone (`alive` false), or shutting down while it
   * still forwards (`alive` true); the focus moves this room's participants.
   */
  async bridgeDown(bridgeId: string, alive = false): Promise<void> {
    this.#log.warn('bridge.down', { bridge: bridgeId, alive });
    try {
      await this.#server?.bridgeDown(bridgeId, alive);
      await this.#pump.run();
    } catch (err) {
      this.#log.error('room.bridge_down_failed', { err });
    }
  }

  /**
   * RPC from the Registry: a recorder's `jibri` status IQ payload, `recorderJid` its brewery
   * occupant JID; answers as the focus does (errors as values: classes do not survive RPC).
   */
  async recorderStatus(recorderJid: string, payloadXml: string): Promise<RoomAnswer> {
    try {
      if (!this.#server?.focus) return { ok: false, condition: 'item-not-found', text: 'no conference here' };
      await this.#server.focus.recorderIq(recorderJid, parseXml(payloadXml));
      return { ok: true };
    } catch (err) {
      if (err instanceof StanzaError) return { ok: false, condition: err.condition, ...(err.text ? { text: err.text } : {}) };
      this.#log.error('room.recorder_status_failed', { err });
      return { ok: false, condition: 'internal-server-error' };
    } finally {
      await this.#pump.run().catch((err: unknown) => this.#log.error('room.pump_failed', { err }));
    }
  }

  /** RPC from the Registry: a recorder this room's recording used is gone. */
  async recorderDown(recorderId: string): Promise<void> {
    this.#log.warn('recorder.down', { recorder: recorderId });
    try {
      await this.#server?.focus?.recorderDown(recorderId);
      await this.#pump.run();
    } catch (err) {
      this.#log.error('room.recorder_down_failed', { err });
    }
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      const room = request.headers.get(ROOM_HEADER);
      if (!room) return new Response('missing room', { status: 400 });
      if (!this.#store.roomName) this.#store.roomName = room;
      if (this.#store.roomName !== room) return new Response('room mismatch', { status: 500 });
      if (!this.#server) this.#start(room);
      const state: ConnectionState = {
        cid: crypto.randomUUID(), stage: 'initial', room, token: new URL(request.url).searchParams.get('token'),
        node: null, sid: null, ackRequested: false,
      };
      return this.#sockets.accept(request, state).response;
    } catch (err) {
      this.#log.error('room.fetch_failed', { err });
      return new Response('internal error', { status: 500 });
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.#server?.onMessage(this.#sockets.connection(ws), message);
    } catch (err) {
      this.#log.error('room.message_failed', { err });
    }
    await this.#pump.run().catch((err: unknown) => this.#log.error('room.pump_failed', { err }));
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#sockets.connection(ws).acknowledgeClose();
    await this.#closed(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.#log.info('socket.error', { err: error instanceof Error ? error.message : String(error) });
    await this.#closed(ws);
  }

  async #closed(ws: WebSocket): Promise<void> {
    try {
      await this.#server?.onClose(this.#sockets.connection(ws));
      await this.#pump.run();
    } catch (err) {
      this.#log.error('room.close_failed', { err });
    }
  }

  override async alarm(): Promise<void> {
    this.#sockets.beginAlarm();
    try {
      const next = (await this.#server?.onWakeUp()) ?? null;
      if (next !== null) this.#sockets.scheduleWakeUp(next);
      await this.#pump.run();
    } catch (err) {
      this.#log.error('room.alarm_failed', { err });
    } finally {
      this.#sockets.endAlarm();
    }
  }
}
