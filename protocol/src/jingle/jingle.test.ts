import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures.test-helper.ts';
import { parseXml, serialize } from '../index.ts';
import { sourcesFromContents } from '../sources/endpoint-sources.ts';
import { buildJingle, parseJingle } from './jingle.ts';

describe('Jingle codec', () => {
  for (const name of ['session-initiate.xml', 'session-accept-simulcast.xml', 'source-add-json.xml', 'ljm-2021-session-accept.xml']) {
    it(`parseJingle() → buildJingle() → parseJingle() round-trips ${name}`, () => {
      const first = parseJingle(fixture(name));
      const again = parseJingle(parseXml(serialize(buildJingle(first))));
      expect(again).toEqual(first);
    });
  }

  it('parseJingle() reads a Jicofo session-initiate: transport, web-socket, fingerprint, owners, bridge-session', () => {
    const j = parseJingle(fixture('session-initiate.xml'));
    expect(j.action).toBe('session-initiate');
    expect(j.groups).toEqual([{ semantics: 'BUNDLE', contents: ['audio', 'video'] }]);
    const audio = j.contents[0]!;
    expect(audio.transport?.webSocketUrls[0]).toContain('/colibri-ws/node-1/');
    expect(audio.transport?.fingerprints[0]).toMatchObject({ hash: 'sha-256', setup: 'actpass' });
    expect(audio.transport?.candidates[0]).toMatchObject({ ip: '192.0.2.10', port: 10000, type: 'host', priority: 2130706431 });
    expect(audio.description?.sources.map((s) => s.owner)).toEqual(['0a1b2c3d', 'jvb']);
    expect(audio.description?.payloadTypes[0]?.parameters).toContainEqual({ name: 'minptime', value: '10' });
    expect(j.bridgeSession).toEqual({ id: 'meeting-7:node-1', region: 'eu' });
  });

  it('sourcesFromContents() groups a simulcast session-accept under its endpoint', () => {
    const j = parseJingle(fixture('session-accept-simulcast.xml'));
    const map = sourcesFromContents(j.contents, '9f8e7d6c');
    expect(map['9f8e7d6c']?.video.sources).toHaveLength(6);
    expect(map['9f8e7d6c']?.video.groups.map((g) => g.semantics)).toEqual(['SIM', 'FID', 'FID', 'FID']);
    expect(map['9f8e7d6c']?.audio.sources[0]).toMatchObject({ ssrc: 6100, msid: 'st-9f8e tr-9f8e-a' });
  });

  it('sourcesFromContents() reads the session-accept of lib-jitsi-meet 2.6726.2 (Dec 2021): SIM after the first FID, msid, no source names', () => {
    const j = parseJingle(fixture('ljm-2021-session-accept.xml'));
    const map = sourcesFromContents(j.contents, 'cf30b05c');
    expect(map.cf30b05c?.audio.sources).toMatchObject([{ ssrc: 2393582909, msid: 'cf30b05c-audio-1 321746af-d83a-4db0-8bae-4a90c5679100-1' }]);
    expect(map.cf30b05c?.video.sources).toHaveLength(6);
    expect(map.cf30b05c?.video.groups).toContainEqual({ semantics: 'SIM', ssrcs: [2508665466, 1385683815, 647545298] });
    expect(map.cf30b05c?.video.sources.every((s) => s.name === undefined)).toBe(true);
  });

  it('parseJingle() decodes compact JSON sources', () => {
    const j = parseJingle(fixture('source-add-json.xml'));
    expect(j.jsonSources?.['5e6f7a8b']?.video.groups).toEqual([{ semantics: 'FID', ssrcs: [8801, 8802] }]);
    expect(j.jsonSources?.['5e6f7a8b']?.audio.sources[0]).toMatchObject({ ssrc: 8800, msid: 'st tr', name: '5e6f7a8b-a0' });
  });

  it('parseJingle() with a non-numeric ssrc throws bad-request', () => {
    const el = parseXml('<jingle xmlns="urn:xmpp:jingle:1" action="source-add" sid="s"><content name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="12ab"/></description></content></jingle>');
    expect(() => parseJingle(el)).toThrow(expect.objectContaining({ code: 'bad-request' }));
  });

  it('parseJingle() with an ssrc above 2^32-1 throws bad-request', () => {
    const el = parseXml('<jingle xmlns="urn:xmpp:jingle:1" action="source-add" sid="s"><content name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="4294967296"/></description></content></jingle>');
    expect(() => parseJingle(el)).toThrow(/ssrc/);
  });

  it('parseJingle() without sid or with an unknown action throws bad-request', () => {
    expect(() => parseJingle(parseXml('<jingle xmlns="urn:xmpp:jingle:1" action="session-accept"/>'))).toThrow(/sid/);
    expect(() => parseJingle(parseXml('<jingle xmlns="urn:xmpp:jingle:1" action="explode" sid="x"/>'))).toThrow(/action/);
  });

  it('parseJingle() with malformed JSON sources throws bad-request', () => {
    const el = parseXml('<jingle xmlns="urn:xmpp:jingle:1" action="source-add" sid="s"><json-message xmlns="http://jitsi.org/jitmeet">{"sources":{"a":[[{"s":-1}]]}}</json-message></jingle>');
    expect(() => parseJingle(el)).toThrow(expect.objectContaining({ code: 'bad-request' }));
  });

  it('parseJingle() refuses JSON sources nested deeply or with too many entries, before parsing them', () => {
    const wrap = (json: string) => parseXml(`<jingle xmlns="urn:xmpp:jingle:1" action="source-add" sid="s"><json-message xmlns="http://jitsi.org/jitmeet">${json}</json-message></jingle>`);
    expect(() => parseJingle(wrap(`{"sources":{"a":${'['.repeat(12_000)}${']'.repeat(12_000)}}}`))).toThrow(/nested deeper than 6/);
    const many = Array.from({ length: 300 }, (_, i) => `{"s":${i + 1}}`).join(',');
    expect(() => parseJingle(wrap(`{"sources":{"a":[[${many}],[],[]]}}`))).toThrow(/more than 256 entries/);
    expect(() => parseJingle(wrap(`{"sources":{"a":[[{"s":1,"n":"${'n'.repeat(300)}"}],[],[]]}}`))).toThrow(/longer than 256/);
  });
});
