/**
 * The Jingle IQs the focus sends to participants (XEP-0166/0167 with Jitsi's extensions,
 * jitsi-wire-protocol §4): session-initiate built from the bridge's transport and everybody's
 * sources, source-add / source-remove, session-terminate.
 * @module
 */
import { buildJingle, xml, type Element, type EndpointSourceMap, type IceUdpTransport, type JingleContent, type MediaType } from '@edgemeet/protocol';
import { offerDescription } from './offer-template.ts';

const MEDIA: readonly MediaType[] = ['audio', 'video'];

function collect(map: EndpointSourceMap, media: MediaType) {
  const sources = Object.values(map).flatMap((s) => s[media].sources);
  const groups = Object.values(map).flatMap((s) => s[media].groups);
  return { sources, groups };
}

function iq(to: string, jingle: Element, id: string): Element {
  return xml('iq', { type: 'set', to, id }, jingle);
}

export interface SessionInitiateOptions {
  to: string;
  id: string;
  sid: string;
  initiator: string;
  transport: IceUdpTransport;
  /** Sources the participant should receive, by owner (simulcast-stripped, owner-tagged), bridge feedback included. */
  sources: EndpointSourceMap;
  bridgeSessionId: string;
  region?: string;
  /** Jicofo's `<startmuted/>`: the participant is to start with these muted (sent only when one is). */
  startMuted?: { audio: boolean; video: boolean };
}

export function sessionInitiate(o: SessionInitiateOptions): Element {
  const contents: JingleContent[] = MEDIA.map((media) => ({
    creator: 'initiator', name: media, senders: 'both',
    description: { ...offerDescription(media), ...collect(o.sources, media) },
    transport: o.transport,
  }));
  return iq(o.to, buildJingle({
    action: 'session-initiate', sid: o.sid, initiator: o.initiator, contents,
    groups: [{ semantics: 'BUNDLE', contents: MEDIA.slice() }],
    bridgeSession: { id: o.bridgeSessionId, region: o.region || undefined },
    startMuted: o.startMuted && (o.startMuted.audio || o.startMuted.video) ? o.startMuted : undefined,
  }), o.id);
}

/** source-add / source-remove carrying `sources` (by owner) to one participant. */
export function sourceUpdate(action: 'source-add' | 'source-remove', to: string, id: string, sid: string, sources: EndpointSourceMap): Element {
  const contents: JingleContent[] = MEDIA.flatMap((media) => {
    const c = collect(sources, media);
    if (c.sources.length === 0 && c.groups.length === 0) return [];
    return [{
      creator: 'initiator' as const, name: media,
      description: { ...offerDescription(media), payloadTypes: [], headerExtensions: [], maxptime: undefined, rtcpMux: false, extmapAllowMixed: false, ...c },
    }];
  });
  return iq(to, buildJingle({ action, sid, contents, groups: [] }), id);
}

export function sessionTerminate(to: string, id: string, sid: string, reason: { condition: string; text?: string }, bridgeSessionId?: string): Element {
  return iq(to, buildJingle({
    action: 'session-terminate', sid, contents: [], groups: [], reason,
    bridgeSession: bridgeSessionId ? { id: bridgeSessionId } : undefined,
  }), id);
}
