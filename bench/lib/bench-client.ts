/**
 * A minimal XMPP-over-WebSocket client (RFC 7395) for load generation: hand-rolled frames and
 * string matching, so the benchmark measures the server, not an XML library.
 */
export interface BenchTarget {
  url: string;
  domain: string;
  muc: string;
  /** Append `?room=NAME` (our edge routes connections by room; harmless for Prosody). */
  roomParam: boolean;
}

export class BenchClient {
  readonly ws: WebSocket;
  #buffer: string[] = [];
  #waiters: Array<{ test: (f: string) => boolean; resolve: (f: string) => void }> = [];
  onFrame: ((frame: string) => void) | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      // Prosody quotes attributes with ', our edge with ": match either.
      const frame = String(ev.data).replaceAll("'", '"');
      if (frame.includes('urn:xmpp:ping') && frame.startsWith('<iq') && frame.includes('type="get"')) {
        const id = /id="([^"]+)"/.exec(frame)?.[1];
        const from = /from="([^"]+)"/.exec(frame)?.[1];
        ws.send(`<iq type="result" id="${id}"${from ? ` to="${from}"` : ''} xmlns="jabber:client"/>`);
      }
      this.onFrame?.(frame);
      const i = this.#waiters.findIndex((w) => w.test(frame));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(frame);
      else if (!this.onFrame) this.#buffer.push(frame);
    });
  }

  static connect(url: string): Promise<BenchClient> {
    const ws = new WebSocket(url, 'xmpp');
    return new Promise((resolve, reject) => {
      ws.addEventListener('open', () => resolve(new BenchClient(ws)), { once: true });
      ws.addEventListener('error', () => reject(new Error(`connect ${url} failed`)), { once: true });
    });
  }

  next(test: (f: string) => boolean, timeoutMs = 15_000): Promise<string> {
    const i = this.#buffer.findIndex(test);
    if (i >= 0) return Promise.resolve(this.#buffer.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout waiting for a frame')), timeoutMs);
      this.#waiters.push({ test, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  /** Stream open, SASL ANONYMOUS, restart, bind. */
  async login(domain: string): Promise<void> {
    const open = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${domain}" version="1.0"/>`;
    this.send(open);
    await this.next((f) => f.includes('mechanisms') || f.includes('</stream:features>'));
    this.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>');
    await this.next((f) => f.startsWith('<success'));
    this.send(open);
    await this.next((f) => f.includes('urn:ietf:params:xml:ns:xmpp-bind'));
    this.send('<iq type="set" id="bind" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
    await this.next((f) => f.includes('id="bind"'));
  }

  /** Joins `room` as `nick` and waits for the self-presence (status 110). */
  async join(target: BenchTarget, room: string, nick: string): Promise<void> {
    const from = `from="${room}@${target.muc}/${nick}"`;
    this.send(`<presence to="${room}@${target.muc}/${nick}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
    await this.next((f) => f.startsWith('<presence') && f.includes(from) && f.includes('code="110"'));
  }

  close(): void {
    try {
      this.send('<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
    } catch {
      // Already closed.
    }
    this.ws.close();
  }
}

export function urlFor(target: BenchTarget, room: string): string {
  return target.roomParam ? `${target.url}?room=${encodeURIComponent(room)}` : target.url;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
