/**
 * The recorder's XMPP link to one room, as Jibri's browser has it: it logs in (room-login.ts),
 * sends the `conference` IQ to the focus as lib-jitsi-meet does, joins the MUC with presence
 * carrying `<session_id>` and `<mode>` (lib-jitsi-meet only turns a recording "on" when it sees
 * that occupant), follows who is in the room, and passes the focus's Jingle IQs on (acknowledged
 * at once, handled in order, as lib-jitsi-meet does).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { client, xml } from '@xmpp/client';
import {
  FOCUS_NICK, NS_JINGLE, NS_MUC_USER, NS_NICK, buildConferenceRequest, buildMucPresence, focusDomain, parseConferenceAnswer, parseJingle, parseMucUser,
  type Element, type Jingle,
} from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { recorderOccupantExtensions, type RoomLogin } from './room-login.ts';

type XmppClient = ReturnType<typeof client>;

export interface Occupant {
  /** MUC nick: lib-jitsi-meet's endpoint id. */
  readonly nick: string;
  displayName: string | undefined;
  /** The focus, or another recorder: not recorded, not counted. */
  readonly hidden: boolean;
}

export interface RoomConnectionOptions {
  readonly edgeUrl: string;
  /** The deployment's XMPP domain (focus.<domain>, conference.<domain>). */
  readonly domain: string;
  /** `room@conference.<domain>`. */
  readonly roomJid: string;
  readonly login: RoomLogin;
  readonly sessionId: string;
  readonly mode: 'file' | 'stream';
  /** Stream mode, a YouTube broadcast: Jibri's `<live-stream-view-url/>`. */
  readonly liveStreamViewUrl?: string;
  readonly log: Logger;
  readonly onOccupant: (o: Occupant, present: boolean) => void;
  readonly onJingle: (j: Jingle) => Promise<void>;
  /** The connection dropped or the room threw us out. */
  readonly onLost: (why: string) => void;
}

/** @xmpp/client's IQ callee tells replies by its own ltx Element class (see registry-client.ts). */
function toXmppElement(el: Element): Element {
  return xml(el.name, { ...el.attrs }, ...el.children.map((c) => (typeof c === 'string' ? c : toXmppElement(c))));
}

export class RoomConnection {
  readonly #o: RoomConnectionOptions;
  readonly nick = randomBytes(4).toString('hex');
  readonly occupants = new Map<string, Occupant>();
  #xmpp: XmppClient | null = null;
  #chain: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(o: RoomConnectionOptions) {
    this.#o = o;
  }

  get ownJid(): string {
    return `${this.#o.roomJid}/${this.nick}`;
  }

  /** Connects, asks the focus for the conference, joins; resolves once our own presence came back. */
  async join(): Promise<void> {
    const { edgeUrl, domain, roomJid, login, log } = this.#o;
    const room = roomJid.slice(0, roomJid.indexOf('@'));
    const xmpp = client({
      service: `${edgeUrl.replace(/\/$/, '')}/xmpp-websocket?room=${encodeURIComponent(room)}`,
      domain: login.domain, ...(login.username ? { username: login.username, password: login.password } : {}),
    });
    this.#xmpp = xmpp;
    xmpp.reconnect.stop();
    xmpp.on('error', (err: Error) => log.warn('room.xmpp_error', { message: err.message }));
    xmpp.on('offline', () => { if (!this.#closing) this.#o.onLost('xmpp connection closed'); });
    xmpp.iqCallee.set(NS_JINGLE, 'jingle', (ctx: { stanza: Element }) => {
      const el = ctx.stanza.getChild('jingle', NS_JINGLE)!;
      let j: Jingle;
      try {
        j = parseJingle(el);
      } catch (err) {
        log.warn('room.bad_jingle', { err });
        return true;
      }
      this.#chain = this.#chain.then(() => this.#o.onJingle(j)).catch((err: unknown) => log.error('room.jingle_failed', { action: j.action, err }));
      return true;
    });
    await xmpp.start();
    this.#leftWhileJoining();
    const answer = await xmpp.iqCaller.request(toXmppElement(xml('iq', { type: 'set', to: focusDomain(domain) }, buildConferenceRequest({ room: roomJid, properties: {} }))), 15_000);
    const conf = answer.getChild('conference');
    if (!conf || !parseConferenceAnswer(conf).ready) throw new Error('the focus is not ready for this room');
    this.#leftWhileJoining();
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no self-presence from the room')), 15_000);
      xmpp.on('stanza', (s: Element) => {
        if (s.name !== 'presence') return;
        const from = String(s.attrs.from ?? '');
        if (!from.startsWith(`${roomJid}/`)) return;
        const nick = from.slice(roomJid.length + 1);
        if (nick === this.nick) {
          if (s.attrs.type === 'error') {
            clearTimeout(timer);
            reject(new Error(`join refused: ${s.getChild('error')?.children.map((c) => (typeof c === 'string' ? c : c.name)).join(' ')}`));
          } else if (s.attrs.type === 'unavailable') {
            if (!this.#closing) this.#o.onLost('removed from the room');
          } else {
            clearTimeout(timer);
            resolve();
          }
          return;
        }
        this.#onPresence(nick, s);
      });
    });
    await xmpp.send(buildMucPresence({
      to: this.ownJid, join: {},
      extensions: [xml('nick', { xmlns: NS_NICK }, 'Recorder'), ...recorderOccupantExtensions(this.#o.sessionId, this.#o.mode, this.#o.liveStreamViewUrl)],
    }));
    await joined;
  }

  /** A session stopped while it was joining never joins after all (no hidden occupant left behind). */
  #leftWhileJoining(): void {
    if (this.#closing) throw new Error('the recording ended while it was joining the room');
  }

  #onPresence(nick: string, s: Element): void {
    if (s.attrs.type === 'unavailable') {
      const o = this.occupants.get(nick);
      if (o) {
        this.occupants.delete(nick);
        this.#o.onOccupant(o, false);
      }
      return;
    }
    if (s.attrs.type === 'error') return;
    const displayName = s.getChildText('nick', NS_NICK) ?? undefined;
    const known = this.occupants.get(nick);
    if (known) {
      known.displayName = displayName ?? known.displayName;
      return;
    }
    const realJid = s.getChild('x', NS_MUC_USER) ? parseMucUser(s)?.item?.jid : undefined;
    const hidden = nick === FOCUS_NICK || s.getChild('session_id') !== undefined || (realJid !== undefined && realJid.split('/')[0]!.endsWith(`@recorder.${this.#o.domain}`));
    const o: Occupant = { nick, displayName, hidden };
    this.occupants.set(nick, o);
    this.#o.onOccupant(o, true);
  }

  /** An IQ to the focus occupant (`room/focus`), e.g. session-accept; resolves with its result. */
  async iqToFocus(child: Element): Promise<Element> {
    if (!this.#xmpp) throw new Error('not connected');
    return this.#xmpp.iqCaller.request(toXmppElement(xml('iq', { type: 'set', to: `${this.#o.roomJid}/${FOCUS_NICK}` }, child)), 15_000);
  }

  /** Leaves the room and closes the connection; safe to call twice. */
  async leave(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const xmpp = this.#xmpp;
    this.#xmpp = null;
    if (!xmpp) return;
    try {
      await xmpp.send(xml('presence', { to: this.ownJid, type: 'unavailable' }));
      await xmpp.stop();
    } catch (err) {
      // Best-effort teardown: the connection may already be gone (that is why we are leaving).
      this.#o.log.debug('room.leave_failed', { err });
    }
  }
}
