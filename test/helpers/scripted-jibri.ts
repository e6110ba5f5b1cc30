/**
 * A scripted Jibri for integration tests, speaking Jibri's XMPP protocol (jibri's XmppApi) with
 * @xmpp/client: it logs in to the Registry with RECORDER_SECRET, joins the Jibri brewery with
 * `jibri-status` presence, answers a start with "pending", then (as Jibri does once its browser
 * is in) reports busy, sends its "on" status IQ to the focus and joins the room from the hidden
 * domain with `<session_id/>` and `<mode/>`; it answers a stop with "off", leaves the room and is
 * idle again. Every jibri IQ it gets is recorded. No media: the control plane only.
 */
import { client, xml } from '@xmpp/client';
import type { Element } from '@edgemeet/protocol';

const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
const NS_FOCUS = 'http://jitsi.org/protocol/focus';

type XmppClient = ReturnType<typeof client>;

export interface ScriptedJibriOptions {
  /** ws://127.0.0.1:PORT */
  edgeWs: string;
  id: string;
  secret: string;
  region?: string;
  domain?: string;
}

export interface ScriptedJibri {
  readonly requests: Array<Record<string, string>>;
  /** The hidden-domain connection of the current session, once in the room. */
  readonly inRoom: RoomLink | null;
  /** Answer starts with off + busy (Jibri's XmppApi when it is busy). */
  answerBusy: boolean;
  /** Advertise busy or idle in the brewery. */
  setBusy(busy: boolean): Promise<void>;
  /** Resolves once a start arrived and the recorder is in the room reporting on. */
  waitOn(timeoutMs?: number): Promise<RoomLink>;
  /** Resolves once a stop arrived. */
  waitStop(timeoutMs?: number): Promise<Record<string, string>>;
  /** Drops the control connection without a stream close (a crash of its link). */
  dropControl(): Promise<void>;
  stop(): Promise<void>;
}

export interface RoomLink {
  readonly xmpp: XmppClient;
  readonly jid: string;
  readonly stanzas: Element[];
  waitFor(match: (s: Element) => boolean, timeoutMs?: number): Promise<Element>;
}

async function until<T>(get: () => T | undefined | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function joinHidden(o: ScriptedJibriOptions, roomJid: string, sessionId: string, mode: string): Promise<RoomLink> {
  const room = roomJid.slice(0, roomJid.indexOf('@'));
  const xmpp = client({
    service: `${o.edgeWs}/xmpp-websocket?room=${encodeURIComponent(room)}`,
    domain: `recorder.${o.domain ?? 'meet.jitsi'}`, username: o.id, password: o.secret,
  });
  xmpp.reconnect.stop();
  xmpp.on('error', () => undefined);
  const stanzas: Element[] = [];
  xmpp.on('stanza', (s: Element) => stanzas.push(s));
  // The focus invites it like any participant; a scripted Jibri receives nothing, so it only acknowledges.
  xmpp.iqCallee.set('urn:xmpp:jingle:1', 'jingle', () => true);
  const jid = String(await xmpp.start());
  // As lib-jitsi-meet in Jibri's browser: the conference request to the focus, then the join.
  await xmpp.iqCaller.request(xml('iq', { type: 'set', to: `focus.${o.domain ?? 'meet.jitsi'}` },
    xml('conference', { xmlns: NS_FOCUS, room: roomJid })));
  await xmpp.send(xml('presence', { to: `${roomJid}/${o.id}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
    xml('session_id', null, sessionId), xml('mode', null, mode)));
  const link: RoomLink = {
    xmpp, jid, stanzas,
    waitFor: async (match, timeoutMs = 5000) => until(() => stanzas.find(match), timeoutMs, 'a stanza in the room'),
  };
  await link.waitFor((s) => s.name === 'presence' && s.attrs.from === `${roomJid}/${o.id}`);
  return link;
}

export async function startScriptedJibri(o: ScriptedJibriOptions): Promise<ScriptedJibri> {
  const domain = o.domain ?? 'meet.jitsi';
  const brewery = `jibribrewery@internal.auth.${domain}/${o.id}`;
  const xmpp = client({
    service: `${o.edgeWs}/registry-websocket?region=${o.region ?? 'default'}`, domain: `auth.${domain}`, username: o.id, password: o.secret,
  });
  xmpp.reconnect.stop();
  xmpp.on('error', () => undefined);
  const requests: Array<Record<string, string>> = [];
  let inRoom: RoomLink | null = null;
  let on = false;
  const statusPresence = (busy: boolean) => xml('presence', { to: brewery }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
    xml('jibri-status', { xmlns: NS_JIBRI }, xml('busy-status', { xmlns: NS_JIBRI, status: busy ? 'busy' : 'idle' }),
      xml('health-status', { xmlns: 'http://jitsi.org/protocol/health', status: 'healthy' })));
  const jibri: ScriptedJibri = {
    requests,
    get inRoom() { return inRoom; },
    answerBusy: false,
    setBusy: (busy) => xmpp.send(statusPresence(busy)),
    waitOn: (timeoutMs = 10_000) => until(() => (on ? inRoom : null), timeoutMs, 'the recording to be on'),
    waitStop: (timeoutMs = 10_000) => until(() => requests.find((r) => r.action === 'stop'), timeoutMs, 'a stop'),
    async dropControl() {
      // Closes the WebSocket without a stream <close/>: the Registry sees the connection drop.
      (xmpp as unknown as { socket: { socket: { close(): void } } }).socket.socket.close();
      await new Promise((r) => setTimeout(r, 50));
    },
    async stop() {
      await inRoom?.xmpp.stop().catch(() => undefined);
      await xmpp.stop().catch(() => undefined);
    },
  };
  xmpp.iqCallee.set(NS_JIBRI, 'jibri', (ctx: { stanza: Element; element: Element }) => {
    const attrs = { ...ctx.element.attrs } as Record<string, string>;
    delete attrs.xmlns;
    requests.push(attrs);
    const focus = String(ctx.stanza.attrs.from);
    if (attrs.action === 'stop') {
      on = false;
      const link = inRoom;
      inRoom = null;
      void (async () => {
        await link?.xmpp.stop().catch(() => undefined);
        await xmpp.send(statusPresence(false));
      })().catch(() => undefined); // stopped meanwhile: nothing to announce
      return xml('jibri', { xmlns: NS_JIBRI, status: 'off' });
    }
    if (jibri.answerBusy) return xml('jibri', { xmlns: NS_JIBRI, status: 'off', failure_reason: 'busy', should_retry: 'true' });
    void (async () => {
      await xmpp.send(statusPresence(true));
      inRoom = await joinHidden(o, attrs.room!, attrs.session_id!, attrs.recording_mode ?? 'file');
      await xmpp.iqCaller.request(xml('iq', { type: 'set', to: focus }, xml('jibri', { xmlns: NS_JIBRI, status: 'on' })));
      on = true;
    })().catch((err: unknown) => process.stderr.write(`scripted jibri ${o.id}: ${String(err)}\n`));
    return xml('jibri', { xmlns: NS_JIBRI, status: 'pending' });
  });
  await xmpp.start();
  await xmpp.send(statusPresence(false));
  return jibri;
}
