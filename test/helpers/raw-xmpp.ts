/**
 * A frame-level XMPP-over-WebSocket peer (RFC 7395) for tests that need what no well-behaved
 * client sends: garbage, forged addresses, dropped sockets, manual XEP-0198 resumption.
 */
export class RawXmpp {
  readonly frames: string[] = [];
  #seen = 0;
  #waiters: Array<() => void> = [];
  closed = false;
  closeCode = 0;

  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      this.frames.push(typeof ev.data === 'string' ? ev.data : '[binary]');
      for (const w of this.#waiters.splice(0)) w();
    });
    ws.addEventListener('close', (ev) => {
      this.closed = true;
      this.closeCode = ev.code;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static connect(url: string): Promise<RawXmpp> {
    const ws = new WebSocket(url, 'xmpp');
    return new Promise((resolve, reject) => {
      ws.addEventListener('open', () => resolve(new RawXmpp(ws)), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
  }

  send(frame: string | Uint8Array<ArrayBuffer>): void {
    this.ws.send(frame);
  }

  /** Next frame (after the last one returned) that matches; rejects on timeout. */
  async waitFor(needle: string | RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.#seen < this.frames.length; this.#seen++) {
        const f = this.frames[this.#seen]!;
        if (typeof needle === 'string' ? f.includes(needle) : needle.test(f)) {
          this.#seen++;
          return f;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`no frame matching ${needle}; got:\n${this.frames.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('socket still open');
  }

  /** Opens the stream and logs in anonymously; binds unless `bind` is false. Returns the bound JID. */
  async login(domain = 'meet.jitsi', bind = true): Promise<string> {
    const open = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${domain}" version="1.0"/>`;
    this.send(open);
    await this.waitFor('</stream:features>');
    this.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>');
    await this.waitFor('<success');
    this.send(open);
    await this.waitFor('urn:ietf:params:xml:ns:xmpp-bind');
    if (!bind) return '';
    this.send('<iq type="set" id="bind" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
    return /<jid>([^<]+)<\/jid>/.exec(await this.waitFor('id="bind"'))?.[1] ?? '';
  }

  /** Stanzas received so far (XEP-0198 `h` counts iq, message and presence only). */
  stanzaCount(sinceFrame = 0): number {
    return this.frames.slice(sinceFrame).filter((f) => /^<(iq|message|presence)[\s>]/.test(f)).length;
  }
}
