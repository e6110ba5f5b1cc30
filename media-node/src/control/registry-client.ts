/**
 * The media node's control connection: it dials OUT to the edge's Registry (XMPP over WebSocket,
 * `wss://` in production), logs in with its node credential (SASL PLAIN; never anonymous), joins
 * the bridge brewery with presence carrying its stats, refreshes them every few seconds, answers
 * Colibri2 IQs, and reconnects with backoff when the connection drops. Like JVB, the node has no
 * inbound control port.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { client, xml } from '@xmpp/client';
import { NS_COLIBRI2, NS_MUC, NS_PING, StanzaError, authDomain, breweryJid, buildBridgeStats, type BridgeStats, type Element } from '@edgemeet/protocol';
import type { Logger } from '../log.ts';


export interface RegistryClientOptions {
  /** Edge base URL, e.g. `wss://meet.example.com` (or `ws://127.0.0.1:8787` in development). */
  edgeUrl: string;
  region: string;
  /** The deployment's XMPP domain (`meet.jitsi`); the node logs in to `auth.<domain>`. */
  domain: string;
  nodeId: string;
  secret: string;
  statsIntervalMs: number;
  stats: () => BridgeStats;
  /** Handles a `<conference-modify/>`; returns `<conference-modified/>` or throws StanzaError. */
  colibri: (payload: Element) => Promise<Element>;
  /** The node's logger; only these levels are used. */
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

type XmppClient = ReturnType<typeof client>;

/**
 * @xmpp/client builds on ltx's CommonJS Element class, protocol/ on its ES module one; the IQ
 * callee recognises replies with `instanceof`, so replies are rebuilt with @xmpp/client's `xml`.
 */
function toXmppElement(el: Element): Element {
  return xml(el.name, { ...el.attrs }, ...el.children.map((c) => (typeof c === 'string' ? c : toXmppElement(c))));
}

export class RegistryClient {
  readonly #o: RegistryClientOptions;
  #xmpp: XmppClient | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #stopped = false;
  #attempt = 0;
  #online = false;
  readonly #resource = `bridge-${randomUUID().slice(0, 8)}`;

  constructor(options: RegistryClientOptions) {
    this.#o = options;
  }

  get online(): boolean {
    return this.#online;
  }

  get #breweryJid(): string {
    return `${breweryJid(this.#o.domain)}/${this.#o.nodeId}`;
  }

  /** Connects, and keeps reconnecting (exponential backoff, at most 30 s) until {@link stop}. */
  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  #connect(): void {
    const { edgeUrl, region, domain, nodeId, secret, log } = this.#o;
    const xmpp = client({
      service: `${edgeUrl.replace(/\/$/, '')}/registry-websocket?region=${encodeURIComponent(region)}`,
      // One resource per process: the Registry tells a restarted node (whose conferences died with
      // the old process) from the same process reconnecting.
      domain: authDomain(domain), username: nodeId, password: secret, resource: this.#resource,
    });
    this.#xmpp = xmpp;
    xmpp.reconnect.stop();
    xmpp.on('error', (err: Error) => log.warn('control.error', { message: err.message }));
    xmpp.on('online', () => {
      this.#attempt = 0;
      this.#online = true;
      log.info('control.online', { region });
      this.sendStats(true);
      this.#timer = setInterval(() => this.sendStats(false), this.#o.statsIntervalMs);
    });
    xmpp.on('offline', () => this.#disconnected());
    xmpp.on('disconnect', () => this.#disconnected());
    xmpp.iqCallee.set(NS_COLIBRI2, 'conference-modify', async (ctx: { element: Element }) => {
      try {
        return toXmppElement(await this.#o.colibri(ctx.element));
      } catch (err) {
        const error = StanzaError.from(err);
        if (!(err instanceof StanzaError)) log.error('colibri.failed', { err: err instanceof Error ? err.message : String(err) });
        return toXmppElement(error.toElement());
      }
    });
    xmpp.iqCallee.get(NS_PING, 'ping', () => true);
    xmpp.start().catch((err: Error) => {
      log.warn('control.connect_failed', { message: err.message });
      this.#disconnected();
    });
  }

  #disconnected(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const wasOnline = this.#online;
    this.#online = false;
    if (wasOnline) this.#o.log.warn('control.offline', {});
    const xmpp = this.#xmpp;
    this.#xmpp = null;
    if (xmpp) {
      xmpp.removeAllListeners();
      // Errors after the connection is gone are of no interest; the next attempt reports its own.
      xmpp.on('error', () => undefined);
      void xmpp.stop().catch(() => undefined);
    }
    if (this.#stopped || !xmpp) return;
    // The first retry is quick: an edge restart drops every node at once, and the Registry
    // moves a node's conferences if it stays away longer than its grace period.
    const delay = this.#attempt === 0 ? 100 + Math.random() * 200 : Math.min(30_000, 500 * 2 ** (this.#attempt - 1));
    this.#attempt += 1;
    setTimeout(() => { if (!this.#stopped && !this.#xmpp) this.#connect(); }, delay);
  }

  /** Publishes the node's stats in its brewery presence (with the MUC join element the first time). */
  sendStats(join: boolean): void {
    const xmpp = this.#xmpp;
    if (!xmpp || !this.#online) return;
    const presence = xml('presence', { to: this.#breweryJid }, join ? xml('x', { xmlns: NS_MUC }) : null, buildBridgeStats(this.#o.stats()));
    void xmpp.send(presence).catch((err: Error) => this.#o.log.warn('control.send_failed', { message: err.message }));
  }

  /** Leaves the brewery and closes the connection; no reconnection after this. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    const xmpp = this.#xmpp;
    this.#xmpp = null;
    this.#online = false;
    if (!xmpp) return;
    try {
      await xmpp.send(xml('presence', { to: this.#breweryJid, type: 'unavailable' }));
      await xmpp.stop();
    } catch {
      // Already disconnected: nothing left to close.
    }
  }
}
