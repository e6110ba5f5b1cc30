import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml/parse.ts';
import { FEATURE_SSRC_REWRITING, buildDiscoInfoGet, parseDiscoFeatures } from './disco-features.ts';
import { serialize } from '../xml/element.ts';

describe('disco#info features', () => {
  it('builds the question and reads the features of an answer', () => {
    expect(serialize(buildDiscoInfoGet('r@conference.meet.jitsi/abcd', 'd1'))).toBe(
      '<iq type="get" to="r@conference.meet.jitsi/abcd" id="d1"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>');
    const answer = parseXml(`<iq type="result" id="d1"><query xmlns="http://jabber.org/protocol/disco#info">
      <identity category="client" type="web" name="lib-jitsi-meet"/><feature var="urn:xmpp:jingle:1"/><feature var="${FEATURE_SSRC_REWRITING}"/><feature/></query></iq>`);
    expect(parseDiscoFeatures(answer)).toEqual(['urn:xmpp:jingle:1', FEATURE_SSRC_REWRITING]);
  });

  it('refuses what is not a disco#info result, and reads at most 200 features', () => {
    expect(parseDiscoFeatures(parseXml('<iq type="error" id="d1"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>'))).toBeNull();
    expect(parseDiscoFeatures(parseXml('<iq type="result" id="d1"/>'))).toBeNull();
    const many = Array.from({ length: 500 }, (_, i) => `<feature var="f${i}"/>`).join('');
    expect(parseDiscoFeatures(parseXml(`<iq type="result"><query xmlns="http://jabber.org/protocol/disco#info">${many}</query></iq>`))).toHaveLength(200);
  });
});
