/**
 * Colibri2 (`jitsi:colibri2`, jitsi-wire-protocol §5): `conference-modify` from the focus,
 * `conference-modified` from the bridge, and the Colibri2 error element. Note the nested
 * `<transport><transport xmlns="…ice-udp:1"/></transport>` shape in both directions.
 * @module
 */
import { AppError } from '../errors.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_COLIBRI2, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP, NS_JINGLE_RTP_HDREXT } from '../xml/namespaces.ts';
import { children, optBool, optInt, optStr, reqInt, reqStr } from '../jingle/attrs.ts';
import { buildHeaderExtension, buildPayloadType, parseHeaderExtension, parsePayloadType } from '../jingle/description.ts';
import { buildGroup, buildSource, parseSourcesIn } from '../jingle/sources.ts';
import { buildIceUdpTransport, parseIceUdpTransport } from '../jingle/transport.ts';
import type { MediaType } from '../jingle/types.ts';
import type {
  Colibri2ConferenceModified, Colibri2ConferenceModify, Colibri2Endpoint, Colibri2ErrorReason, Colibri2Media, Colibri2MediaSource,
} from './types.ts';

function mediaType(el: Element): MediaType {
  const t = reqStr(el, 'type');
  if (t !== 'audio' && t !== 'video') throw new AppError('bad-request', `media type ${t}`);
  return t;
}

function parseMediaSources(el: Element | undefined): Colibri2MediaSource[] | undefined {
  if (!el) return undefined;
  return children(el, 'media-source').map((ms) => ({ type: mediaType(ms), id: reqStr(ms, 'id'), ...parseSourcesIn(ms) }));
}

function buildMediaSources(list: readonly Colibri2MediaSource[]): Element {
  return xml('sources', null, ...list.map((ms) => xml('media-source', { type: ms.type, id: ms.id }, ...ms.sources.map(buildSource), ...ms.groups.map(buildGroup))));
}

function parseMedia(el: Element): Colibri2Media {
  return {
    type: mediaType(el), payloadTypes: children(el, 'payload-type', NS_JINGLE_RTP).map(parsePayloadType),
    headerExtensions: children(el, 'rtp-hdrext', NS_JINGLE_RTP_HDREXT).map(parseHeaderExtension),
    extmapAllowMixed: children(el, 'extmap-allow-mixed').length > 0,
  };
}

function buildMedia(m: Colibri2Media): Element {
  return xml('media', { type: m.type }, ...m.payloadTypes.map(buildPayloadType), ...m.headerExtensions.map(buildHeaderExtension),
    m.extmapAllowMixed ? xml('extmap-allow-mixed', { xmlns: NS_JINGLE_RTP_HDREXT }) : null);
}

function parseEndpoint(el: Element): Colibri2Endpoint {
  const ep: Colibri2Endpoint = { id: reqStr(el, 'id'), capabilities: children(el, 'capability').map((c) => reqStr(c, 'name')) };
  if (optBool(el, 'create')) ep.create = true;
  if (optBool(el, 'expire')) ep.expire = true;
  const statsId = optStr(el, 'stats-id');
  if (statsId !== undefined) ep.statsId = statsId;
  const mucRole = optStr(el, 'muc-role');
  if (mucRole !== undefined) ep.mucRole = mucRole;
  const medias = children(el, 'media');
  if (medias.length > 0) ep.medias = medias.map(parseMedia);
  const transport = children(el, 'transport')[0];
  if (transport) {
    ep.transport = {};
    const controlling = optBool(transport, 'ice-controlling');
    if (controlling !== undefined) ep.transport.iceControlling = controlling;
    if (optBool(transport, 'ice-restart')) ep.transport.iceRestart = true;
    if (children(transport, 'sctp').length > 0) ep.transport.sctp = true;
    const ice = children(transport, 'transport', NS_JINGLE_ICE_UDP)[0];
    if (ice) ep.transport.ice = parseIceUdpTransport(ice);
  }
  const sources = parseMediaSources(children(el, 'sources')[0]);
  if (sources !== undefined) ep.sources = sources;
  const fm = children(el, 'force-mute')[0];
  if (fm) {
    ep.forceMute = {};
    const audio = optBool(fm, 'audio');
    if (audio !== undefined) ep.forceMute.audio = audio;
    const video = optBool(fm, 'video');
    if (video !== undefined) ep.forceMute.video = video;
  }
  const lastN = children(el, 'initial-last-n')[0];
  if (lastN) ep.initialLastN = reqInt(lastN, 'value', 0, 1000);
  return ep;
}

function buildEndpoint(ep: Colibri2Endpoint): Element {
  const t = ep.transport;
  return xml('endpoint', { id: ep.id, create: ep.create ? 'true' : undefined, expire: ep.expire ? 'true' : undefined, 'stats-id': ep.statsId, 'muc-role': ep.mucRole },
    ...(ep.medias ?? []).map(buildMedia),
    t ? xml('transport', { 'ice-controlling': t.iceControlling, 'ice-restart': t.iceRestart ? 'true' : undefined },
      t.sctp ? xml('sctp') : null, t.ice ? buildIceUdpTransport(t.ice) : null) : null,
    ep.sources !== undefined ? buildMediaSources(ep.sources) : null,
    ...ep.capabilities.map((name) => xml('capability', { name })),
    ep.forceMute ? xml('force-mute', { audio: ep.forceMute.audio, video: ep.forceMute.video }) : null,
    ep.initialLastN !== undefined ? xml('initial-last-n', { value: ep.initialLastN }) : null);
}

export function parseConferenceModify(el: Element): Colibri2ConferenceModify {
  if (el.name !== 'conference-modify') throw new AppError('bad-request', `expected conference-modify, got ${el.name}`);
  const m: Colibri2ConferenceModify = { meetingId: reqStr(el, 'meeting-id'), endpoints: children(el, 'endpoint').map(parseEndpoint) };
  const name = optStr(el, 'name');
  if (name !== undefined) m.name = name;
  if (optBool(el, 'create')) m.create = true;
  if (optBool(el, 'expire')) m.expire = true;
  const rtc = optBool(el, 'rtcstats-enabled');
  if (rtc !== undefined) m.rtcstatsEnabled = rtc;
  return m;
}

export function buildConferenceModify(m: Colibri2ConferenceModify): Element {
  return xml('conference-modify', {
    xmlns: NS_COLIBRI2, 'meeting-id': m.meetingId, name: m.name, create: m.create ? 'true' : undefined,
    expire: m.expire ? 'true' : undefined, 'rtcstats-enabled': m.rtcstatsEnabled,
  }, ...m.endpoints.map(buildEndpoint));
}

export function parseConferenceModified(el: Element): Colibri2ConferenceModified {
  if (el.name !== 'conference-modified') throw new AppError('bad-request', `expected conference-modified, got ${el.name}`);
  const r: Colibri2ConferenceModified = {
    endpoints: children(el, 'endpoint').map((ep) => {
      const out: Colibri2ConferenceModified['endpoints'][number] = { id: reqStr(ep, 'id') };
      const outer = children(ep, 'transport')[0];
      const ice = outer ? children(outer, 'transport', NS_JINGLE_ICE_UDP)[0] : undefined;
      if (ice) out.transport = parseIceUdpTransport(ice);
      const sctp = outer ? children(outer, 'sctp')[0] : undefined;
      if (sctp) out.sctp = { port: optInt(sctp, 'port', 0, 65535) ?? 5000, role: optStr(sctp, 'role') ?? 'server' };
      return out;
    }),
  };
  const sources = parseMediaSources(children(el, 'sources')[0]);
  if (sources !== undefined) r.sources = sources;
  return r;
}

export function buildConferenceModified(r: Colibri2ConferenceModified): Element {
  return xml('conference-modified', { xmlns: NS_COLIBRI2 },
    ...r.endpoints.map((ep) => xml('endpoint', { id: ep.id },
      ep.transport || ep.sctp ? xml('transport', null, ep.transport ? buildIceUdpTransport(ep.transport) : null,
        ep.sctp ? xml('sctp', { port: ep.sctp.port, role: ep.sctp.role }) : null) : null)),
    r.sources ? buildMediaSources(r.sources) : null);
}

/** The application-specific error element carried in a Colibri2 error reply. */
export function buildColibri2Error(reason: Colibri2ErrorReason, endpointId?: string): Element {
  return xml('error', { xmlns: NS_COLIBRI2, reason }, endpointId !== undefined ? xml('endpoint', { id: endpointId }) : null);
}

/** Reads the Colibri2 error element inside a stanza's `<error/>`, if there is one. */
export function parseColibri2Error(errorEl: Element): { reason: string; endpointId?: string } | undefined {
  const c = children(errorEl, 'error', NS_COLIBRI2)[0];
  if (!c) return undefined;
  const out: { reason: string; endpointId?: string } = { reason: optStr(c, 'reason') ?? 'unspecified' };
  const ep = children(c, 'endpoint')[0];
  if (ep && typeof ep.attrs.id === 'string') out.endpointId = ep.attrs.id;
  return out;
}
