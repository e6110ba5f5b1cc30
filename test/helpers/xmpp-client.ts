/**
 * Third-party XMPP clients for integration tests: @xmpp/client (xmpp.js) over WebSocket, with
 * automatic reconnection off, every received stanza recorded, and waits on predicates.
 */
import { client, xml } from '@xmpp/client';
import type { Element } from '@edgemeet/protocol';

export { xml };

export interface TestClient {
  readonly xmpp: ReturnType<typeof client>;
  readonly jid: string;
  readonly stanzas: Element[];
  send(el: Element): Promise<void>;
  /** Resolves with the first stanza (already received or arriving) that matches, not consumed before. */
  waitFor(match: (s: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Stanzas received so far that match. */
  received(match: (s: Element) => boolean): Element[];
  iq(el: Element): Promise<Element>;
  stop(): Promise<void>;
}

/** Connects with SASL ANONYMOUS; `token` goes on the URL as lib-jitsi-meet puts a Jitsi JWT there. */
export async function connectClient(wsUrl: string, room: string, domain = 'meet.jitsi', token?: string): Promise<TestClient> {
  const query = `room=${encodeURIComponent(room)}${token === undefined ? '' : `&token=${encodeURIComponent(token)}`}`;
  const xmpp = client({ service: `${wsUrl}?${query}`, domain });
  xmpp.reconnect.stop();
  // @xmpp/connection gives the stream's open 2 s: on a loaded machine the edge (workerd) takes longer.
  (xmpp as unknown as { timeout: number }).timeout = 10_000;
  const stanzas: Element[] = [];
  const consumed = new Set<Element>();
  const waiters = new Set<{ match: (s: Element) => boolean; resolve: (s: Element) => void }>();
  xmpp.on('error', () => undefined);
  xmpp.on('stanza', (s: Element) => {
    stanzas.push(s);
    for (const w of waiters) {
      if (!consumed.has(s) && w.match(s)) {
        consumed.add(s);
        waiters.delete(w);
        w.resolve(s);
      }
    }
  });
  const jid = String(await xmpp.start());
  return {
    xmpp, jid, stanzas,
    send: (el) => xmpp.send(el),
    received: (match) => stanzas.filter(match),
    waitFor(match, timeoutMs = 5000) {
      const found = stanzas.find((s) => !consumed.has(s) && match(s));
      if (found) {
        consumed.add(found);
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (s: Element) => { clearTimeout(timer); resolve(s); } };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out; received:\n${stanzas.map((s) => s.toString()).join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    iq: (el) => xmpp.iqCaller.request(el),
    async stop() {
      try {
        await xmpp.stop();
      } catch {
        // Already closed by the server (stream error tests).
      }
    },
  };
}

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

export function joinPresence(roomJid: string, nick: string, ...extra: Element[]): Element {
  return xml('presence', { to: `${roomJid}/${nick}` }, xml('x', { xmlns: NS_MUC }), ...extra);
}

export function isSelfPresence(roomJid: string, nick: string) {
  return (s: Element) => s.name === 'presence' && s.attrs.from === `${roomJid}/${nick}`
    && (s.getChild('x', NS_MUC_USER)?.getChildren('status').some((st) => st.attrs.code === '110') ?? false);
}

export function presenceFrom(roomJid: string, nick: string, type?: string) {
  return (s: Element) => s.name === 'presence' && s.attrs.from === `${roomJid}/${nick}` && s.attrs.type === type;
}

export function statusCodes(s: Element): string[] {
  return (s.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).map((st) => String(st.attrs.code));
}

export function itemOf(s: Element): Record<string, unknown> {
  return (s.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs ?? {}) as Record<string, unknown>;
}

/** Connects and joins; resolves once the self-presence (status 110) arrived. */
export async function joinRoom(wsUrl: string, room: string, nick: string, mucDomain = 'conference.meet.jitsi', ...extra: Element[]): Promise<TestClient> {
  const c = await connectClient(wsUrl, room);
  const roomJid = `${room}@${mucDomain}`;
  await c.send(joinPresence(roomJid, nick, ...extra));
  await c.waitFor(isSelfPresence(roomJid, nick));
  return c;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
