/**
 * The Jibri brewery of one region (Jitsi's `jibribrewery` MUC plus Jicofo's JibriDetector):
 * recorders log in with `RECORDER_SECRET`, join the brewery with `<jibri-status/>` presence
 * (re-sent whenever it changes), and take `jibri` IQs (start/stop) that rooms send through
 * {@link JibriBrewery.request}. Their own status IQs (on/off, failures) go back to the room that
 * started the session: by the IQ's session_id, else (Jibri's XmppApi sends none) by the session
 * the recorder was last started for. A recorder that leaves or whose control connection drops is
 * gone at once, as a Jibri leaving its brewery is for Jicofo: its rooms are told.
 * @module
 */
// Internal: not exported from the package entry.
import {
  AppError, IqCaller, NS_MUC_USER, focusJid, NS_PING, StanzaError, errorReply, findJibri, isJibriAvailable, parseJibriIq, parseJibriStatus,
  parseXml, resultReply, serialize, tryParseJid, xml, type Element, type JibriIq, type StanzaErrorCondition,
} from '@edgemeet/protocol';
import { jibriFailed, jibriPresence, selectJibri } from '@edgemeet/focus';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../xmpp/connection.ts';
import type { RecorderRecord, RecorderStore } from './recorder-store.ts';

/** A room's answer (RPC), errors as values: classes do not survive the RPC boundary. */
export type RoomAnswer = { ok: true } | { ok: false; condition: StanzaErrorCondition; text?: string };

/** What rooms see of a registered recorder. */
export interface RecorderInfo {
  readonly id: string;
  /** The recorder's address as the focus knows it: its brewery occupant JID (Jicofo's). */
  readonly jid: string;
  readonly busy: 'idle' | 'busy';
  readonly health: 'healthy' | 'unhealthy';
  /** healthy and idle (JibriStatusPacketExt.isAvailable). */
  readonly available: boolean;
}

/** JibriDetector.selectJibri's answer; `anyConnected` tells "all busy" from "none" (Jicofo's isAnyInstanceConnected). */
export interface RecorderSelection {
  readonly recorder: RecorderInfo | null;
  readonly anyConnected: boolean;
}

export interface JibriBreweryOptions {
  config: EdgeConfig;
  log: Logger;
  store: RecorderStore;
  now: () => number;
  /** The live connection with this id, if any. */
  connection: (cid: string) => Connection | undefined;
  /** Hands a recorder's status IQ payload to the room whose session it is; answers as the focus did. */
  notifyStatus: (room: string, recorderJid: string, payloadXml: string) => Promise<RoomAnswer>;
  /** Tells a room that a recorder it uses is gone. */
  notifyDown: (room: string, recorderId: string) => Promise<void>;
}

export class JibriBrewery {
  readonly #o: JibriBreweryOptions;
  readonly #caller: IqCaller;

  constructor(o: JibriBreweryOptions) {
    this.#o = o;
    this.#caller = new IqCaller({
      timeoutMs: o.config.recording.requestTimeoutMs,
      idPrefix: 'jibri',
      send: (iq) => {
        const recorder = [...o.store.recorders.values()].find((r) => r.jid === iq.attrs.to);
        const conn = recorder ? o.connection(recorder.cid) : undefined;
        if (!conn) throw new AppError('service-unavailable', 'the recorder is not connected');
        conn.send(serialize(iq));
      },
    });
  }

  /** The recorder's address as the focus sees it. */
  #occupant(id: string): string {
    return `${this.#o.config.jibriBreweryJid}/${id}`;
  }

  #info(r: RecorderRecord): RecorderInfo {
    return { id: r.id, jid: this.#occupant(r.id), busy: r.busy, health: r.health, available: r.available };
  }

  /** Registered recorders as rooms see them. */
  list(): RecorderInfo[] {
    return [...this.#o.store.recorders.values()].filter((r) => this.#o.connection(r.cid)).map((r) => this.#info(r));
  }

  /** JibriDetector.selectJibri here, where every room's selection is serialized. */
  select(): RecorderSelection {
    const live = [...this.#o.store.recorders.values()].filter((r) => this.#o.connection(r.cid));
    const chosen = selectJibri(live, this.#o.now());
    if (chosen) this.#o.store.put(chosen);
    return { recorder: chosen ? this.#info(chosen) : null, anyConnected: live.length > 0 };
  }

  /** JibriDetector.instanceFailed: a request to it failed or timed out. */
  failed(recorderId: string): void {
    const r = this.#o.store.recorders.get(recorderId);
    if (!r) return;
    jibriFailed(r, this.#o.now());
    this.#o.store.put(r);
    this.#o.log.info('recorder.failed', { recorder: recorderId });
  }

  /**
   * Sends a `<jibri/>` payload to a recorder for `room` and returns its answer (result or error IQ)
   * serialized; a start names the room its status IQs go back to, a stop ends that.
   */
  async request(recorderId: string, room: string, payloadXml: string): Promise<string> {
    const { config, store, now } = this.#o;
    const r = store.recorders.get(recorderId);
    if (!r || !this.#o.connection(r.cid)) throw new AppError('service-unavailable', `recorder ${recorderId} is not available`);
    const payload = parseXml(payloadXml);
    const j = parseJibriIq(payload);
    if (j.sessionId && j.action === 'start') store.addSession({ sessionId: j.sessionId, recorder: r.id, room, createdAt: now() });
    if (j.sessionId && j.action === 'stop') store.removeSession(j.sessionId);
    const iq = xml('iq', { type: 'set', to: r.jid, from: `${focusJid(config.domain)}/focus` }, payload);
    try {
      return serialize(await this.#caller.request(iq));
    } catch (err) {
      if (err instanceof StanzaError) return serialize(errorReply(iq, err));
      throw err;
    }
  }

  /** Presence from a recorder's control connection. */
  presence(conn: Connection, from: string, el: Element): Promise<void> | undefined {
    const { config, store, log } = this.#o;
    const to = tryParseJid(el.attrs.to as string | undefined);
    const id = conn.state.node ?? '';
    if (!to || to.bare().toString() !== config.jibriBreweryJid) {
      // A recorder may only join the Jibri brewery (a node only the bridge brewery).
      if (el.attrs.type !== 'unavailable') this.#refuse(conn, from, el);
      return undefined;
    }
    if (el.attrs.type === 'unavailable') return this.#gone(id, 'left');
    if (el.attrs.type !== undefined) return undefined;
    const status = parseJibriStatus(el);
    const known = store.recorders.get(id);
    if (!status && !known) return undefined; // Jicofo's brewery knows only members with a status
    const previous = known && known.jid !== from ? undefined : known;
    const work = known && known.jid !== from ? this.#gone(id, 'restarted') : undefined;
    if (known && known.cid !== conn.state.cid && known.jid === from) this.#o.connection(known.cid)?.close(1000, 'replaced');
    const record: RecorderRecord = previous ?? {
      id, jid: from, busy: 'busy', health: 'unhealthy', available: false, cid: conn.state.cid, updatedAt: 0, lastSelected: null, lastFailed: null,
    };
    record.cid = conn.state.cid;
    record.updatedAt = this.#o.now();
    if (status) {
      record.busy = status.busy;
      record.health = status.health;
      jibriPresence(record, isJibriAvailable(status));
    }
    store.put(record);
    if (!previous) {
      log.info('recorder.registered', { recorder: id, busy: record.busy, health: record.health });
      conn.send(serialize(xml('presence', { from: `${config.jibriBreweryJid}/${to.resource}`, to: from },
        xml('x', { xmlns: NS_MUC_USER }, xml('item', { affiliation: 'none', role: 'participant', jid: from }), xml('status', { code: '110' })))));
    } else {
      log.info('recorder.status', { recorder: id, busy: record.busy, health: record.health });
    }
    return work;
  }

  #refuse(conn: Connection, from: string, el: Element): void {
    const reply = errorReply(el, new StanzaError('not-allowed', { text: `recorders join ${this.#o.config.jibriBreweryJid} only` }));
    reply.attrs.to = from;
    delete reply.attrs.from;
    conn.send(serialize(reply));
  }

  /** An IQ from a recorder: answers to the Registry's requests, or its own status for a room's focus. */
  async iq(conn: Connection, from: string, iq: Element): Promise<void> {
    if (iq.attrs.type === 'result' || iq.attrs.type === 'error') {
      iq.attrs.from = from;
      this.#caller.handleResponse(iq);
      return;
    }
    const send = (reply: Element) => {
      reply.attrs.to = from;
      delete reply.attrs.from;
      conn.send(serialize(reply));
    };
    const payload = findJibri(iq);
    if (iq.attrs.type === 'get' && iq.getChild('ping', NS_PING)) return send(resultReply(iq));
    if (!payload || iq.attrs.type !== 'set') return send(errorReply(iq, new StanzaError('service-unavailable')));
    let j: JibriIq;
    try {
      j = parseJibriIq(payload);
    } catch (err) {
      return send(errorReply(iq, new StanzaError('bad-request', { text: err instanceof Error ? err.message : 'bad jibri payload' })));
    }
    const id = conn.state.node ?? '';
    const session = j.sessionId ? this.#o.store.session(j.sessionId) : this.#o.store.sessionsOf(id)[0];
    if (!session || session.recorder !== id) {
      // Jicofo's JibriIqHandler: no conference accepted it.
      return send(errorReply(iq, new StanzaError('item-not-found', { text: 'no recording session of this recorder' })));
    }
    if (j.status === 'off') this.#o.store.removeSession(session.sessionId);
    let answer: RoomAnswer;
    try {
      answer = await this.#o.notifyStatus(session.room, this.#occupant(id), serialize(payload));
    } catch (err) {
      this.#o.log.error('recorder.status_failed', { recorder: id, room: session.room, err });
      answer = { ok: false, condition: 'internal-server-error' };
    }
    send(answer.ok ? resultReply(iq) : errorReply(iq, new StanzaError(answer.condition, { text: answer.text })));
  }

  /** A control connection closed: the recorder on it is gone. */
  disconnected(conn: Connection): Promise<void> {
    const r = [...this.#o.store.recorders.values()].find((x) => x.cid === conn.state.cid);
    return r ? this.#gone(r.id, 'disconnected') : Promise.resolve();
  }

  async #gone(id: string, reason: string): Promise<void> {
    const r = this.#o.store.recorders.get(id);
    if (!r) return;
    const sessions = this.#o.store.remove(id);
    this.#o.log.warn('recorder.removed', { recorder: id, reason, sessions: sessions.length });
    const rooms = [...new Set(sessions.map((s) => s.room))];
    await Promise.all(rooms.map(async (room) => {
      try {
        await this.#o.notifyDown(room, id);
      } catch (err) {
        this.#o.log.error('recorder.notify_failed', { recorder: id, room, err });
      }
    }));
  }
}
