/**
 * The XMPP-over-WebSocket server of one room (RFC 7395 framing, RFC 6120 stream negotiation):
 * `<open/>`, SASL, stream restart, resource binding or XEP-0198 resumption, then stanzas handed
 * to the {@link StanzaRouter}. Limits (stanza size, rate) and stream errors are enforced here.
 * Runtime-neutral: the Durable Object shell feeds it frames and closes.
 * @module
 */
// Internal: not exported from the package entry.
import {
  NS_BIND, NS_FRAMING, NS_SASL, NS_SM, NS_STANZAS, NS_STREAMS, StanzaError, StreamError, XmlParseError, errorReply, jid,
  parseXml, serialize, xml, type Element, type StreamErrorCondition,
} from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { AuthFailure, type Authenticator } from './authenticator.ts';
import type { Connection } from './connection.ts';
import { MucRoom } from './muc/muc-room.ts';
import { createRoomIqRouter } from './muc/room-iq.ts';
import { TokenBuckets } from './rate-limit.ts';
import { createMucServiceIqRouter, createServerIqRouter } from './server-iq.ts';
import { Sessions, type EndReason } from './sessions.ts';
import { StanzaRouter } from './stanza-router.ts';
import type { RoomStore, SessionRow } from './store.ts';

export interface RoomXmppServerOptions {
  config: EdgeConfig;
  log: Logger;
  store: RoomStore;
  roomName: string;
  authenticator: Authenticator;
  now?: () => number;
  /** Wake the host at `at` (epoch ms); the Durable Object sets an alarm. */
  scheduleWakeUp: (at: number) => void;
}

const STANZAS = new Set(['iq', 'message', 'presence']);

export class RoomXmppServer {
  readonly #config: EdgeConfig;
  readonly #log: Logger;
  readonly #authenticator: Authenticator;
  readonly #now: () => number;
  readonly #buckets: TokenBuckets;
  readonly sessions: Sessions;
  readonly room: MucRoom;
  readonly #router: StanzaRouter;

  constructor(o: RoomXmppServerOptions) {
    this.#config = o.config;
    this.#log = o.log;
    this.#authenticator = o.authenticator;
    this.#now = o.now ?? Date.now;
    this.#buckets = new TokenBuckets(o.config.rateLimitPerSecond, o.config.rateLimitBurst);
    this.sessions = new Sessions({
      store: o.store, config: o.config, log: o.log, now: this.#now,
      hooks: {
        sessionEnded: (sid: string, _reason: EndReason) => this.room.removeSession(sid),
        scheduleWakeUp: o.scheduleWakeUp,
      },
    });
    this.room = new MucRoom({
      jid: jid(o.roomName, o.config.mucDomain), store: o.store, sessions: this.sessions, config: o.config, log: o.log, now: this.#now,
    });
    const onHandlerError = (err: unknown, iq: Element) => this.#log.error('iq.handler_failed', { err, iq: serialize(iq).slice(0, 512) });
    this.#router = new StanzaRouter({
      config: o.config, log: o.log, sessions: this.sessions, room: this.room, roomName: o.roomName,
      serverIq: createServerIqRouter(onHandlerError), mucServiceIq: createMucServiceIqRouter(onHandlerError),
      roomIq: createRoomIqRouter(onHandlerError),
    });
  }

  /** Takes over a connection that existed before hibernation. */
  adopt(conn: Connection): void {
    this.sessions.adopt(conn);
  }

  /** One WebSocket message (RFC 7395: exactly one element). */
  async onMessage(conn: Connection, data: string | ArrayBuffer): Promise<void> {
    if (conn.state.stage === 'closed') return;
    try {
      if (typeof data !== 'string') throw new StreamError('unsupported-encoding', { text: 'XMPP frames are text messages' });
      let el: Element;
      try {
        el = parseXml(data, { maxBytes: this.#config.maxStanzaBytes });
      } catch (err) {
        if (err instanceof XmlParseError) throw new StreamError(err.condition, { text: err.message });
        throw err;
      }
      await this.#dispatch(conn, el);
    } catch (err) {
      if (err instanceof StreamError) {
        this.#streamError(conn, err);
      } else {
        this.#log.error('frame.failed', { err, cid: conn.state.cid, stage: conn.state.stage });
        this.#streamError(conn, new StreamError('internal-server-error'));
      }
    } finally {
      this.sessions.flush();
    }
  }

  /** The socket closed or failed without a `<close/>` from the client. */
  onClose(conn: Connection): void {
    this.#buckets.forget(conn.state.cid);
    this.sessions.disconnected(conn, false);
    this.sessions.flush();
  }

  /** Alarm: expire sessions whose resumption window passed; returns the next deadline. */
  onWakeUp(): number | null {
    const next = this.sessions.expire();
    this.sessions.flush();
    return next;
  }

  async #dispatch(conn: Connection, el: Element): Promise<void> {
    if (el.attrs.xmlns === NS_FRAMING && el.name === 'open') return this.#open(conn, el);
    if (el.attrs.xmlns === NS_FRAMING && el.name === 'close') return this.#clientClose(conn);
    switch (conn.state.stage) {
      case 'initial':
        throw new StreamError('not-authorized', { text: 'open the stream first' });
      case 'sasl':
        if (el.attrs.xmlns === NS_SASL && (el.name === 'auth' || el.name === 'abort')) return this.#auth(conn, el);
        throw new StreamError('not-authorized', { text: 'authenticate first' });
      case 'authenticated':
        throw new StreamError('not-authorized', { text: 'restart the stream after SASL' });
      case 'bind':
        return this.#bindStage(conn, el);
      case 'session':
        return this.#sessionStage(conn, el);
      case 'closed':
        return;
    }
  }

  #open(conn: Connection, el: Element): void {
    if (el.attrs.version !== '1.0') throw new StreamError('unsupported-version');
    const to = typeof el.attrs.to === 'string' ? el.attrs.to.toLowerCase() : this.#config.domain;
    if (to !== this.#config.domain) throw new StreamError('host-unknown', { text: `this server is ${this.#config.domain}` });
    const stage = conn.state.stage;
    let features: Element;
    if (stage === 'initial' || stage === 'sasl') {
      features = xml('mechanisms', { xmlns: NS_SASL }, ...this.#authenticator.mechanisms.map((m) => xml('mechanism', null, m)));
      conn.state.stage = 'sasl';
    } else if (stage === 'authenticated' || stage === 'bind') {
      // No legacy <session/> feature: Strophe would otherwise wait for a session IQ (jitsi-wire-protocol §1.4).
      features = xml('bind', { xmlns: NS_BIND });
      conn.state.stage = 'bind';
    } else {
      throw new StreamError('conflict', { text: 'the stream is already established' });
    }
    conn.save();
    conn.send(serialize(xml('open', {
      xmlns: NS_FRAMING, from: this.#config.domain, id: conn.state.cid, version: '1.0', 'xml:lang': 'en',
    })));
    const sm = conn.state.stage === 'bind' ? xml('sm', { xmlns: NS_SM }) : null;
    conn.send(serialize(xml('stream:features', { 'xmlns:stream': NS_STREAMS }, features, sm)));
  }

  async #auth(conn: Connection, el: Element): Promise<void> {
    if (el.name === 'abort') {
      conn.send(serialize(xml('failure', { xmlns: NS_SASL }, xml('aborted'))));
      return;
    }
    try {
      const principal = await this.#authenticator.authenticate({ mechanism: String(el.attrs.mechanism ?? ''), token: conn.state.token });
      conn.state.node = principal.node;
      conn.state.stage = 'authenticated';
      conn.save();
      conn.send(serialize(xml('success', { xmlns: NS_SASL })));
    } catch (err) {
      if (!(err instanceof AuthFailure)) throw err;
      this.#log.info('auth.failed', { cid: conn.state.cid, condition: err.condition });
      conn.send(serialize(xml('failure', { xmlns: NS_SASL }, xml(err.condition), xml('text', null, err.message))));
    }
  }

  #bindStage(conn: Connection, el: Element): void {
    if (el.attrs.xmlns === NS_SM && el.name === 'resume') {
      this.sessions.resume(conn, el);
      return;
    }
    if (el.attrs.xmlns === NS_SM) {
      conn.send(serialize(xml('failed', { xmlns: NS_SM }, xml('unexpected-request', { xmlns: NS_STANZAS }))));
      return;
    }
    const bind = el.name === 'iq' && el.attrs.type === 'set' ? el.getChild('bind', NS_BIND) : undefined;
    if (!bind) throw new StreamError('not-authorized', { text: 'bind a resource first' });
    const requested = bind.getChildText('resource')?.trim();
    let full: string;
    try {
      full = jid(conn.state.node ?? '', this.#config.domain, requested || crypto.randomUUID().slice(0, 8)).toString();
    } catch {
      conn.send(serialize(errorReply(el, new StanzaError('bad-request', { text: 'invalid resource' }))));
      return;
    }
    this.sessions.bind(conn, full);
    conn.send(serialize(xml('iq', { type: 'result', id: el.attrs.id }, xml('bind', { xmlns: NS_BIND }, xml('jid', null, full)))));
    this.#log.info('session.bound', { cid: conn.state.cid, jid: full });
  }

  async #sessionStage(conn: Connection, el: Element): Promise<void> {
    const session = conn.state.sid ? this.sessions.get(conn.state.sid) : undefined;
    if (!session) throw new StreamError('not-authorized', { text: 'the session has ended' });
    if (el.attrs.xmlns === NS_SM) return this.sessions.handleSm(conn, el);
    if (!STANZAS.has(el.name)) throw new StreamError('unsupported-stanza-type', { text: `unexpected <${el.name}/>` });
    this.sessions.received(session.sid);
    if (!this.#buckets.take(conn.state.cid, this.#now())) return this.#throttled(session, el);
    const from = el.attrs.from as string | undefined;
    // RFC 6120 §8.1.2.1: the server stamps `from`; a client may only name itself.
    if (from !== undefined && from !== session.jid && from !== session.jid.slice(0, session.jid.indexOf('/'))) {
      throw new StreamError('invalid-from', { text: 'from must be your own JID' });
    }
    el.attrs.from = session.jid;
    delete el.attrs.xmlns;
    await this.#router.route(session, el);
  }

  #throttled(session: SessionRow, el: Element): void {
    this.#log.warn('stanza.throttled', { sid: session.sid, name: el.name });
    if (el.name === 'presence' || el.attrs.type === 'error' || el.attrs.type === 'result') return;
    const reply = errorReply(el, new StanzaError('resource-constraint', { text: 'too many stanzas; slow down' }));
    reply.attrs.to = session.jid;
    this.sessions.deliver(session.sid, reply);
  }

  #clientClose(conn: Connection): void {
    conn.send(serialize(xml('close', { xmlns: NS_FRAMING })));
    this.sessions.disconnected(conn, true);
    conn.close(1000, 'closed');
  }

  /** RFC 7395 §3.6: `<stream:error/>`, then `<close/>`, then the socket closes. */
  #streamError(conn: Connection, err: StreamError): void {
    this.#log.info('stream.error', { cid: conn.state.cid, condition: err.condition as StreamErrorCondition, text: err.text });
    conn.send(serialize(err.toElement()));
    conn.send(serialize(xml('close', { xmlns: NS_FRAMING })));
    const sid = conn.state.sid;
    if (sid) this.sessions.end(sid, 'stream-error');
    conn.close(1000, err.condition);
  }
}
