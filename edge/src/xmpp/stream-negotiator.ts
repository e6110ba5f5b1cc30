/**
 * RFC 7395 framing and RFC 6120 stream negotiation shared by every XMPP endpoint of the edge
 * (rooms for clients, the registry for media nodes): `<open/>`, SASL, stream restart, resource
 * binding (or XEP-0198 resumption), frame size limits, strict XML, and stream errors. What happens
 * once a stream is bound belongs to the host through {@link StreamHost}.
 * @module
 */
// Internal: not exported from the package entry.
import {
  NS_BIND, NS_CLIENT, NS_FRAMING, NS_SASL, NS_SM, NS_STANZAS, NS_STREAMS, StanzaError, StreamError, XmlParseError, errorReply, jid,
  parseXml, serialize, xml, type Element,
} from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { AuthFailure, type Authenticator } from './authenticator.ts';
import type { Connection } from './connection.ts';

export interface StreamHost {
  readonly authenticator: Authenticator;
  /** Offer XEP-0198 after SASL (and accept `<resume/>` in place of bind). */
  readonly streamManagement: boolean;
  /** A resource was bound: the host creates the session for `fullJid`. */
  bound(conn: Connection, fullJid: string): void;
  /** `<resume/>` arrived instead of bind (only when streamManagement). */
  resume(conn: Connection, el: Element): void;
  /** A top-level element on a bound stream. */
  element(conn: Connection, el: Element): Promise<void> | void;
  /** The stream ended: `clean` after the client's `<close/>`; false after a stream error. */
  ended(conn: Connection, clean: boolean): void;
}

export interface StreamNegotiatorOptions {
  domain: string;
  /** A second domain clients may open streams to (Jitsi's `hosts.anonymousdomain` for guests). */
  guestDomain?: string;
  /** The hidden domain recorders open streams to (Jitsi's `hiddenDomain`). */
  hiddenDomain?: string;
  maxStanzaBytes: number;
  log: Logger;
  host: StreamHost;
}

export class StreamNegotiator {
  readonly #o: StreamNegotiatorOptions;

  constructor(options: StreamNegotiatorOptions) {
    this.#o = options;
  }

  /** One WebSocket message (RFC 7395 §3.3: exactly one element). Never throws. */
  async onMessage(conn: Connection, data: string | ArrayBuffer): Promise<void> {
    if (conn.state.stage === 'closed') return;
    try {
      if (typeof data !== 'string') throw new StreamError('unsupported-encoding', { text: 'XMPP frames are text messages' });
      let el: Element;
      try {
        el = parseXml(data, { maxBytes: this.#o.maxStanzaBytes });
      } catch (err) {
        if (err instanceof XmlParseError) throw new StreamError(err.condition, { text: err.message });
        throw err;
      }
      await this.#dispatch(conn, el);
    } catch (err) {
      if (err instanceof StreamError) {
        this.streamError(conn, err);
      } else {
        this.#o.log.error('frame.failed', { err, cid: conn.state.cid, stage: conn.state.stage });
        this.streamError(conn, new StreamError('internal-server-error'));
      }
    }
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
        return this.#o.host.element(conn, el);
      case 'closed':
        return;
    }
  }

  #open(conn: Connection, el: Element): void {
    const { domain: mainDomain, guestDomain, hiddenDomain, host } = this.#o;
    if (el.attrs.version !== '1.0') throw new StreamError('unsupported-version');
    const to = typeof el.attrs.to === 'string' ? el.attrs.to.toLowerCase() : conn.state.domain ?? mainDomain;
    if (to !== mainDomain && to !== guestDomain && to !== hiddenDomain) throw new StreamError('host-unknown', { text: `this server is ${mainDomain}` });
    const stage = conn.state.stage;
    // The restart after SASL must name the domain the login was for.
    if (stage !== 'initial' && to !== (conn.state.domain ?? mainDomain)) throw new StreamError('host-unknown', { text: 'the stream restart names another domain' });
    if (to !== mainDomain) conn.state.domain = to;
    const domain = to;
    const features: Element[] = [];
    if (stage === 'initial' || stage === 'sasl') {
      const mechanisms = host.authenticator.mechanismsFor?.(domain) ?? host.authenticator.mechanisms;
      features.push(xml('mechanisms', { xmlns: NS_SASL }, ...mechanisms.map((m) => xml('mechanism', null, m))));
      conn.state.stage = 'sasl';
    } else if (stage === 'authenticated' || stage === 'bind') {
      // No legacy <session/> feature: Strophe would otherwise wait for a session IQ (jitsi-wire-protocol §1.4).
      features.push(xml('bind', { xmlns: NS_BIND }));
      if (host.streamManagement) features.push(xml('sm', { xmlns: NS_SM }));
      conn.state.stage = 'bind';
    } else {
      throw new StreamError('conflict', { text: 'the stream is already established' });
    }
    conn.save();
    conn.send(serialize(xml('open', { xmlns: NS_FRAMING, from: domain, id: conn.state.cid, version: '1.0', 'xml:lang': 'en' })));
    conn.send(serialize(xml('stream:features', { 'xmlns:stream': NS_STREAMS }, ...features)));
  }

  async #auth(conn: Connection, el: Element): Promise<void> {
    if (el.name === 'abort') {
      conn.send(serialize(xml('failure', { xmlns: NS_SASL }, xml('aborted'))));
      return;
    }
    try {
      const principal = await this.#o.host.authenticator.authenticate({
        mechanism: String(el.attrs.mechanism ?? ''), token: conn.state.token, response: el.text(),
        domain: conn.state.domain ?? this.#o.domain,
      });
      conn.state.node = principal.node;
      if (principal.kind) conn.state.kind = principal.kind;
      conn.state.auth = principal.token ?? null;
      conn.state.stage = 'authenticated';
      conn.save();
      conn.send(serialize(xml('success', { xmlns: NS_SASL })));
    } catch (err) {
      if (!(err instanceof AuthFailure)) throw err;
      this.#o.log.info('auth.failed', { cid: conn.state.cid, condition: err.condition });
      conn.send(serialize(xml('failure', { xmlns: NS_SASL }, xml(err.condition), xml('text', null, err.message))));
    }
  }

  #bindStage(conn: Connection, el: Element): void {
    const { host } = this.#o;
    if (el.attrs.xmlns === NS_SM && el.name === 'resume' && host.streamManagement) {
      host.resume(conn, el);
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
      full = jid(conn.state.node ?? '', conn.state.domain ?? this.#o.domain, requested || crypto.randomUUID().slice(0, 8)).toString();
    } catch {
      conn.send(serialize(errorReply(el, new StanzaError('bad-request', { text: 'invalid resource' }))));
      return;
    }
    host.bound(conn, full);
    conn.send(serialize(xml('iq', { xmlns: NS_CLIENT, type: 'result', id: el.attrs.id }, xml('bind', { xmlns: NS_BIND }, xml('jid', null, full)))));
    this.#o.log.info('session.bound', { cid: conn.state.cid, jid: full });
  }

  #clientClose(conn: Connection): void {
    conn.send(serialize(xml('close', { xmlns: NS_FRAMING })));
    this.#o.host.ended(conn, true);
    conn.close(1000, 'closed');
  }

  /** RFC 7395 §3.6: `<stream:error/>`, then `<close/>`, then the socket closes. */
  streamError(conn: Connection, err: StreamError): void {
    this.#o.log.info('stream.error', { cid: conn.state.cid, condition: err.condition, text: err.text });
    conn.send(serialize(err.toElement()));
    conn.send(serialize(xml('close', { xmlns: NS_FRAMING })));
    this.#o.host.ended(conn, false);
    conn.close(1000, err.condition);
  }
}
