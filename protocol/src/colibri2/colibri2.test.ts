import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures.test-helper.ts';
import { StanzaError, parseXml, serialize } from '../index.ts';
import {
  buildConferenceModified, buildConferenceModify, parseColibri2Error, parseConferenceModified, parseConferenceModify,
} from './colibri2.ts';

describe('Colibri2 codec', () => {
  for (const name of ['conference-modify-allocate.xml', 'conference-modify-update.xml']) {
    it(`parseConferenceModify() → build → parse round-trips ${name}`, () => {
      const first = parseConferenceModify(fixture(name));
      expect(parseConferenceModify(parseXml(serialize(buildConferenceModify(first))))).toEqual(first);
    });
  }

  it('parseConferenceModify() reads an allocation: create, endpoint, media, capability', () => {
    const m = parseConferenceModify(fixture('conference-modify-allocate.xml'));
    expect(m).toMatchObject({ create: true, name: 'room1@conference.meet.jitsi' });
    expect(m.endpoints[0]).toMatchObject({ id: '9f8e7d6c', create: true, statsId: 'Quiet-Otter-12', capabilities: ['source-names'], sources: [] });
    expect(m.endpoints[0]?.transport).toEqual({ iceControlling: true });
    expect(m.endpoints[0]?.medias?.map((x) => x.type)).toEqual(['audio', 'video']);
  });

  it('parseConferenceModify() reads each media\'s RTP header extensions (<rtp-hdrext id uri/>), which the bridge uses', () => {
    const m = parseConferenceModify(fixture('conference-modify-allocate.xml'));
    expect(m.endpoints[0]?.medias?.map((x) => x.headerExtensions)).toEqual([[{ id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' }], []]);
  });

  it('parseConferenceModify() reads an update: nested ICE transport, media sources, force-mute, expire', () => {
    const m = parseConferenceModify(fixture('conference-modify-update.xml'));
    expect(m.endpoints[0]?.transport?.ice?.fingerprints[0]).toMatchObject({ setup: 'active' });
    expect(m.endpoints[0]?.sources?.[1]).toMatchObject({ type: 'video', id: '9f8e7d6c-v0', groups: [{ semantics: 'FID', ssrcs: [7101, 7102] }] });
    expect(m.endpoints[0]?.forceMute).toEqual({ audio: true, video: false });
    expect(m.endpoints[1]).toMatchObject({ id: '0a1b2c3d', expire: true });
  });

  it('parseConferenceModified() → build → parse round-trips the bridge answer with feedback sources', () => {
    const r = parseConferenceModified(fixture('conference-modified.xml'));
    expect(r.endpoints[0]?.transport?.webSocketUrls).toEqual(['wss://meet.example.test/colibri-ws/node-1/c0ffee/9f8e7d6c?pwd=p4ss']);
    expect(r.sources?.map((s) => s.id)).toEqual(['jvb-a0', 'jvb-v0']);
    expect(parseConferenceModified(parseXml(serialize(buildConferenceModified(r))))).toEqual(r);
  });

  it('parseColibri2Error() reads the reason and endpoint of an error reply', () => {
    const iq = fixture('colibri2-error.xml');
    expect(StanzaError.fromElement(iq).condition).toBe('item-not-found');
    expect(parseColibri2Error(iq.getChild('error')!)).toEqual({ reason: 'unknown_endpoint', endpointId: '9f8e7d6c' });
  });

  it('parseConferenceModify() without meeting-id throws bad-request', () => {
    expect(() => parseConferenceModify(parseXml('<conference-modify xmlns="jitsi:colibri2"/>'))).toThrow(expect.objectContaining({ code: 'bad-request' }));
  });
});
