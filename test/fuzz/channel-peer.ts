/** A bridge-channel (colibri-ws) client for the fuzzer: records frames, waits for one that matches. */
export class ChannelPeer {
  readonly frames: unknown[] = [];
  closed = false;
  closeCode = 0;
  #waiters = new Set<() => void>();

  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      try {
        this.frames.push(JSON.parse(String(ev.data)));
      } catch {
        this.frames.push(String(ev.data));
      }
      for (const w of this.#waiters) w();
    });
    ws.addEventListener('close', (ev) => {
      this.closed = true;
      this.closeCode = ev.code;
      for (const w of this.#waiters) w();
    });
  }

  static open(url: string, timeoutMs = 5000): Promise<ChannelPeer> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { ws.close(); reject(new Error(`no answer from ${url}`)); }, timeoutMs);
      ws.addEventListener('open', () => { clearTimeout(timer); resolve(new ChannelPeer(ws)); }, { once: true });
      ws.addEventListener('error', () => { clearTimeout(timer); reject(new Error(`cannot open ${url}`)); }, { once: true });
    });
  }

  send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Resolves with the first recorded frame that matches, or null after `timeoutMs`. */
  async waitFor(match: (f: unknown) => boolean, timeoutMs = 2000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return null;
      await new Promise<void>((resolve) => {
        const w = () => { clearTimeout(t); this.#waiters.delete(w); resolve(); };
        const t = setTimeout(w, left);
        this.#waiters.add(w);
      });
    }
  }

  /** Forgets what arrived so far (the attacker's broadcasts pile up otherwise). */
  clear(): void {
    this.frames.length = 0;
  }

  close(): void {
    this.ws.close();
  }
}
