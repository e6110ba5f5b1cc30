/**
 * A frame-level XMPP-over-WebSocket peer (RFC 7395) for tests, in workerd (edge/test, through
 * the Worker's own fetch: edge/test/frame-client.ts) and in Node (test/integration, over loopback).
 * It sends raw frames (garbage, forged addresses, manual XEP-0198) and reads what the server sends
 * as elements parsed by protocol's parser, waiting for the next one a predicate accepts.
 */
import { NS_BIND, NS_CLIENT, NS_FRAMING, NS_MUC, NS_MUC_USER, NS_NICK, NS_SASL, parseXml, serialize, xml, type Element } from '@edgemeet/protocol';

export type ElementPredicate = (el: Element) => boolean;

/** Predicates over received elements, combined with {@link all}. */
export const where = {
  name: (name: string): ElementPredicate => (el) => el.name === name,
  id: (id: string): ElementPredicate => (el) => el.attrs.id === id,
  from: (from: string): ElementPredicate => (el) => el.attrs.from === from,
  type: (type: string): ElementPredicate => (el) => el.attrs.type === type,
  /** Has a child (or, with a path, a descendant) named so, optionally in `ns`. */
  child: (name: string, ns?: string): ElementPredicate => (el) => el.getChild(name, ns) !== undefined,
  descendant: (name: string): ElementPredicate => (el) => find(el, (e) => e.name === name) !== undefined,
  /** A presence from a room carrying muc#user status `code`. */
  status: (code: string): ElementPredicate => (el) =>
    el.getChild('x', NS_MUC_USER)?.getChildren('status').some((s) => s.attrs.code === code) ?? false,
  /** An IQ carrying a Jingle action. */
  jingle: (action: string): ElementPredicate => (el) => el.name === 'iq' && el.getChild('jingle')?.attrs.action === action,
  /** A stream error (RFC 6120 §4.9), with that condition if given. */
  streamError: (condition?: string): ElementPredicate => (el) => el.name === 'stream:error' && (condition === undefined || conditionOf(el) === condition),
  /** Serialized, contains `text` (for payloads no predicate here names). */
  text: (text: string): ElementPredicate => (el) => serialize(el).includes(text),
};

export function all(...predicates: ElementPredicate[]): ElementPredicate {
  return (el) => predicates.every((p) => p(el));
}

/**
 * The condition of a stream error or of an error stanza (RFC 6120 §4.9.3, §8.3.3): its first child
 * that is not `<text/>`; undefined for anything else.
 */
export function conditionOf(el: Element): string | undefined {
  const error = el.name === 'stream:error' ? el : el.attrs.type === 'error' ? el.getChild('error') : undefined;
  return error?.getChildElements().find((c) => c.name !== 'text')?.name;
}

/** The first element in `el`'s tree (itself included) that `p` accepts. */
export function find(el: Element, p: ElementPredicate): Element | undefined {
  if (p(el)) return el;
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    const hit = find(c, p);
    if (hit) return hit;
  }
  return undefined;
}

const STANZA = /^<(iq|message|presence)[\s>/]/;

export class FrameClient {
  /** Every frame received, as text ('[binary]' for binary ones). */
  readonly frames: string[] = [];
  readonly #parsed: Array<Element | null> = [];
  #seen = 0;
  #waiters: Array<() => void> = [];
  readonly #handlers: Array<{ predicate: ElementPredicate; handler: (el: Element) => void }> = [];
  closed = false;
  closeCode = 0;
  jid = '';

  readonly ws: WebSocket;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      const text = typeof ev.data === 'string' ? ev.data : '[binary]';
      const el = parse(text);
      this.frames.push(text);
      this.#parsed.push(el);
      if (el) for (const h of this.#handlers) if (h.predicate(el)) h.handler(el);
      this.#wake();
    });
    ws.addEventListener('close', (ev) => {
      this.closed = true;
      this.closeCode = ev.code;
      this.#wake();
    });
  }

  /** Connects over the network (Node); workerd tests connect through the Worker instead. */
  static open(url: string): Promise<FrameClient> {
    const ws = new WebSocket(url, 'xmpp');
    return new Promise((resolve, reject) => {
      ws.addEventListener('open', () => resolve(new FrameClient(ws)), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Sends a frame as is, or an element serialized. */
  send(frame: string | Element | Uint8Array<ArrayBuffer>): void {
    this.ws.send(typeof frame === 'string' || frame instanceof Uint8Array ? frame : serialize(frame));
  }

  /**
   * The next received element (after the last one returned) that `predicate` accepts; frames that
   * do not parse are skipped. Rejects on timeout or when the socket closes first.
   */
  async next(predicate: ElementPredicate, timeoutMs = 5000): Promise<Element> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.#seen < this.frames.length; this.#seen++) {
        const el = this.#parsed[this.#seen];
        if (el && predicate(el)) {
          this.#seen++;
          return el;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`no element matching ${predicate.toString()}; got:\n${this.frames.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Calls `handler` with every element received from now on that `predicate` accepts (a scripted peer). */
  on(predicate: ElementPredicate, handler: (el: Element) => void): void {
    this.#handlers.push({ predicate, handler });
  }

  /** Elements received so far that `predicate` accepts (consumed or not). */
  received(predicate: ElementPredicate = () => true): Element[] {
    return this.#parsed.filter((el): el is Element => el !== null && predicate(el));
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('socket still open');
  }

  /**
   * Opens the stream and logs in (anonymously unless `plain` credentials are given); binds a
   * resource unless `bind` is false. Returns the bound JID ('' without binding).
   */
  async login(domain = 'meet.jitsi', o: { plain?: { user: string; password: string }; bind?: boolean } = {}): Promise<string> {
    const open = xml('open', { xmlns: NS_FRAMING, to: domain, version: '1.0' });
    this.send(open);
    await this.next(where.name('stream:features'));
    this.send(o.plain
      ? xml('auth', { xmlns: NS_SASL, mechanism: 'PLAIN' }, btoa(`\0${o.plain.user}\0${o.plain.password}`))
      : xml('auth', { xmlns: NS_SASL, mechanism: 'ANONYMOUS' }));
    await this.next(where.name('success'));
    this.send(open);
    await this.next(all(where.name('stream:features'), where.child('bind', NS_BIND)));
    if (o.bind === false) return '';
    this.send(xml('iq', { type: 'set', id: 'bind', xmlns: NS_CLIENT }, xml('bind', { xmlns: NS_BIND })));
    const bound = await this.next(where.id('bind'));
    this.jid = bound.getChild('bind', NS_BIND)?.getChildText('jid') ?? '';
    return this.jid;
  }

  /** Joins `room@mucDomain/nick` (with a display name); resolves with the self-presence (status 110). */
  async join(room: string, nick: string, mucDomain = 'conference.meet.jitsi'): Promise<Element> {
    const occupant = `${room}@${mucDomain}/${nick}`;
    this.send(xml('presence', { to: occupant, xmlns: NS_CLIENT }, xml('x', { xmlns: NS_MUC }), xml('nick', { xmlns: NS_NICK }, nick)));
    return this.next(all(where.from(occupant), where.status('110')));
  }

  /** Stanzas received so far, from frame `sinceFrame` (XEP-0198 `h` counts iq, message and presence only). */
  stanzaCount(sinceFrame = 0): number {
    return this.frames.slice(sinceFrame).filter((f) => STANZA.test(f)).length;
  }
}

function parse(text: string): Element | null {
  try {
    return parseXml(text);
  } catch {
    return null;
  }
}
