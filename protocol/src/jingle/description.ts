/**
 * `<description xmlns="urn:xmpp:jingle:apps:rtp:1"/>` (XEP-0167) with payload types, rtcp-fb
 * (XEP-0293), header extensions (XEP-0294), sources (XEP-0339).
 * @module
 */
import { AppError } from '../errors.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_JINGLE_RTCP_FB, NS_JINGLE_RTP, NS_JINGLE_RTP_HDREXT } from '../xml/namespaces.ts';
import { children, optInt, optStr, reqInt, reqStr } from './attrs.ts';
import { buildGroup, buildSource, parseSourcesIn } from './sources.ts';
import type { HeaderExtension, PayloadType, RtcpFeedback, RtpDescription } from './types.ts';

function parseFeedback(el: Element): RtcpFeedback[] {
  return children(el, 'rtcp-fb').map((f) => {
    const fb: RtcpFeedback = { type: reqStr(f, 'type') };
    const subtype = optStr(f, 'subtype');
    if (subtype !== undefined) fb.subtype = subtype;
    return fb;
  });
}

function buildFeedback(list: readonly RtcpFeedback[]): Element[] {
  return list.map((f) => xml('rtcp-fb', { xmlns: NS_JINGLE_RTCP_FB, type: f.type, subtype: f.subtype }));
}

export function parsePayloadType(el: Element): PayloadType {
  const pt: PayloadType = {
    id: reqInt(el, 'id', 0, 127), name: optStr(el, 'name') ?? '', clockrate: optInt(el, 'clockrate') ?? 0,
    parameters: children(el, 'parameter').map((p) => (p.attrs.name === undefined ? { value: String(p.attrs.value ?? '') } : { name: String(p.attrs.name), value: String(p.attrs.value ?? '') })),
    rtcpFeedback: parseFeedback(el),
  };
  const channels = optInt(el, 'channels', 1, 255);
  if (channels !== undefined) pt.channels = channels;
  return pt;
}

export function buildPayloadType(pt: PayloadType): Element {
  return xml('payload-type', { xmlns: NS_JINGLE_RTP, id: pt.id, name: pt.name, clockrate: pt.clockrate || undefined, channels: pt.channels },
    ...pt.parameters.map((p) => xml('parameter', { name: p.name, value: p.value })), ...buildFeedback(pt.rtcpFeedback));
}

export function parseHeaderExtension(el: Element): HeaderExtension {
  const h: HeaderExtension = { id: reqInt(el, 'id', 1, 255), uri: reqStr(el, 'uri') };
  const senders = optStr(el, 'senders');
  if (senders !== undefined) h.senders = senders;
  return h;
}

export function buildHeaderExtension(h: HeaderExtension): Element {
  return xml('rtp-hdrext', { xmlns: NS_JINGLE_RTP_HDREXT, id: h.id, uri: h.uri, senders: h.senders });
}

export function parseRtpDescription(el: Element): RtpDescription {
  const media = optStr(el, 'media') ?? '';
  if (media !== 'audio' && media !== 'video' && media !== 'application') throw new AppError('bad-request', `unknown media ${media}`);
  const d: RtpDescription = {
    media, payloadTypes: children(el, 'payload-type').map(parsePayloadType),
    headerExtensions: children(el, 'rtp-hdrext').map(parseHeaderExtension),
    rtcpMux: children(el, 'rtcp-mux').length > 0, extmapAllowMixed: children(el, 'extmap-allow-mixed').length > 0,
    ...parseSourcesIn(el), rtcpFeedback: parseFeedback(el),
  };
  const maxptime = optInt(el, 'maxptime');
  if (maxptime !== undefined) d.maxptime = maxptime;
  return d;
}

export function buildRtpDescription(d: RtpDescription): Element {
  return xml('description', { xmlns: NS_JINGLE_RTP, media: d.media, maxptime: d.maxptime },
    ...d.payloadTypes.map(buildPayloadType), ...buildFeedback(d.rtcpFeedback), ...d.headerExtensions.map(buildHeaderExtension),
    d.extmapAllowMixed ? xml('extmap-allow-mixed', { xmlns: NS_JINGLE_RTP_HDREXT }) : null,
    ...d.sources.map(buildSource), ...d.groups.map(buildGroup),
    d.rtcpMux ? xml('rtcp-mux') : null);
}
