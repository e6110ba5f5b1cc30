/**
 * IQs addressed to the server (the XMPP domain) and to the MUC service: service discovery
 * (XEP-0030) with what Jitsi's Prosody advertises, ping (XEP-0199), external services
 * (XEP-0215: STUN/TURN with short-lived credentials, turn/external-services.ts), and the legacy
 * session IQ.
 * @module
 */
// Internal: not exported from the package entry.
import {
  IqRouter, LOBBY_IDENTITY_TYPE, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_EXTDISCO, NS_MUC, NS_PING, NS_SESSION, NS_SM, xml, type Element,
} from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import { externalServices, queryOf } from '../turn/external-services.ts';

export interface ServerIqContext {
  readonly config: EdgeConfig;
  /** The room this connection belongs to, while it exists. */
  readonly roomJid: string | null;
}

const SERVER_FEATURES = [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_SM, NS_EXTDISCO];

function serverInfo(ctx: ServerIqContext): Element {
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'server', type: 'im', name: 'edgemeet' }),
    // lib-jitsi-meet finds Jitsi's components by these identities (type → component address).
    xml('identity', { category: 'component', type: 'av_moderation', name: ctx.config.avModerationDomain }),
    xml('identity', { category: 'component', type: 'speakerstats', name: ctx.config.speakerStatsDomain }),
    xml('identity', { category: 'component', type: 'end_conference', name: ctx.config.endConferenceDomain }),
    xml('identity', { category: 'component', type: 'room_metadata', name: ctx.config.roomMetadataDomain }),
    xml('identity', { category: 'component', type: 'conference_duration', name: ctx.config.conferenceDurationDomain }),
    // mod_muc_lobby_rooms announces the lobby MUC on the main domain.
    xml('identity', { category: 'component', type: LOBBY_IDENTITY_TYPE, name: ctx.config.lobbyDomain }),
    xml('identity', { category: 'component', type: 'polls', name: ctx.config.pollsDomain }),
    ...SERVER_FEATURES.map((v) => xml('feature', { var: v })));
}

function serverItems(ctx: ServerIqContext): Element {
  return xml('query', { xmlns: NS_DISCO_ITEMS },
    xml('item', { jid: ctx.config.mucDomain, name: 'Conferences' }),
    xml('item', { jid: ctx.config.focusDomain, name: 'Focus' }));
}

function mucInfo(): Element {
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'conference', type: 'text', name: 'Conferences' }),
    ...[NS_MUC, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING].map((v) => xml('feature', { var: v })));
}

function mucItems(ctx: ServerIqContext): Element {
  return xml('query', { xmlns: NS_DISCO_ITEMS }, ctx.roomJid ? xml('item', { jid: ctx.roomJid }) : null);
}

/** XEP-0215: the requester's local part (a uuid) tags its TURN username, for coturn's logs. */
function extdisco(ctx: ServerIqContext, iq: Element, payload: Element, name: 'services' | 'credentials'): Promise<Element> {
  const from = String(iq.attrs.from ?? '');
  const local = from.includes('@') ? from.slice(0, from.indexOf('@')) : '';
  return externalServices(ctx.config.turn, queryOf(payload), name, local, Date.now());
}

/** Router for IQs to the XMPP domain (or with no `to`). */
export function createServerIqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<ServerIqContext> {
  return new IqRouter<ServerIqContext>({ onHandlerError })
    .on('get', NS_DISCO_INFO, 'query', serverInfo)
    .on('get', NS_DISCO_ITEMS, 'query', serverItems)
    .on('get', NS_PING, 'ping', () => null)
    .on('get', NS_EXTDISCO, 'services', (ctx, iq, payload) => extdisco(ctx, iq, payload, 'services'))
    .on('get', NS_EXTDISCO, 'credentials', (ctx, iq, payload) => extdisco(ctx, iq, payload, 'credentials'))
    .on('set', NS_SESSION, 'session', () => null);
}

/** Router for IQs to the MUC service domain. */
export function createMucServiceIqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<ServerIqContext> {
  return new IqRouter<ServerIqContext>({ onHandlerError })
    .on('get', NS_DISCO_INFO, 'query', mucInfo)
    .on('get', NS_DISCO_ITEMS, 'query', mucItems)
    .on('get', NS_PING, 'ping', () => null);
}
