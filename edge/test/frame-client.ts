/**
 * A tiny scripted XMPP-over-WebSocket peer for in-runtime tests: raw RFC 7395 frames over the
 * Worker's own fetch, so the Room DO can be evicted between steps.
 */
import { exports } from 'cloudflare:workers';

export class FrameClient {
  readonly frames: string[] = [];
  #waiters: Array<{ match: (f: string) => boolean; resolve: (f: string) => void }> = [];
  #seen = 0;
  jid = '';

  readonly ws: WebSocket;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      const frame = String(ev.data);
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
  }

  static async connect(room: string, path = `/xmpp-websocket?room=${room}`): Promise<FrameClient> {
    const res = await (exports as { default: Fetcher }).default.fetch(`http://edge.test${path}`, {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'xmpp' },
    });
    if (!res.webSocket) throw new Error(`no websocket: ${res.status}`);
    res.webSocket.accept();
    return new FrameClient(res.webSocket);
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  /** Waits for the next frame (not yet consumed by an earlier wait) containing `needle`. */
  async waitFor(needle: string | RegExp, timeoutMs = 3000): Promise<string> {
    const match = (f: string) => (typeof needle === 'string' ? f.includes(needle) : needle.test(f));
    for (; this.#seen < this.frames.length; this.#seen++) {
      const f = this.frames[this.#seen]!;
      if (match(f)) {
        this.#seen++;
        return f;
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${needle}; got:\n${this.frames.join('\n')}`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          this.#seen = this.frames.length;
          resolve(f);
        },
      });
    });
  }

  /** Opens the stream, logs in (anonymously unless `plain` credentials are given) and binds a resource. */
  async login(domain = 'meet.jitsi', plain?: { user: string; password: string }): Promise<string> {
    const open = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${domain}" version="1.0"/>`;
    this.send(open);
    await this.waitFor('<mechanism>');
    this.send(plain
      ? `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${btoa(`\0${plain.user}\0${plain.password}`)}</auth>`
      : '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>');
    await this.waitFor('<success');
    this.send(open);
    await this.waitFor('urn:ietf:params:xml:ns:xmpp-bind');
    this.send('<iq type="set" id="bind1" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
    const bound = await this.waitFor('id="bind1"');
    this.jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1] ?? '';
    return this.jid;
  }

  async join(room: string, nick: string, mucDomain = 'conference.meet.jitsi'): Promise<string> {
    this.send(`<presence to="${room}@${mucDomain}/${nick}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"/><nick xmlns="http://jabber.org/protocol/nick">${nick}</nick></presence>`);
    return this.waitFor(new RegExp(`from="${room}@${mucDomain}/${nick}"[^>]*>.*code="110"`));
  }
}
