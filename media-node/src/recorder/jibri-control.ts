/**
 * The recorder's control link, Jibri's XMPP API (jibri's XmppApi): it dials OUT to the edge's
 * Registry (`/registry-websocket?region=`), logs in to `auth.<domain>` with SASL PLAIN
 * (RECORDER_ID / RECORDER_SECRET), joins the jibri brewery with `<jibri-status/>` presence (idle or
 * busy, healthy while the recordings directory is writable; sent again whenever it changes) and
 * answers the focus's `<jibri/>` IQs:
 * - start → `pending` at once (the session runs in the background), or `off` with
 *   failure_reason `busy` (should_retry) when it has no room left, or `error` for what it cannot do
 *   (live streaming); later its own IQ to the focus says `on` (media is being written) or `off`
 *   (the session ended by itself or failed: failure_reason / should_retry);
 * - stop → `off` at once; the files are closed and composed afterwards.
 * Its status IQs go to whoever sent the start (the focus), with the session_id. A lost connection
 * ends every session (the focus counts a recorder gone from the brewery as failed, as Jicofo does),
 * then it reconnects with backoff. It logs `control.joined` once the brewery reflects its join
 * (from then on it can be selected).
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { client, xml } from '@xmpp/client';
import {
  NS_JIBRI, NS_MUC, NS_MUC_USER, NS_PING, authDomain, buildJibriIq, buildJibriStatus, focusJid, jibriBreweryJid, parseJibriIq,
  type Element, type JibriIq, type JibriInstanceStatus,
} from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { Recorder, RecorderBusyError, UnsupportedModeError, type RecorderStatus } from './recorder.ts';
import type { RecorderConfig } from './recorder-config.ts';
import { StreamTargetError } from './stream-target.ts';

type XmppClient = ReturnType<typeof client>;

/** @xmpp/client's Element class is not protocol/'s (see registry-client.ts): rebuild replies with its `xml`. */
function toXmppElement(el: Element): Element {
  return xml(el.name, { ...el.attrs }, ...el.children.map((c) => (typeof c === 'string' ? c : toXmppElement(c))));
}

export class JibriControl {
  readonly #config: RecorderConfig;
  readonly #log: Logger;
  readonly recorder: Recorder;
  #xmpp: XmppClient | null = null;
  #online = false;
  #stopped = false;
  #attempt = 0;
  #lastStatus = '';
  /** session_id → the JID its start came from (its status IQs go back there). */
  readonly #requesters = new Map<string, string>();
  readonly #resource = `recorder-${randomUUID().slice(0, 8)}`;

  constructor(config: RecorderConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.recorder = new Recorder(config, log, {
      status: (s) => this.#sendStatus(s),
      busyChanged: () => this.#sendPresence(false),
    });
  }

  get online(): boolean {
    return this.#online;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  #status(): JibriInstanceStatus {
    let healthy = true;
    try {
      accessSync(this.#config.recordingsDir, constants.W_OK);
    } catch {
      healthy = false;
    }
    return { busy: this.recorder.busy ? 'busy' : 'idle', health: healthy ? 'healthy' : 'unhealthy' };
  }

  #connect(): void {
    const { edgeUrl, region, domain, recorderId, secret } = this.#config;
    const xmpp = client({
      service: `${edgeUrl.replace(/\/$/, '')}/registry-websocket?region=${encodeURIComponent(region)}`,
      domain: authDomain(domain), username: recorderId, password: secret, resource: this.#resource,
    });
    this.#xmpp = xmpp;
    xmpp.reconnect.stop();
    xmpp.on('error', (err: Error) => this.#log.warn('control.error', { message: err.message }));
    xmpp.on('online', () => {
      this.#attempt = 0;
      this.#online = true;
      this.#log.info('control.online', { region });
      this.#sendPresence(true);
    });
    // The brewery reflects our join (status 110): from then on the Registry can select us.
    xmpp.on('stanza', (st: Element) => {
      if (st.name !== 'presence' || st.attrs.type !== undefined) return;
      if (!String(st.attrs.from ?? '').startsWith(`${jibriBreweryJid(this.#config.domain)}/`)) return;
      const self = st.getChild('x', NS_MUC_USER)?.getChildren('status').some((c) => c.attrs.code === '110');
      if (self) this.#log.info('control.joined', { brewery: jibriBreweryJid(this.#config.domain) });
    });
    xmpp.on('offline', () => this.#disconnected());
    xmpp.on('disconnect', () => this.#disconnected());
    xmpp.iqCallee.set(NS_JIBRI, 'jibri', async (ctx: { stanza: Element; element: Element }) => toXmppElement(await this.#onJibri(ctx.stanza, ctx.element)));
    xmpp.iqCallee.get(NS_PING, 'ping', () => true);
    xmpp.start().catch((err: Error) => {
      this.#log.warn('control.connect_failed', { message: err.message });
      this.#disconnected();
    });
  }

  async #onJibri(stanza: Element, el: Element): Promise<Element> {
    let j: JibriIq;
    try {
      j = parseJibriIq(el);
    } catch (err) {
      this.#log.warn('jibri.bad_request', { err: err instanceof Error ? err.message : String(err) });
      return buildJibriIq({ status: 'off', failureReason: 'error', shouldRetry: false });
    }
    const from = String(stanza.attrs.from ?? focusJid(this.#config.domain));
    this.#log.info('jibri.request', { action: j.action, session: j.sessionId, room: j.room, mode: j.recordingMode });
    if (j.action === 'stop') {
      if (j.sessionId) void this.recorder.stop(j.sessionId).catch((err: unknown) => this.#log.error('jibri.stop_failed', { session: j.sessionId, err }));
      else void this.recorder.stopAll('stop without a session_id');
      return buildJibriIq({ status: 'off', ...(j.sessionId ? { sessionId: j.sessionId } : {}) });
    }
    if (j.action !== 'start' || !j.sessionId || !j.room) {
      return buildJibriIq({ status: 'off', failureReason: 'error', shouldRetry: false, ...(j.sessionId ? { sessionId: j.sessionId } : {}) });
    }
    try {
      this.#requesters.set(j.sessionId, from);
      this.recorder.start({
        sessionId: j.sessionId, roomJid: j.room, mode: j.recordingMode ?? 'file',
        ...(j.appData ? { appData: j.appData } : {}), ...(j.displayName ? { initiator: j.displayName } : {}),
        ...(j.streamId ? { streamId: j.streamId } : {}), ...(j.youTubeBroadcastId ? { youTubeBroadcastId: j.youTubeBroadcastId } : {}),
      });
      return buildJibriIq({ status: 'pending', sessionId: j.sessionId });
    } catch (err) {
      this.#requesters.delete(j.sessionId);
      if (err instanceof RecorderBusyError) return buildJibriIq({ status: 'off', failureReason: 'busy', shouldRetry: true, sessionId: j.sessionId });
      if (err instanceof UnsupportedModeError) this.#log.warn('jibri.unsupported', { message: err.message });
      else if (err instanceof StreamTargetError) this.#log.warn('jibri.stream_target_refused', { message: err.message });
      else this.#log.error('jibri.start_failed', { err });
      return buildJibriIq({ status: 'off', failureReason: 'error', shouldRetry: false, sessionId: j.sessionId });
    }
  }

  #sendStatus(s: RecorderStatus): void {
    const to = this.#requesters.get(s.sessionId) ?? `${focusJid(this.#config.domain)}/focus`;
    if (s.status === 'off') this.#requesters.delete(s.sessionId);
    const payload = buildJibriIq({
      status: s.status, sessionId: s.sessionId,
      ...(s.status === 'off' && s.failureReason ? { failureReason: s.failureReason } : {}),
      ...(s.status === 'off' && s.shouldRetry !== undefined ? { shouldRetry: s.shouldRetry } : {}),
    });
    this.#log.info('jibri.status', { session: s.sessionId, status: s.status, ...(s.status === 'off' ? { failure: s.failureReason } : {}) });
    const xmpp = this.#xmpp;
    if (!xmpp || !this.#online) return;
    xmpp.iqCaller.request(xml('iq', { type: 'set', to }, toXmppElement(payload)), 10_000)
      .catch((err: Error) => this.#log.warn('jibri.status_failed', { session: s.sessionId, status: s.status, message: err.message }));
  }

  #sendPresence(join: boolean): void {
    const xmpp = this.#xmpp;
    if (!xmpp || !this.#online) return;
    const status = this.#status();
    const key = `${status.busy}/${status.health}`;
    if (!join && key === this.#lastStatus) return;
    this.#lastStatus = key;
    const presence = xml('presence', { to: `${jibriBreweryJid(this.#config.domain)}/${this.#config.recorderId}` },
      xml('x', { xmlns: NS_MUC }), toXmppElement(buildJibriStatus(status)));
    void xmpp.send(presence).catch((err: Error) => this.#log.warn('control.send_failed', { message: err.message }));
  }

  /** Re-checks health (the directory) and sends the presence if it changed. */
  refresh(): void {
    this.#sendPresence(false);
  }

  #disconnected(): void {
    const wasOnline = this.#online;
    this.#online = false;
    this.#lastStatus = '';
    const xmpp = this.#xmpp;
    this.#xmpp = null;
    if (wasOnline) {
      this.#log.warn('control.offline', { sessions: this.recorder.sessionCount });
      // The focus counts our sessions failed once we are gone from the brewery: end them too.
      void this.recorder.stopAll('the control connection was lost');
    }
    if (xmpp) {
      xmpp.removeAllListeners();
      xmpp.on('error', () => undefined);
      void xmpp.stop().catch(() => undefined);
    }
    if (this.#stopped || !xmpp) return;
    const delay = this.#attempt === 0 ? 100 + Math.random() * 200 : Math.min(30_000, 500 * 2 ** (this.#attempt - 1));
    this.#attempt += 1;
    setTimeout(() => { if (!this.#stopped && !this.#xmpp) this.#connect(); }, delay);
  }

  /** Ends every session (status off to the focus while the link is up), leaves the brewery, closes. */
  async stop(reason: string): Promise<void> {
    this.#stopped = true;
    const done = this.recorder.stopAll(reason);
    // The off IQs go out before the connection closes.
    await new Promise((r) => setTimeout(r, 200));
    const xmpp = this.#xmpp;
    if (xmpp) {
      try {
        await xmpp.send(xml('presence', { to: `${jibriBreweryJid(this.#config.domain)}/${this.#config.recorderId}`, type: 'unavailable' }));
        await xmpp.stop();
      } catch {
        // Already gone.
      }
    }
    this.#xmpp = null;
    this.#online = false;
    await done;
  }
}
