import { describe, expect, it } from 'vitest';
import { StanzaError, buildConferenceModify, parseColibri2Error, parseConferenceModified, parseXml, type Colibri2Media, type Colibri2MediaSource, type IceUdpTransport } from '@edgemeet/protocol';
import type { ConferenceControl, ConferenceDirectory, EndpointControl } from '../sfu/conference-control.ts';
import { handleConferenceModify } from './colibri2-handler.ts';

/** An in-memory directory recording what the handler asked for. */
function directory(refusingNew = false) {
  const conferences = new Map<string, ConferenceControl & { endpoints: Map<string, EndpointControl & { remote?: IceUdpTransport; sources?: readonly Colibri2MediaSource[]; medias?: readonly Colibri2Media[] }> }>();
  const dir: ConferenceDirectory = {
    refusingNew,
    get: (id) => conferences.get(id),
    create(meetingId) {
      const endpoints = new Map<string, EndpointControl & { remote?: IceUdpTransport; sources?: readonly Colibri2MediaSource[]; medias?: readonly Colibri2Media[] }>();
      const c = {
        meetingId, endpoints,
        endpoint: (id: string) => endpoints.get(id),
        createEndpoint(id: string) {
          const ep: EndpointControl & { remote?: IceUdpTransport; sources?: readonly Colibri2MediaSource[]; medias?: readonly Colibri2Media[] } = {
            id, localTransport: () => ({ ufrag: `u${id}u`, pwd: 'p'.repeat(22), fingerprints: [{ hash: 'sha-256', value: 'AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB:AA:BB', setup: 'actpass' }], candidates: [], rtcpMux: true, webSocketUrls: [] }),
            setRemoteTransport(t) { ep.remote = t; }, setMedia(m) { ep.medias = m; }, setSources(s) { ep.sources = s; }, forceMute() {},
          };
          endpoints.set(id, ep);
          return ep;
        },
        expireEndpoint: (id: string) => { endpoints.delete(id); },
        feedbackSources: (): Colibri2MediaSource[] => [{ type: 'audio', id: 'jvb-a0', sources: [{ ssrc: 99, name: 'jvb-a0' }], groups: [] }],
      };
      conferences.set(meetingId, c);
      return c;
    },
    expire: (id) => { conferences.delete(id); },
  };
  return { dir, conferences };
}

function refusal(fn: () => unknown): StanzaError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StanzaError) return err;
    throw err;
  }
  throw new Error('expected a StanzaError');
}

describe('handleConferenceModify()', () => {
  it('creates the conference and endpoint, answering transport and feedback sources', () => {
    const { dir, conferences } = directory();
    const reply = handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm1', create: true, endpoints: [{ id: 'e1', create: true, transport: { iceControlling: true }, capabilities: ['source-names'] }] }));
    const r = parseConferenceModified(reply);
    expect(r.endpoints[0]).toMatchObject({ id: 'e1', transport: { ufrag: 'ue1u' } });
    expect(r.sources?.[0]?.id).toBe('jvb-a0');
    expect(conferences.get('m1')?.endpoints.has('e1')).toBe(true);
  });

  it('hands an endpoint its media descriptions (the header-extension ids the focus offered)', () => {
    const { dir, conferences } = directory();
    const medias: Colibri2Media[] = [{ type: 'audio', payloadTypes: [], extmapAllowMixed: true, headerExtensions: [{ id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' }] }];
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm7', create: true, endpoints: [{ id: 'e1', create: true, transport: {}, capabilities: [], medias }] }));
    expect(conferences.get('m7')!.endpoints.get('e1')!.medias?.[0]?.headerExtensions).toEqual(medias[0]!.headerExtensions);
  });

  it('applies transport and sources on update, expires endpoints and conferences', () => {
    const { dir, conferences } = directory();
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm2', create: true, endpoints: [{ id: 'e1', create: true, transport: {}, capabilities: [] }] }));
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm2', endpoints: [{
      id: 'e1', capabilities: [], transport: { ice: { ufrag: 'cccc', pwd: 'c'.repeat(22), fingerprints: [{ hash: 'sha-256', value: 'CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD:CC:DD', setup: 'active' }], candidates: [], rtcpMux: true, webSocketUrls: [] } },
      sources: [{ type: 'audio', id: 'e1-a0', sources: [{ ssrc: 5, name: 'e1-a0' }], groups: [] }],
    }] }));
    const ep = conferences.get('m2')!.endpoints.get('e1')!;
    expect(ep.remote?.fingerprints[0]?.value).toMatch(/^CC:DD:/);
    expect(ep.sources?.[0]?.sources[0]?.ssrc).toBe(5);
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm2', endpoints: [{ id: 'e1', expire: true, capabilities: [] }] }));
    expect(conferences.get('m2')!.endpoints.size).toBe(0);
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm2', expire: true, endpoints: [] }));
    expect(conferences.has('m2')).toBe(false);
  });

  it('refuses with Colibri2 reasons: unknown conference, unknown endpoint, existing conference, draining', () => {
    const { dir } = directory();
    const unknownConf = refusal(() => handleConferenceModify(dir, buildConferenceModify({ meetingId: 'nope', endpoints: [] })));
    expect(unknownConf.condition).toBe('item-not-found');
    expect(parseColibri2Error(unknownConf.toElement())?.reason).toBe('conference_not_found');
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm3', create: true, endpoints: [] }));
    const unknownEp = refusal(() => handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm3', endpoints: [{ id: 'ghost', capabilities: [] }] })));
    expect(parseColibri2Error(unknownEp.toElement())).toEqual({ reason: 'unknown_endpoint', endpointId: 'ghost' });
    expect(refusal(() => handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm3', create: true, endpoints: [] }))).condition).toBe('conflict');
    const draining = directory(true);
    const refused = refusal(() => handleConferenceModify(draining.dir, buildConferenceModify({ meetingId: 'm4', create: true, endpoints: [] })));
    expect(parseColibri2Error(refused.toElement())?.reason).toBe('graceful_shutdown');
  });

  it('malformed Colibri2 (no meeting-id, endpoint create without transport, bad ssrc) is bad-request', () => {
    const { dir } = directory();
    expect(refusal(() => handleConferenceModify(dir, parseXml('<conference-modify xmlns="jitsi:colibri2"/>'))).condition).toBe('bad-request');
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm5', create: true, endpoints: [] }));
    expect(refusal(() => handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm5', endpoints: [{ id: 'e', create: true, capabilities: [] }] }))).condition).toBe('bad-request');
    const badSsrc = parseXml('<conference-modify xmlns="jitsi:colibri2" meeting-id="m5"><endpoint id="e"><sources><media-source type="audio" id="x"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="-4"/></media-source></sources></endpoint></conference-modify>');
    expect(refusal(() => handleConferenceModify(dir, badSsrc)).condition).toBe('bad-request');
  });

  it('an invalid remote transport (hash "zzz", a 5 KB hash, a short fingerprint, a bad ufrag) is bad-request, and changes nothing', () => {
    const { dir, conferences } = directory();
    handleConferenceModify(dir, buildConferenceModify({ meetingId: 'm6', create: true, endpoints: [{ id: 'e1', create: true, transport: {}, capabilities: [] }] }));
    const fp = 'AA:'.repeat(31) + 'AA';
    const update = (transport: string) => parseXml(`<conference-modify xmlns="jitsi:colibri2" meeting-id="m6"><endpoint id="e1"><transport>${transport}</transport>`
      + '<sources><media-source type="audio" id="e1-a0"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="7" name="e1-a0"/></media-source></sources></endpoint></conference-modify>');
    const ice = (attrs: string, fingerprint: string) => `<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ${attrs}><fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" ${fingerprint}</fingerprint></transport>`;
    for (const transport of [
      ice('ufrag="abcd" pwd="0123456789012345678901"', `hash="zzz" setup="active">${fp}`),
      ice('ufrag="abcd" pwd="0123456789012345678901"', `hash="${'z'.repeat(5000)}" setup="active">${fp}`),
      ice('ufrag="abcd" pwd="0123456789012345678901"', 'hash="sha-256" setup="active">AA:BB'),
      ice('ufrag="a b" pwd="0123456789012345678901"', `hash="sha-256" setup="active">${fp}`),
    ]) {
      const err = refusal(() => handleConferenceModify(dir, update(transport)));
      expect(err.condition).toBe('bad-request');
    }
    const ep = conferences.get('m6')!.endpoints.get('e1')!;
    expect(ep.remote).toBeUndefined();
    expect(ep.sources).toBeUndefined();
    handleConferenceModify(dir, update(ice('ufrag="abcd" pwd="0123456789012345678901"', `hash="SHA-1" setup="active">${'AA:'.repeat(19)}AA`)));
    expect(ep.remote?.fingerprints[0]?.hash).toBe('sha-1');
  });
});
