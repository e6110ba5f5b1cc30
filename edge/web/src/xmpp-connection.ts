/**
 * A small XMPP-over-WebSocket client for the browser (RFC 7395): opens the stream, logs in with
 * SASL ANONYMOUS (a Jitsi JWT rides on the URL as `?token=`), binds a resource, then sends
 * stanzas, matches IQ replies by id and hands everything else to a listener. With XEP-0198 stream
 * management it survives a network blip: when the socket drops it logs in again and resumes the
 * same session (same JID, same room occupancy), and the server and the client replay what the
 * other did not acknowledge. The XML codec is protocol/'s, the same the edge uses.
 * @module
 */
import { NS_BIND, NS_CLIENT, NS_FRAMING, NS_SASL, NS_SM, parseXml, serialize, xml, type Element } from '@edgemeet/protocol';

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

const STANZAS = new Set(['iq', 'message', 'presence']);
/** How long to keep trying to resume after the socket dropped (the edge keeps a session 60 s). */
const RESUME_FOR_MS = 45_000;

/** Reads elements from one WebSocket during negotiation. */
class Negotiation {
  readonly #inbox: Element[] = [];
  readonly #waiting: Array<(el: Element) => void> = [];

  push(el: Element): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(el);
    else this.#inbox.push(el);
  }

  next(): Promise<Element> {
    const queued = this.#inbox.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** What arrived and nobody asked for yet. */
  drain(): Element[] {
    return this.#inbox.splice(0);
  }
}

const firstChildName = (el: Element, fallback: string) => el.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? fallback;

export class XmppConnection {
  readonly #url: string;
  readonly #domain: string;
  #ws!: WebSocket;
  #negotiation: Negotiation | null = null;
  readonly #pending = new Map<string, { resolve: (el: Element) => void; reject: (err: Error) => void }>();
  #nextId = 0;
  #closing = false;
  /** XEP-0198: session id to resume, stanzas handled from the server, stanzas sent and not yet acknowledged. */
  #smId: string | null = null;
  #handled = 0;
  #acked = 0;
  #unacked: Element[] = [];
  jid = '';
  onStanza: (el: Element) => void = () => undefined;
  /** The session is gone for good (resumption failed or was impossible). */
  onClose: (reason: string) => void = () => undefined;
  /** The socket dropped and the session is being resumed (`true`), or it was resumed (`false`). */
  onResuming: (resuming: boolean) => void = () => undefined;

  private constructor(url: string, domain: string) {
    this.#url = url;
    this.#domain = domain;
  }

  /** Connects, authenticates and binds; resolves with the connection ready for stanzas. */
  static async connect(url: string, domain: string): Promise<XmppConnection> {
    const c = new XmppConnection(url, domain);
    await c.#open();
    await c.#login();
    await c.#bind();
    return c;
  }

  /** The resumable session id (XEP-0198), if the server granted one. */
  get sessionId(): string | null {
    return this.#smId;
  }

  async #open(): Promise<void> {
    const ws = new WebSocket(this.#url, 'xmpp');
    this.#ws = ws;
    this.#negotiation = new Negotiation();
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new XmppError('remote-connection-failed', 'cannot reach the server')), { once: true });
    });
    ws.addEventListener('message', (ev) => this.#receive(ws, String(ev.data)));
    ws.addEventListener('close', (ev) => { if (ws === this.#ws) void this.#dropped(ev.reason || `closed (${ev.code})`); });
  }

  #receive(ws: WebSocket, text: string): void {
    if (ws !== this.#ws) return;
    let el: Element;
    try {
      el = parseXml(text);
    } catch {
      return;
    }
    this.#handle(el);
  }

  #handle(el: Element): void {
    if (this.#negotiation) {
      this.#negotiation.push(el);
      return;
    }
    if (el.attrs.xmlns === NS_SM) {
      if (el.name === 'r') this.#raw(xml('a', { xmlns: NS_SM, h: String(this.#handled) }));
      else if (el.name === 'a') this.#acknowledge(Number(el.attrs.h));
      return;
    }
    if (el.name === 'close') {
      this.#ws.close();
      return;
    }
    if (!STANZAS.has(el.name)) return;
    this.#handled++;
    if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) {
      const pending = this.#pending.get(String(el.attrs.id));
      if (pending) {
        this.#pending.delete(String(el.attrs.id));
        if (el.attrs.type === 'result') pending.resolve(el);
        else pending.reject(XmppError.fromStanza(el));
        return;
      }
    }
    this.onStanza(el);
  }

  async #features(): Promise<Element> {
    this.#raw(xml('open', { xmlns: NS_FRAMING, to: this.#domain, version: '1.0' }));
    for (;;) {
      const el = await this.#negotiation!.next();
      if (el.name === 'features' || el.name === 'stream:features') return el;
      if (el.name === 'error' || el.name === 'stream:error') throw new XmppError(firstChildName(el, 'stream-error'));
    }
  }

  async #login(): Promise<Element> {
    const features = await this.#features();
    const mechanisms = features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism').map((m) => m.text()) ?? [];
    if (!mechanisms.includes('ANONYMOUS')) throw new XmppError('invalid-mechanism', 'the server offers no anonymous login');
    this.#raw(xml('auth', { xmlns: NS_SASL, mechanism: 'ANONYMOUS' }));
    const outcome = await this.#negotiation!.next();
    if (outcome.name !== 'success') throw new XmppError(firstChildName(outcome, 'not-authorized'), outcome.getChildText('text') ?? undefined);
    return this.#features();
  }

  async #bind(): Promise<void> {
    this.#raw(xml('iq', { xmlns: NS_CLIENT, type: 'set', id: 'bind' }, xml('bind', { xmlns: NS_BIND })));
    const bound = await this.#negotiation!.next();
    if (bound.attrs.type !== 'result') throw XmppError.fromStanza(bound);
    this.jid = bound.getChild('bind', NS_BIND)?.getChildText('jid') ?? '';
    this.#raw(xml('enable', { xmlns: NS_SM, resume: 'true' }));
    const enabled = await this.#negotiation!.next();
    if (enabled.name === 'enabled' && enabled.attrs.resume === 'true') this.#smId = String(enabled.attrs.id);
    this.#streaming();
  }

  /** Negotiation is over: whatever arrived meanwhile is handled as usual. */
  #streaming(): void {
    const n = this.#negotiation;
    this.#negotiation = null;
    for (const el of n?.drain() ?? []) this.#handle(el);
  }

  #acknowledge(h: number): void {
    const newly = (h - this.#acked + 0x1_0000_0000) % 0x1_0000_0000;
    this.#unacked.splice(0, Math.min(newly, this.#unacked.length));
    this.#acked = h;
  }

  async #dropped(reason: string): Promise<void> {
    for (const p of this.#pending.values()) p.reject(new XmppError('remote-connection-failed', 'connection closed'));
    this.#pending.clear();
    if (this.#closing) return;
    if (!this.#smId) {
      this.onClose(reason);
      return;
    }
    this.onResuming(true);
    const deadline = Date.now() + RESUME_FOR_MS;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 5000)));
      if (this.#closing) return;
      try {
        await this.#resume();
        this.onResuming(false);
        return;
      } catch (err) {
        if (err instanceof XmppError && err.condition === 'item-not-found') break;
      }
    }
    this.#smId = null;
    this.onClose(`${reason}; the session could not be resumed`);
  }

  /** XEP-0198 §5: log in again on a new socket and take the session over, replaying what was not acknowledged. */
  async #resume(): Promise<void> {
    await this.#open();
    await this.#login();
    this.#raw(xml('resume', { xmlns: NS_SM, previd: this.#smId!, h: String(this.#handled) }));
    const answer = await this.#negotiation!.next();
    if (answer.name !== 'resumed') {
      this.#ws.close();
      throw new XmppError(firstChildName(answer, 'item-not-found'));
    }
    this.#acknowledge(Number(answer.attrs.h));
    const replay = this.#unacked.splice(0);
    this.#streaming();
    for (const el of replay) this.send(el);
  }

  #raw(el: Element): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(serialize(el));
  }

  send(el: Element): void {
    if (this.#smId) {
      this.#unacked.push(el);
      if (this.#unacked.length % 5 === 0) {
        this.#raw(el);
        this.#raw(xml('r', { xmlns: NS_SM }));
        return;
      }
    }
    this.#raw(el);
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
    this.#closing = true;
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#raw(xml('close', { xmlns: NS_FRAMING }));
      this.#ws.close(1000);
    }
  }
}
