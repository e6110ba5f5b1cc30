/**
 * A small XMPP-over-WebSocket client for the browser (RFC 7395): opens the stream, logs in with
 * SASL ANONYMOUS (a Jitsi JWT rides on the URL as `?token=`), binds a resource, then sends
 * stanzas, matches IQ replies by id and hands everything else to a listener. The XML codec is
 * protocol/'s, the same the edge uses.
 * @module
 */
import { NS_BIND, NS_CLIENT, NS_FRAMING, NS_SASL, parseXml, serialize, xml, type Element } from '@edgemeet/protocol';

export class XmppError extends Error {
  override name = 'XmppError';
  /** The stanza or stream error condition (`not-authorized`, `item-not-found`, …). */
  readonly condition: string;
  constructor(condition: string, text?: string) {
    super(text ? `${condition}: ${text}` : condition);
    this.condition = condition;
  }

  static fromStanza(el: Element): XmppError {
    const error = el.getChild('error');
    const condition = error?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'undefined-condition';
    return new XmppError(condition, error?.getChildText('text') ?? undefined);
  }
}

export class XmppConnection {
  readonly #ws: WebSocket;
  readonly #domain: string;
  #inbox: Element[] = [];
  #waiting: Array<(el: Element) => void> = [];
  readonly #pending = new Map<string, { resolve: (el: Element) => void; reject: (err: Error) => void }>();
  #nextId = 0;
  jid = '';
  onStanza: (el: Element) => void = () => undefined;
  onClose: (reason: string) => void = () => undefined;

  private constructor(ws: WebSocket, domain: string) {
    this.#ws = ws;
    this.#domain = domain;
    ws.addEventListener('message', (ev) => this.#receive(String(ev.data)));
    ws.addEventListener('close', (ev) => {
      for (const p of this.#pending.values()) p.reject(new XmppError('remote-connection-failed', 'connection closed'));
      this.#pending.clear();
      this.onClose(ev.reason || `closed (${ev.code})`);
    });
  }

  /** Connects, authenticates and binds; resolves with the connection ready for stanzas. */
  static async connect(url: string, domain: string): Promise<XmppConnection> {
    const ws = new WebSocket(url, 'xmpp');
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new XmppError('remote-connection-failed', 'cannot reach the server')), { once: true });
    });
    const c = new XmppConnection(ws, domain);
    await c.#negotiate();
    return c;
  }

  #receive(text: string): void {
    let el: Element;
    try {
      el = parseXml(text);
    } catch {
      return;
    }
    if (this.jid === '') {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(el);
      else this.#inbox.push(el);
      return;
    }
    if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) {
      const pending = this.#pending.get(String(el.attrs.id));
      if (pending) {
        this.#pending.delete(String(el.attrs.id));
        if (el.attrs.type === 'result') pending.resolve(el);
        else pending.reject(XmppError.fromStanza(el));
        return;
      }
    }
    if (el.name === 'close') {
      this.#ws.close();
      return;
    }
    this.onStanza(el);
  }

  #next(): Promise<Element> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #untilFeatures(): Promise<Element> {
    this.#raw(xml('open', { xmlns: NS_FRAMING, to: this.#domain, version: '1.0' }));
    for (;;) {
      const el = await this.#next();
      if (el.name === 'features' || el.name === 'stream:features') return el;
      if (el.name === 'error' || el.name === 'stream:error') throw new XmppError(el.children.find((c): c is Element => typeof c !== 'string')?.name ?? 'stream-error');
    }
  }

  async #negotiate(): Promise<void> {
    const features = await this.#untilFeatures();
    const mechanisms = features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism').map((m) => m.text()) ?? [];
    if (!mechanisms.includes('ANONYMOUS')) throw new XmppError('invalid-mechanism', 'the server offers no anonymous login');
    this.#raw(xml('auth', { xmlns: NS_SASL, mechanism: 'ANONYMOUS' }));
    const outcome = await this.#next();
    if (outcome.name !== 'success') {
      const condition = outcome.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'not-authorized';
      throw new XmppError(condition, outcome.getChildText('text') ?? undefined);
    }
    await this.#untilFeatures();
    this.#raw(xml('iq', { xmlns: NS_CLIENT, type: 'set', id: 'bind' }, xml('bind', { xmlns: NS_BIND })));
    const bound = await this.#next();
    if (bound.attrs.type !== 'result') throw XmppError.fromStanza(bound);
    this.jid = bound.getChild('bind', NS_BIND)?.getChildText('jid') ?? '';
    for (const el of this.#inbox.splice(0)) this.#receive(serialize(el));
  }

  #raw(el: Element): void {
    this.#ws.send(serialize(el));
  }

  send(el: Element): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#raw(el);
  }

  /** Sends an IQ get/set and resolves with the result (rejects with an {@link XmppError}). */
  iq(el: Element, timeoutMs = 15_000): Promise<Element> {
    const id = `web-${(this.#nextId++).toString(36)}`;
    el.attrs.id = id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new XmppError('remote-server-timeout', 'no answer'));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.send(el);
    });
  }

  close(): void {
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#raw(xml('close', { xmlns: NS_FRAMING }));
      this.#ws.close(1000);
    }
  }
}
