/**
 * What both Durable Objects that serve XMPP over WebSocket (rooms and the registry) need from
 * the runtime: accepting a hibernatable socket with the `xmpp` subprotocol, one
 * {@link HibernatingConnection} per socket, and alarm-based wake-ups merged to the earliest.
 * @module
 */
// Internal: not exported from the package entry.
import { HibernatingConnection, type ConnectionState } from './connection.ts';

export class SocketHost {
  readonly #ctx: DurableObjectState;
  readonly #connections = new WeakMap<WebSocket, HibernatingConnection>();
  #wakeAt: number | null = null;

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  /** The connection of a socket (its state read from the hibernation attachment the first time). */
  connection(ws: WebSocket, state?: ConnectionState): HibernatingConnection {
    let conn = this.#connections.get(ws);
    if (!conn) {
      conn = new HibernatingConnection(ws, state);
      this.#connections.set(ws, conn);
    }
    return conn;
  }

  /** Connections that survived hibernation. */
  existing(): HibernatingConnection[] {
    return this.#ctx.getWebSockets().map((ws) => this.connection(ws));
  }

  /**
   * Accepts the upgrade as a hibernatable socket with `state` attached. RFC 7395 §3.1: the
   * server must confirm the `xmpp` subprotocol, or clients that asked for it give up.
   */
  accept(request: Request, state: ConnectionState): { conn: HibernatingConnection; response: Response } {
    const pair = new WebSocketPair();
    const [client, ws] = [pair[0], pair[1]];
    this.#ctx.acceptWebSocket(ws);
    const conn = this.connection(ws, state);
    conn.save();
    const asked = (request.headers.get('Sec-WebSocket-Protocol') ?? '').split(',').map((p) => p.trim());
    const headers = asked.includes('xmpp') ? { 'Sec-WebSocket-Protocol': 'xmpp' } : undefined;
    return { conn, response: new Response(null, { status: 101, webSocket: client, headers }) };
  }

  /** Asks to be woken at `at` (epoch ms); applied by {@link applyWakeUp}. */
  scheduleWakeUp(at: number): void {
    this.#wakeAt = this.#wakeAt === null ? at : Math.min(this.#wakeAt, at);
  }

  /**
   * Inside an alarm handler the alarm that fired is spent: until {@link endAlarm}, the earliest
   * alarm is the one set since (if any), not what storage reports.
   */
  beginAlarm(): void {
    this.#inAlarm = true;
    this.#setInAlarm = null;
  }

  endAlarm(): void {
    this.#inAlarm = false;
  }

  #inAlarm = false;
  #setInAlarm: number | null = null;

  /** Sets the alarm for the earliest wake-up asked for, unless an earlier one is set. */
  async applyWakeUp(): Promise<void> {
    const at = this.#wakeAt;
    if (at === null) return;
    this.#wakeAt = null;
    const current = this.#inAlarm ? this.#setInAlarm : await this.#ctx.storage.getAlarm();
    if (current === null || current > at) {
      await this.#ctx.storage.setAlarm(at);
      if (this.#inAlarm) this.#setInAlarm = at;
    }
  }
}
