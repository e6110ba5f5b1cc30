/**
 * The `<jingle/>` element (XEP-0166) with Jitsi's extensions: `bridge-session`, compact JSON
 * sources (`json-message`), `startmuted`, `ice-state` (jitsi-wire-protocol §4).
 * @module
 */
import { AppError } from '../errors.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_FOCUS, NS_JINGLE, NS_JINGLE_GROUPING, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP, NS_JITMEET, NS_JITMEET_START_MUTED } from '../xml/namespaces.ts';
import { decodeJsonSources, encodeJsonSources } from '../sources/json-sources.ts';
import { children, optBool, optStr, reqStr } from './attrs.ts';
import { buildRtpDescription, parseRtpDescription } from './description.ts';
import { buildIceUdpTransport, parseIceUdpTransport } from './transport.ts';
import type { Jingle, JingleAction, JingleContent } from './types.ts';

const ACTIONS: ReadonlySet<string> = new Set<JingleAction>([
  'session-initiate', 'session-accept', 'session-terminate', 'session-info', 'transport-info', 'transport-accept', 'transport-reject',
  'transport-replace', 'source-add', 'source-remove', 'content-modify', 'addsource', 'removesource',
]);
const CREATORS = new Set(['initiator', 'responder']);
const SENDERS = new Set(['both', 'initiator', 'responder', 'none', 'rejected']);

function parseContent(el: Element): JingleContent {
  const creator = optStr(el, 'creator') ?? 'initiator';
  if (!CREATORS.has(creator)) throw new AppError('bad-request', `content creator ${creator}`);
  const content: JingleContent = { creator: creator as JingleContent['creator'], name: reqStr(el, 'name') };
  const senders = optStr(el, 'senders');
  if (senders !== undefined) {
    if (!SENDERS.has(senders)) throw new AppError('bad-request', `content senders ${senders}`);
    content.senders = senders as JingleContent['senders'];
  }
  const description = children(el, 'description', NS_JINGLE_RTP)[0];
  if (description) content.description = parseRtpDescription(description);
  const transport = children(el, 'transport', NS_JINGLE_ICE_UDP)[0];
  if (transport) content.transport = parseIceUdpTransport(transport);
  return content;
}

function buildContent(c: JingleContent): Element {
  return xml('content', { creator: c.creator, name: c.name, senders: c.senders },
    c.description ? buildRtpDescription(c.description) : null, c.transport ? buildIceUdpTransport(c.transport) : null);
}

/** Parses a `<jingle/>` element; throws `AppError('bad-request')` when it is malformed. */
export function parseJingle(el: Element): Jingle {
  const action = reqStr(el, 'action');
  if (!ACTIONS.has(action)) throw new AppError('bad-request', `unknown jingle action ${action}`);
  const j: Jingle = {
    action: action as JingleAction, sid: reqStr(el, 'sid'), contents: children(el, 'content').map(parseContent),
    groups: children(el, 'group', NS_JINGLE_GROUPING).map((g) => ({
      semantics: reqStr(g, 'semantics'), contents: children(g, 'content').map((c) => reqStr(c, 'name')),
    })),
  };
  const initiator = optStr(el, 'initiator');
  if (initiator !== undefined) j.initiator = initiator;
  const responder = optStr(el, 'responder');
  if (responder !== undefined) j.responder = responder;
  const bs = children(el, 'bridge-session', NS_FOCUS)[0];
  if (bs) {
    j.bridgeSession = { id: optStr(bs, 'id') ?? '' };
    const region = optStr(bs, 'region');
    if (region !== undefined) j.bridgeSession.region = region;
    if (optBool(bs, 'restart')) j.bridgeSession.restart = true;
    if (optBool(bs, 'ice-restart')) j.bridgeSession.iceRestart = true;
  }
  const reason = children(el, 'reason')[0];
  if (reason) {
    const condition = reason.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text');
    j.reason = { condition: condition?.name ?? 'success' };
    const text = reason.getChildText('text');
    if (text !== null) j.reason.text = text;
  }
  const json = children(el, 'json-message', NS_JITMEET)[0];
  if (json) j.jsonSources = decodeJsonSources(json.text());
  const sm = children(el, 'startmuted')[0];
  if (sm) j.startMuted = { audio: optBool(sm, 'audio') ?? false, video: optBool(sm, 'video') ?? false };
  const iceState = children(el, 'ice-state', NS_FOCUS)[0];
  if (iceState) j.iceState = iceState.text();
  return j;
}

/** Builds a `<jingle/>` element from its typed form. */
export function buildJingle(j: Jingle): Element {
  return xml('jingle', { xmlns: NS_JINGLE, action: j.action, initiator: j.initiator, responder: j.responder, sid: j.sid },
    ...j.contents.map(buildContent),
    ...j.groups.map((g) => xml('group', { xmlns: NS_JINGLE_GROUPING, semantics: g.semantics }, ...g.contents.map((name) => xml('content', { name })))),
    j.bridgeSession ? xml('bridge-session', {
      xmlns: NS_FOCUS, id: j.bridgeSession.id, region: j.bridgeSession.region,
      restart: j.bridgeSession.restart ? 'true' : undefined, 'ice-restart': j.bridgeSession.iceRestart ? 'true' : undefined,
    }) : null,
    j.reason ? xml('reason', null, xml(j.reason.condition), j.reason.text !== undefined ? xml('text', null, j.reason.text) : null) : null,
    j.jsonSources ? xml('json-message', { xmlns: NS_JITMEET }, encodeJsonSources(j.jsonSources)) : null,
    j.startMuted ? xml('startmuted', { xmlns: NS_JITMEET_START_MUTED, audio: String(j.startMuted.audio), video: String(j.startMuted.video) }) : null,
    j.iceState !== undefined ? xml('ice-state', { xmlns: NS_FOCUS }, j.iceState) : null);
}
