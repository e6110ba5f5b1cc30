/**
 * XMPP sessions of a room: binding, delivery of stanzas, and XEP-0198 stream management
 * (counting, acknowledgement, queueing while detached, resumption). Sessions outlive their
 * sockets while they wait for resumption, so their state lives in {@link RoomStore}.
 * @module
 */
// Internal: not exported from the package entry.
import { NS_CLIENT, NS_SM, NS_STANZAS, serialize, xml, type Element } from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../xmpp/connection.ts';
import type { RoomStore, SessionRow } from './store.ts';

/** Why a session ended; logged, and for the MUC the occupant leaves. */
export type EndReason = 'closed' | 'disconnected' | 'resume-timeout' | 'queue-overflow' | 'replaced' | 'stream-error';

export interface SessionHooks {
  /** Called when a session ends, before it is forgotten (the MUC removes its occupant). */
  sessionEnded(sid: string, reason: EndReason): void;
  /** Asks the host to wake it at `at` (epoch ms) for resumption timeouts. */
  scheduleWakeUp(at: number): void;
}

export class Sessions {
  readonly #store: RoomStore;
  readonly #config: EdgeConfig;
  readonly #log: Logger;
  readonly #hooks: SessionHooks;
  readonly #now: () => number;
  /** Live connections by session id. */
  readonly #live = new Map<string, Connection>();
  /** Sessions whose counters changed during the current event. */
  readonly #dirty = new Set<string>();
  /** Sessions to end once the current event is done. */
  readonly #doomed = new Map<string, EndReason>();
  /** In-process sessions (the focus) and the handlers their stanzas go to. */
  readonly #local = new Map<string, (stanza: Element) => Promise<void>>();
  /** Stanzas for in-process sessions, handled after the current stanza (never re-entrantly). */
  readonly #localQueue: Array<{ sid: string; stanza: Element }> = [];

  constructor(options: { store: RoomStore; config: EdgeConfig; log: Logger; hooks: SessionHooks; now: () => number }) {
    this.#store = options.store;
    this.#config = options.config;
    this.#log = options.log;
    this.#hooks = options.hooks;
    this.#now = options.now;
  }

  /** Re-attaches a connection found after hibernation. */
  adopt(conn: Connection): void {
    if (conn.state.sid && this.#store.sessions.has(conn.state.sid)) this.#live.set(conn.state.sid, conn);
  }

  get(sid: string): SessionRow | undefined {
    return this.#store.sessions.get(sid);
  }

  connectionOf(sid: string): Connection | undefined {
    return this.#live.get(sid);
  }

  /** Finds a session by its full JID. */
  byJid(fullJid: string): SessionRow | undefined {
    for (const s of this.#store.sessions.values()) if (s.jid === fullJid) return s;
    return undefined;
  }

  /** Finds a session by its bare JID (anonymous users have one session per bare JID). */
  byBareJid(bareJid: string): SessionRow | undefined {
    const prefix = `${bareJid}/`;
    for (const s of this.#store.sessions.values()) if (s.jid.startsWith(prefix)) return s;
    return undefined;
  }

  /** Binds a new session to `conn` (RFC 6120 §7). */
  bind(conn: Connection, jid: string): SessionRow {
    const sid = crypto.randomUUID().replaceAll('-', '');
    const row: SessionRow = { sid, jid, sm: false, resumable: false, hIn: 0, hOut: 0, acked: 0, detachedUntil: null };
    this.#store.putSession(row);
    if (conn.state.auth) this.#store.putSessionAuth(sid, conn.state.auth);
    this.#live.set(sid, conn);
    conn.state.sid = sid;
    conn.state.auth = null;
    conn.state.stage = 'session';
    conn.save();
    return row;
  }

  /**
   * Binds (or re-binds after a restart) an in-process session such as the focus: no socket, no
   * XEP-0198; its stanzas go to `handler` once the current stanza is done.
   */
  bindLocal(sid: string, jid: string, handler: (stanza: Element) => Promise<void>): SessionRow {
    let row = this.#store.sessions.get(sid);
    if (!row) {
      row = { sid, jid, sm: false, resumable: false, hIn: 0, hOut: 0, acked: 0, detachedUntil: null };
      this.#store.putSession(row);
    }
    this.#local.set(sid, handler);
    return row;
  }

  /** Handles queued stanzas for in-process sessions, including any they cause in turn. */
  async drainLocal(onError: (err: unknown) => void): Promise<void> {
    for (let next = this.#localQueue.shift(); next; next = this.#localQueue.shift()) {
      const handler = this.#local.get(next.sid);
      if (!handler) continue;
      try {
        await handler(next.stanza);
      } catch (err) {
        onError(err);
      }
    }
  }

  /** Sends a stanza to a session, queueing it for XEP-0198 when enabled. */
  deliver(sid: string, stanza: Element): void {
    const s = this.#store.sessions.get(sid);
    if (!s || this.#doomed.has(sid)) return;
    if (this.#local.has(sid)) {
      this.#localQueue.push({ sid, stanza });
      return;
    }
    stanza.attrs.xmlns ??= NS_CLIENT;
    const frame = serialize(stanza);
    if (s.sm) {
      s.hOut += 1;
      this.#store.enqueue(sid, s.hOut, frame);
      this.#dirty.add(sid);
      if (s.hOut - s.acked > this.#config.smMaxQueue) this.#doomed.set(sid, 'queue-overflow');
    }
    this.#live.get(sid)?.send(frame);
  }

  /** Counts a stanza received from the client (XEP-0198 `h`). */
  received(sid: string): void {
    const s = this.#store.sessions.get(sid);
    if (s?.sm) {
      s.hIn += 1;
      this.#dirty.add(sid);
    }
  }

  /** Handles `<enable/>`, `<r/>` and `<a/>` on a bound connection (XEP-0198 §3–4). */
  handleSm(conn: Connection, el: Element): void {
    const s = conn.state.sid ? this.#store.sessions.get(conn.state.sid) : undefined;
    if (!s) return;
    switch (el.name) {
      case 'enable': {
        if (s.sm) {
          conn.send(serialize(smFailed('unexpected-request')));
          return;
        }
        s.sm = true;
        const wants = el.attrs.resume === 'true' || el.attrs.resume === '1';
        s.resumable = wants && this.#config.resumeTimeoutSeconds > 0;
        this.#store.putSession(s);
        conn.send(serialize(xml('enabled', {
          xmlns: NS_SM, id: s.resumable ? s.sid : undefined, resume: s.resumable ? 'true' : undefined,
          max: s.resumable ? this.#config.resumeTimeoutSeconds : undefined,
        })));
        return;
      }
      case 'r':
        conn.send(serialize(xml('a', { xmlns: NS_SM, h: s.hIn })));
        return;
      case 'a': {
        conn.state.ackRequested = false;
        conn.save();
        this.#acknowledge(s, el.attrs.h);
        return;
      }
      default:
        conn.send(serialize(smFailed('feature-not-implemented')));
    }
  }

  #acknowledge(s: SessionRow, hAttr: unknown): void {
    const h = Number(hAttr);
    if (!Number.isInteger(h) || h < 0) return;
    // Counters wrap at 2^32 (XEP-0198 §5); we never get near it per session, so clamp instead.
    const acked = Math.min(h, s.hOut);
    if (acked <= s.acked) return;
    s.acked = acked;
    this.#store.ack(s.sid, acked);
    this.#dirty.add(s.sid);
  }

  /**
   * Resumes a detached (or still half-attached) session on a new connection (XEP-0198 §5).
   * Returns false, after answering `<failed/>`, when the session cannot be resumed.
   */
  resume(conn: Connection, el: Element): boolean {
    const previd = String(el.attrs.previd ?? '');
    const s = this.#store.sessions.get(previd);
    if (!s || !s.resumable || this.#doomed.has(previd)) {
      conn.send(serialize(smFailed('item-not-found')));
      return false;
    }
    const old = this.#live.get(s.sid);
    if (old && old.state.cid !== conn.state.cid) {
      old.state.sid = null;
      old.close(1000, 'session resumed elsewhere');
    }
    this.#acknowledge(s, el.attrs.h);
    s.detachedUntil = null;
    this.#store.putSession(s);
    this.#live.set(s.sid, conn);
    conn.state.sid = s.sid;
    conn.state.stage = 'session';
    conn.state.ackRequested = false;
    conn.save();
    conn.send(serialize(xml('resumed', { xmlns: NS_SM, h: s.hIn, previd: s.sid })));
    for (const frame of this.#store.unacked(s.sid, s.acked)) conn.send(frame);
    this.#dirty.add(s.sid);
    this.#log.info('session.resumed', { sid: s.sid, replayed: s.hOut - s.acked });
    return true;
  }

  /**
   * The socket of a session went away. Resumable sessions wait for their client; others end.
   * `clean` is true after the client's `<close/>` (a clean close ends a session, XEP-0198 §5).
   */
  disconnected(conn: Connection, clean: boolean): void {
    const sid = conn.state.sid;
    if (!sid || this.#live.get(sid)?.state.cid !== conn.state.cid) return;
    this.#live.delete(sid);
    const s = this.#store.sessions.get(sid);
    if (!s) return;
    if (!clean && s.resumable) {
      s.detachedUntil = this.#now() + this.#config.resumeTimeoutSeconds * 1000;
      this.#store.putSession(s);
      this.#hooks.scheduleWakeUp(s.detachedUntil);
      this.#log.info('session.detached', { sid, until: s.detachedUntil });
      return;
    }
    this.end(sid, clean ? 'closed' : 'disconnected');
  }

  /** Ends sessions whose resumption window has passed; returns the next deadline, if any. */
  expire(): number | null {
    const now = this.#now();
    let next: number | null = null;
    for (const s of [...this.#store.sessions.values()]) {
      if (s.detachedUntil === null) continue;
      if (s.detachedUntil <= now) this.end(s.sid, 'resume-timeout');
      else next = next === null ? s.detachedUntil : Math.min(next, s.detachedUntil);
    }
    return next;
  }

  /** Ends a session now: the MUC lets its occupant leave, then it is forgotten. */
  end(sid: string, reason: EndReason): void {
    if (!this.#store.sessions.has(sid)) return;
    this.#doomed.set(sid, reason);
    this.#hooks.sessionEnded(sid, reason);
    this.#store.deleteSession(sid);
    this.#local.delete(sid);
    this.#doomed.delete(sid);
    this.#dirty.delete(sid);
    const conn = this.#live.get(sid);
    this.#live.delete(sid);
    if (conn) {
      conn.state.sid = null;
      conn.close(1000, reason);
    }
    this.#log.info('session.ended', { sid, reason });
  }

  /**
   * End of an event: persists changed XEP-0198 counters, asks for acknowledgements where
   * stanzas are unacknowledged (one `<r/>` outstanding at a time), ends overflowing sessions.
   */
  flush(): void {
    for (const sid of this.#dirty) {
      const s = this.#store.sessions.get(sid);
      if (!s) continue;
      this.#store.saveCounters(s);
      const conn = this.#live.get(sid);
      if (conn && s.sm && s.hOut > s.acked && !conn.state.ackRequested) {
        conn.state.ackRequested = true;
        conn.save();
        conn.send(serialize(xml('r', { xmlns: NS_SM })));
      }
    }
    this.#dirty.clear();
    for (const [sid, reason] of [...this.#doomed]) {
      this.#doomed.delete(sid);
      this.end(sid, reason);
    }
  }
}

function smFailed(condition: string): Element {
  return xml('failed', { xmlns: NS_SM }, xml(condition, { xmlns: NS_STANZAS }));
}
