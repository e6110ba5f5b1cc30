/**
 * The bridge brewery of one region (Jitsi's `jvbbrewery` MUC plus Jicofo's BridgeMucDetector):
 * media nodes log in with their credential, join the brewery with presence carrying their stats,
 * and answer Colibri2 IQs that rooms send them through {@link RegistryServer.request}. A node
 * whose control connection drops keeps its conferences for a grace period, then the rooms that
 * used it are told to move — at once if its health URL, reachable when it registered, now
 * refuses (the process is gone: a blip of the control link does not look like that). A node that
 * announces it is shutting down (its drain timed out) is still forwarding: its rooms are told to
 * move while it does.
 * @module
 */
// Internal: not exported from the package entry.
import {
  AppError, IqCaller, NS_MUC_USER, NS_PING, StanzaError, StreamError, errorReply, parseBridgeStats, parseXml,
  resultReply, serialize, tryParseJid, xml, type BridgeCandidate, type Element,
} from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../xmpp/connection.ts';
import { StreamNegotiator, type StreamHost } from '../xmpp/stream-negotiator.ts';
import { JibriBrewery, type RoomAnswer } from './jibri-brewery.ts';
import { NodeAuthenticator } from './node-authenticator.ts';
import type { RecorderStore } from './recorder-store.ts';
import type { BridgeRecord, RegistryStore } from './registry-store.ts';

/** What rooms see of a registered node (protocol's bridge candidate). */
export type BridgeInfo = BridgeCandidate;

/** What operators see of a registered node (`GET /admin/nodes`). */
export interface NodeDetails extends BridgeInfo {
  /** Conferences and endpoints the node last reported. */
  readonly conferences: number;
  readonly endpoints: number;
  /** Rooms with a conference on it (the Registry's placements). */
  readonly rooms: readonly string[];
  /** Its last stats presence, and when its control connection dropped (ISO times). */
  readonly lastStatsAt: string;
  readonly disconnectedAt: string | null;
}

export interface RegistryServerOptions {
  config: EdgeConfig;
  log: Logger;
  store: RegistryStore;
  now?: () => number;
  scheduleWakeUp: (at: number) => void;
  /** Tells a room that a node it used is gone (`alive` false) or shutting down while it still forwards. */
  notifyRoom: (room: string, bridgeId: string, alive: boolean) => Promise<void>;
  /** Asks a node's health URL: 'down' only when nothing answers there at all. */
  probe?: (url: string) => Promise<ProbeResult>;
  /** The Jibri brewery's state; without it no recorder may register. */
  recorders?: RecorderStore;
  /** Hands a recorder's status IQ payload to the room whose session it is. */
  notifyRecorderStatus?: (room: string, recorderJid: string, payloadXml: string) => Promise<RoomAnswer>;
  /** Tells a room that a recorder it uses is gone. */
  notifyRecorderDown?: (room: string, recorderId: string) => Promise<void>;
}

export type ProbeResult = 'up' | 'down' | 'unknown';

export class RegistryServer implements StreamHost {
  readonly authenticator: NodeAuthenticator;
  readonly streamManagement = false;
  readonly #o: RegistryServerOptions;
  readonly #now: () => number;
  readonly #negotiator: StreamNegotiator;
  readonly #live = new Map<string, Connection>();
  readonly #caller: IqCaller;
  /** Nodes whose health URL answered this instance: only for them does a refusal mean death. */
  readonly #reachable = new Set<string>();
  /** Recorders (Jibris) of this region. */
  readonly jibri: JibriBrewery | null;

  constructor(o: RegistryServerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.authenticator = new NodeAuthenticator(o.config.bridgeSecret, o.recorders ? o.config.recorderSecret : undefined);
    this.jibri = o.recorders
      ? new JibriBrewery({
        config: o.config, log: o.log, store: o.recorders, now: this.#now, connection: (cid) => this.#live.get(cid),
        notifyStatus: o.notifyRecorderStatus ?? (async () => ({ ok: false, condition: 'service-unavailable' })),
        notifyDown: o.notifyRecorderDown ?? (async () => undefined),
      })
      : null;
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

  onClose(conn: Connection): Promise<void> {
    return this.#disconnected(conn);
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

  /** Registered nodes with their load and placements, for operators. */
  nodes(): NodeDetails[] {
    const { store } = this.#o;
    return this.bridges().map((b) => {
      const r = store.bridges.get(b.id)!;
      return {
        ...b, conferences: r.stats.conferences, endpoints: r.stats.participants, rooms: store.rooms(b.id).sort(),
        lastStatsAt: new Date(r.updatedAt).toISOString(), disconnectedAt: r.disconnectedAt === null ? null : new Date(r.disconnectedAt).toISOString(),
      };
    });
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
    this.#reachable.delete(b.id);
    if (b.cid) this.#live.get(b.cid)?.close(1000, 'dropped');
    this.#o.log.warn('bridge.removed', { bridge: b.id, reason, rooms: rooms.length });
    await this.#notify(b.id, rooms, false);
  }

  async #notify(bridgeId: string, rooms: readonly string[], alive: boolean): Promise<void> {
    await Promise.all(rooms.map(async (room) => {
      try {
        await this.#o.notifyRoom(room, bridgeId, alive);
      } catch (err) {
        this.#o.log.error('bridge.notify_failed', { bridge: bridgeId, room, alive, err });
      }
    }));
  }

  /** Probes a node's health URL once it registers, to learn whether a refusal there will mean anything. */
  async #probeRegistered(b: BridgeRecord): Promise<void> {
    const { probe, log } = this.#o;
    if (!probe || !b.stats.healthUrl) return;
    const result = await probe(b.stats.healthUrl);
    if (result === 'up') this.#reachable.add(b.id);
    else log.warn('bridge.health_unreachable', { bridge: b.id, url: b.stats.healthUrl, result });
  }

  /** The control connection dropped: a node whose health URL no longer answers at all is dead now. */
  async #probeDisconnected(b: BridgeRecord): Promise<void> {
    const { probe, log } = this.#o;
    if (!probe || !b.stats.healthUrl || !this.#reachable.has(b.id)) return;
    const result = await probe(b.stats.healthUrl);
    log.info('bridge.probed', { bridge: b.id, result });
    const current = this.#o.store.bridges.get(b.id);
    if (result === 'down' && current && current.cid === null) await this.#drop(current, 'dead');
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
    this.#disconnected(conn).catch((err: unknown) => this.#o.log.error('bridge.disconnect_failed', { err }));
  }

  element(conn: Connection, el: Element): Promise<void> | void {
    const from = conn.state.sid;
    if (!from) throw new StreamError('not-authorized');
    if (conn.state.kind === 'recorder') {
      if (!this.jibri) throw new StreamError('not-authorized');
      if (el.name === 'presence') return this.jibri.presence(conn, from, el);
      if (el.name === 'iq') return this.jibri.iq(conn, from, el);
      return;
    }
    if (el.name === 'presence') return this.#presence(conn, from, el);
    if (el.name === 'iq') return this.#iq(conn, from, el);
    if (el.name === 'message') return;
    throw new StreamError('unsupported-stanza-type', { text: `unexpected <${el.name}/>` });
  }

  #presence(conn: Connection, from: string, el: Element): Promise<void> | undefined {
    const { config, store, log } = this.#o;
    const to = tryParseJid(el.attrs.to as string | undefined);
    const nodeId = conn.state.node ?? '';
    if (to && to.bare().toString() === config.jibriBreweryJid && el.attrs.type !== 'unavailable') {
      // A media node may only join the bridge brewery (a recorder only the Jibri brewery).
      const reply = errorReply(el, new StanzaError('not-allowed', { text: `media nodes join ${config.breweryJid} only` }));
      reply.attrs.to = from;
      delete reply.attrs.from;
      conn.send(serialize(reply));
      return;
    }
    if (!to || to.bare().toString() !== config.breweryJid) return;
    if (el.attrs.type === 'unavailable') {
      const gone = store.bridges.get(nodeId);
      return gone ? this.#drop(gone, 'left') : undefined;
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
    let known = store.bridges.get(nodeId);
    const work: Array<Promise<void>> = [];
    if (known && known.jid !== from) {
      // Another process under the same node id (a restart): the old one's conferences are gone with it.
      work.push(this.#drop(known, 'restarted'));
      known = undefined;
    }
    if (known?.cid && known.cid !== conn.state.cid) this.#live.get(known.cid)?.close(1000, 'replaced');
    const record: BridgeRecord = { id: nodeId, jid: from, stats, cid: conn.state.cid, updatedAt: this.#now(), disconnectedAt: null };
    store.put(record);
    this.#o.scheduleWakeUp(this.#now() + config.bridgeStaleSeconds * 1000);
    if (!known || known.cid !== conn.state.cid) {
      log.info('bridge.registered', { bridge: nodeId, region: stats.region, stress: stats.stressLevel });
      conn.send(serialize(xml('presence', { from: `${config.breweryJid}/${to.resource}`, to: from },
        xml('x', { xmlns: NS_MUC_USER }, xml('item', { affiliation: 'none', role: 'participant', jid: from }), xml('status', { code: '110' })))));
      work.push(this.#probeRegistered(record));
    }
    if (stats.shuttingDown && !known?.stats.shuttingDown) {
      // Its drain timed out: it still forwards, so its rooms move now, while nobody loses media.
      const rooms = store.rooms(nodeId);
      log.warn('bridge.shutting_down', { bridge: nodeId, rooms: rooms.length });
      work.push(this.#notify(nodeId, rooms, true));
    }
    return work.length > 0 ? Promise.all(work).then(() => undefined) : undefined;
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

  #disconnected(conn: Connection): Promise<void> {
    this.#live.delete(conn.state.cid);
    if (conn.state.kind === 'recorder') return this.jibri?.disconnected(conn) ?? Promise.resolve();
    const b = [...this.#o.store.bridges.values()].find((x) => x.cid === conn.state.cid);
    if (!b) return Promise.resolve();
    b.cid = null;
    b.disconnectedAt = this.#now();
    this.#o.store.put(b);
    this.#o.scheduleWakeUp(b.disconnectedAt + this.#o.config.bridgeGraceSeconds * 1000);
    this.#o.log.warn('bridge.disconnected', { bridge: b.id, graceSeconds: this.#o.config.bridgeGraceSeconds });
    return this.#probeDisconnected(b);
  }
}
