import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures.test-helper.ts';
import { parseXml, serialize, xml } from '../index.ts';
import { buildConferenceAnswer, buildConferenceRequest, parseConferenceAnswer, parseConferenceRequest, startMutedThresholds } from './conference-iq.ts';
import { buildMute, findMute, mutedMediaType } from './mute.ts';
import {
  buildBridgeNotAvailable, buildConferenceProperties, buildIdentity, buildJitsiPresence, hasBridgeNotAvailable, parseConferenceProperties,
  parseJitsiPresence,
} from './presence-extensions.ts';

const reparse = (els: ReturnType<typeof buildJitsiPresence>) => parseJitsiPresence(parseXml(serialize(xml('presence', null, ...els))));

describe('Jitsi presence extensions', () => {
  it('parseJitsiPresence() reads lib-jitsi-meet\'s join: stats id, caps, SourceInfo, codecs, nick, features', () => {
    expect(parseJitsiPresence(fixture('ljm-join-presence.xml'))).toEqual({
      statsId: 'Kasey-Lz4', caps: { hash: 'sha-1', node: 'https://jitsi.org/jitsi-meet', ver: 'Q3rUOpK6ZpPyrJbYPUwbPGgCnqA=' },
      sourceInfo: { 'a1b2c3d4-a0': { muted: false }, 'a1b2c3d4-v0': { muted: true } }, codecList: ['vp9', 'av1', 'h264', 'vp8'],
      nick: 'Alice', features: ['https://jitsi.org/meet/e2ee'],
    });
  });

  for (const name of ['ljm-join-presence.xml', 'muc-identity-presence.xml', 'muc-self-presence.xml']) {
    it(`parseJitsiPresence() → buildJitsiPresence() → parseJitsiPresence() round-trips ${name}`, () => {
      const first = parseJitsiPresence(fixture(name));
      expect(reparse(buildJitsiPresence(first))).toEqual(first);
    });
  }

  it('buildJitsiPresence() writes what the web app sends, in its order', () => {
    const els = buildJitsiPresence({
      nick: 'Alice', audioMuted: false, videoMuted: true, videoType: 'camera', raisedHand: '1712',
      sourceInfo: { 'a1-a0': { muted: false }, 'a1-v0': { muted: true, videoType: 'camera' } },
    });
    expect(els.map((e) => serialize(e)).join('')).toBe('<nick xmlns="http://jabber.org/protocol/nick">Alice</nick><audiomuted>false</audiomuted>'
      + '<videomuted>true</videomuted><videoType>camera</videoType><jitsi_participant_raisedHand>1712</jitsi_participant_raisedHand>'
      + '<SourceInfo>{"a1-a0":{"muted":false},"a1-v0":{"muted":true,"videoType":"camera"}}</SourceInfo>');
  });

  it('parseJitsiPresence() ignores a malformed, oversized or deep SourceInfo and non-boolean mute text', () => {
    for (const bad of ['not json', '[1]', `{"a":${'['.repeat(10)}${']'.repeat(10)}}`, JSON.stringify({ a: 'x'.repeat(20_000) })]) {
      expect(parseJitsiPresence(xml('presence', null, xml('SourceInfo', null, bad))).sourceInfo).toBeUndefined();
    }
    expect(parseJitsiPresence(xml('presence', null, xml('audiomuted', null, 'yes'))).audioMuted).toBeUndefined();
  });

  it('buildIdentity() writes the token user\'s fields that are present, in Prosody\'s order', () => {
    expect(serialize(buildIdentity({ name: 'Bob', id: 'u1' }))).toBe('<identity><user><id>u1</id><name>Bob</name></user></identity>');
  });

  it('buildConferenceProperties() → parseConferenceProperties() round-trips the focus presence; bridgeNotAvailable is seen', () => {
    const presence = fixture('focus-presence.xml');
    const props = parseConferenceProperties(presence)!;
    expect(props).toEqual({ 'support-terminate-restart': 'true', 'created-ms': '1712345678901' });
    expect(serialize(buildConferenceProperties(props))).toBe(serialize(presence.getChild('conference-properties')!));
    expect(hasBridgeNotAvailable(presence)).toBe(true);
    expect(hasBridgeNotAvailable(xml('presence', null, buildConferenceProperties({})))).toBe(false);
    expect(hasBridgeNotAvailable(xml('presence', null, buildConferenceProperties({}).cnode(buildBridgeNotAvailable()).up()))).toBe(true);
  });
});

describe('conference IQ codec', () => {
  it('parseConferenceRequest() → buildConferenceRequest() round-trips lib-jitsi-meet\'s request byte for byte', () => {
    const payload = fixture('focus-conference-request.xml').getChild('conference')!;
    const r = parseConferenceRequest(payload);
    expect(r).toEqual({
      room: 'r1@conference.meet.jitsi', machineUid: '7c3f0c2b9e8d4a6f1b5e3d2c1a0f9e8d',
      properties: { startAudioMuted: '9', rtcstatsEnabled: 'false', 'visitors-version': '1' },
    });
    expect(serialize(buildConferenceRequest(r))).toBe(serialize(payload));
  });

  it('startMutedThresholds() reads startAudioMuted/startVideoMuted as Jicofo\'s JitsiMeetConfig does (Java integers, else none)', () => {
    expect(startMutedThresholds(parseConferenceRequest(fixture('focus-conference-request.xml').getChild('conference')!).properties)).toEqual({ audio: 9, video: null });
    expect(startMutedThresholds({ startAudioMuted: '-1', startVideoMuted: '+3' })).toEqual({ audio: -1, video: 3 });
    for (const bad of ['', ' ', '9.5', 'ten', '0x10', '2147483648', '1e3']) {
      expect(startMutedThresholds({ startAudioMuted: bad, startVideoMuted: bad }), bad).toEqual({ audio: null, video: null });
    }
  });

  it('parseConferenceAnswer() → buildConferenceAnswer() round-trips Jicofo\'s ready answer byte for byte', () => {
    const payload = fixture('focus-conference-ready.xml').getChild('conference')!;
    const a = parseConferenceAnswer(payload);
    expect(a).toEqual({ room: 'r1@conference.meet.jitsi', ready: true, focusJid: 'focus@auth.meet.jitsi', properties: { authentication: 'false', 'visitors-supported': 'false' } });
    expect(serialize(buildConferenceAnswer(a))).toBe(serialize(payload));
  });

  it('parseConferenceRequest() of a bare <conference/> has an empty room and no properties', () => {
    expect(parseConferenceRequest(xml('conference'))).toEqual({ room: '', properties: {} });
  });
});

describe('mute IQ codec', () => {
  for (const [name, expected] of [
    ['mute-request.xml', { media: 'audio', mute: true, jid: 'r1@conference.meet.jitsi/9f8e7d6c' }],
    ['mute-by-focus.xml', { media: 'video', mute: true, actor: 'r1@conference.meet.jitsi/a1b2c3d4' }],
    ['ljm-2021-self-unmute.xml', { media: 'audio', mute: false, jid: 'r1@conference.meet.jitsi/bob' }],
  ] as const) {
    it(`findMute() → buildMute() round-trips ${name} byte for byte`, () => {
      const iq = fixture(name);
      const m = findMute(iq);
      expect(m).toEqual(expected);
      expect(serialize(buildMute(m!))).toBe(serialize(iq.getChild('mute')!));
    });
  }

  it('findMute() ignores a mute in another namespace; desktop mutes video', () => {
    expect(findMute(xml('iq', null, xml('mute', { xmlns: 'urn:example' }, 'true')))).toBeUndefined();
    expect(findMute(xml('iq', null, buildMute({ media: 'desktop', mute: true })))?.media).toBe('desktop');
    expect(mutedMediaType('desktop')).toBe('video');
  });
});
