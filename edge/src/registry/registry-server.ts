/**
 * The bridge brewery of one region (Jitsi's `jvbbrewery` MUC plus Jicofo's BridgeMucDetector):
 * media nodes log in with their credential, join the brewery with presence carrying their stats,
 * and answer Colibri2 IQs that rooms send them through {@link RegistryServer.request}. A node
 * whose control connection drops keeps its conferences for a grace period, then the rooms that
 * used it are told to move.
 * @module
 */
// Internal: not exported from the package entry.
import {
  AppError, IqCaller, NS_MUC_USER, NS_PING, StanzaError, StreamError, errorReply, parseBridgeStats, parseXml,
  resultReply, serialize, tryParseJid, xml, type Element,
} from '@edgemeet/protocol';
import type { BridgeCandidate } from '@edgemeet/focus';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../xmpp/connection.ts';
import { StreamNegotiator, type StreamHost } from '../xmpp/stream-negotiator.ts';
import { NodeAuthenticator } from './node-authenticator.ts';
import type { BridgeRecord, RegistryStore } from './registry-store.ts';

/** What rooms see of a registered node: the focus's bridge candidate. */
export type BridgeInfo = BridgeCandidate;

export interface RegistryServerOptions {
  config: EdgeConfig;
  log: Logger;
  store: RegistryStore;
  now?: () => number;
  scheduleWakeUp: (at: number) => void;
  /** Tells a room that a node it used is gone. */
  notifyRoom: (room: string, bridgeId: string) => Promise<void>;
}

export class RegistryServer implements StreamHost {
  readonly authenticator: NodeAuthenticator;
  readonly streamManagement = false;
  readonly #o: RegistryServerOptions;
  readonly #now: () => number;
  readonly #negotiator: StreamNegotiator;
  readonly #live = new Map<string, Connection>();
  readonly #caller: IqCaller;

  constructor(o: RegistryServerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.authenticator = new NodeAuthenticator(o.config.bridgeSecret);
    this.#negotiator = new StreamNegotiator({ domain: o.config.nodeDomain, maxStanzaBytes: o.config.maxStanzaBytes, log: o.log, host: this });
    this.#caller = new IqCaller({
      timeoutMs: o.config.colibriTimeoutMs,
      idPrefix: 'reg',
      send: (iq) => {
        const to = String(iq.attrs.to ?? '');
        const bridge = [...o.store.bridges.values()].find((b) => b.jid === to);
        const conn = bridge?.cid ? this.#live.get(bridge.cid) : undefined;
        if (!conn) throw new AppError('service-unavailable', 'the media node is not connected');
        conn.send(serialize(iq));
      },
    });
  }

  adopt(conn: Connection): void {
    if (conn.state.stage !== 'closed') this.#live.set(conn.state.cid, conn);
  }

  onMessage(conn: Connection, data: string | ArrayBuffer): Promise<void> {
    this.#live.set(conn.state.cid, conn);
    return this.#negotiator.onMessage(conn, data);
  }

  onClose(conn: Connection): void {
    this.#disconnected(conn);
  }

  /** Registered nodes as rooms see them. */
  bridges(): BridgeInfo[] {
    return [...this.#o.store.bridges.values()].map((b) => ({
      id: b.id, region: b.stats.region || this.#o.config.region, stressLevel: b.stats.stressLevel,
      averageParticipantStress: b.stats.averageParticipantStress, healthy: b.stats.healthy, drain: b.stats.drain,
      gracefulShutdown: b.stats.gracefulShutdown, shuttingDown: b.stats.shuttingDown, version: b.stats.version,
      connected: b.cid !== null && this.#live.has(b.cid),
    }));
  }

  /**
   * Sends an IQ payload (e.g. a Colibri2 `conference-modify`) to a node on behalf of `room`, and
   * returns the node's answer (result or error IQ) serialized. Rejects when the node is unknown,
   * disconnected or does not answer in time.
   */
  async request(bridgeId: string, room: string, payloadXml: string, options: { expire?: boolean } = {}): Promise<string> {
    const bridge = this.#o.store.bridges.get(bridgeId);
    if (!bridge || bridge.cid === null) throw new AppError('service-unavailable', `media node ${bridgeId} is not available`);
    const payload = parseXml(payloadXml);
    if (options.expire) this.#o.store.unplace(bridgeId, room);
    else this.#o.store.place(bridgeId, room);
    const iq = xml('iq', { type: 'set', to: bridge.jid, from: `${this.#o.config.breweryJid}/focus` }, payload);
    try {
      return serialize(await this.#caller.request(iq));
    } catch (err) {
      if (err instanceof StanzaError) return serialize(errorReply(iq, err));
      throw err;
    }
  }

  /** Alarm: drops nodes whose grace period passed or that went silent; returns the next deadline. */
  async onWakeUp(): Promise<number | null> {
    const { config, store } = this.#o;
    const now = this.#now();
    let next: number | null = null;
    const consider = (at: number) => { next = next === null ? at : Math.min(next, at); };
    for (const b of [...store.bridges.values()]) {
      const goneAt = b.disconnectedAt !== null
        ? b.disconnectedAt + config.bridgeGraceSeconds * 1000
        : b.updatedAt + config.bridgeStaleSeconds * 1000;
      if (goneAt <= now) await this.#drop(b, b.disconnectedAt !== null ? 'disconnected' : 'silent');
      else consider(goneAt);
    }
    return next;
  }

  async #drop(b: BridgeRecord, reason: string): Promise<void> {
    const rooms = this.#o.store.remove(b.id);
    if (b.cid) this.#live.get(b.cid)?.close(1000, 'dropped');
    this.#o.log.warn('bridge.removed', { bridge: b.id, reason, rooms: rooms.length });
    for (const room of rooms) {
      try {
        await this.#o.notifyRoom(room, b.id);
      } catch (err) {
        this.#o.log.error('bridge.notify_failed', { bridge: b.id, room, err });
      }
    }
  }

  // StreamHost

  bound(conn: Connection, fullJid: string): void {
    conn.state.sid = fullJid;
    conn.state.stage = 'session';
    conn.save();
  }

  resume(): void {
    throw new StreamError('unsupported-feature');
  }

  ended(conn: Connection): void {
    this.#disconnected(conn);
  }

  element(conn: Connection, el: Element): void {
    const from = conn.state.sid;
    if (!from) throw new StreamError('not-authorized');
    if (el.name === 'presence') return this.#presence(conn, from, el);
    if (el.name === 'iq') return this.#iq(conn, from, el);
    if (el.name === 'message') return;
    throw new StreamError('unsupported-stanza-type', { text: `unexpected <${el.name}/>` });
  }

  #presence(conn: Connection, from: string, el: Element): void {
    const { config, store, log } = this.#o;
    const to = tryParseJid(el.attrs.to as string | undefined);
    const nodeId = conn.state.node ?? '';
    if (!to || to.bare().toString() !== config.breweryJid) return;
    if (el.attrs.type === 'unavailable') {
      const gone = store.bridges.get(nodeId);
      if (gone) void this.#drop(gone, 'left').catch((err: unknown) => log.error('bridge.drop_failed', { err }));
      return;
    }
    let stats;
    try {
      stats = parseBridgeStats(el);
    } catch (err) {
      const reply = errorReply(el, StanzaError.from(err));
      reply.attrs.to = from;
      conn.send(serialize(reply));
      return;
    }
    if (!stats) return;
    const known = store.bridges.get(nodeId);
    if (known?.cid && known.cid !== conn.state.cid) this.#live.get(known.cid)?.close(1000, 'replaced');
    store.put({ id: nodeId, jid: from, stats, cid: conn.state.cid, updatedAt: this.#now(), disconnectedAt: null });
    this.#o.scheduleWakeUp(this.#now() + config.bridgeStaleSeconds * 1000);
    if (!known || known.cid !== conn.state.cid) {
      log.info('bridge.registered', { bridge: nodeId, region: stats.region, stress: stats.stressLevel });
      conn.send(serialize(xml('presence', { from: `${config.breweryJid}/${to.resource}`, to: from },
        xml('x', { xmlns: NS_MUC_USER }, xml('item', { affiliation: 'none', role: 'participant', jid: from }), xml('status', { code: '110' })))));
    }
  }

  #iq(conn: Connection, from: string, iq: Element): void {
    if (iq.attrs.type === 'result' || iq.attrs.type === 'error') {
      iq.attrs.from = from;
      this.#caller.handleResponse(iq);
      return;
    }
    const reply = iq.getChild('ping', NS_PING) && iq.attrs.type === 'get'
      ? resultReply(iq)
      : errorReply(iq, new StanzaError('service-unavailable'));
    reply.attrs.to = from;
    delete reply.attrs.from;
    conn.send(serialize(reply));
  }

  #disconnected(conn: Connection): void {
    this.#live.delete(conn.state.cid);
    const b = [...this.#o.store.bridges.values()].find((x) => x.cid === conn.state.cid);
    if (!b) return;
    b.cid = null;
    b.disconnectedAt = this.#now();
    this.#o.store.put(b);
    this.#o.scheduleWakeUp(b.disconnectedAt + this.#o.config.bridgeGraceSeconds * 1000);
    this.#o.log.warn('bridge.disconnected', { bridge: b.id, graceSeconds: this.#o.config.bridgeGraceSeconds });
  }
}
