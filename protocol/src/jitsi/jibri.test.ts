import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures.test-helper.ts';
import { parseXml, serialize, xml } from '../index.ts';
import { NS_MUC } from '../xml/namespaces.ts';
import {
  JIBRI_ATTRIBUTE_MAX_CHARS, JibriFormatError, buildJibriIq, buildJibriStatus, buildRecorderOccupant, buildRecordingStatus, findJibri,
  isJibriAvailable, parseJibriIq, parseJibriStatus, parseRecorderOccupant, parseRecordingStatus,
} from './jibri.ts';

const SESSION = '5f0e0e52-7e59-4a4c-a1e5-7b5c7e6f0a11';

describe('Jibri IQ', () => {
  it('parseJibriIq() reads lib-jitsi-meet\'s start request', () => {
    expect(parseJibriIq(findJibri(fixture('jibri-start-request.xml'))!)).toEqual({
      action: 'start', recordingMode: 'file', appData: '{"file_recording_metadata":{"share":true}}',
    });
  });

  for (const name of ['jibri-start-request.xml', 'jibri-start-to-recorder.xml', 'jibri-status-off.xml']) {
    it(`parseJibriIq() → buildJibriIq() gives back the payload of ${name} byte for byte`, () => {
      const payload = findJibri(fixture(name))!;
      expect(serialize(buildJibriIq(parseJibriIq(payload)))).toBe(serialize(payload));
    });
  }

  it('parseJibriIq() reads a recorder\'s status with its failure and retry advice', () => {
    expect(parseJibriIq(findJibri(fixture('jibri-status-off.xml'))!)).toEqual({ status: 'off', failureReason: 'error', shouldRetry: true });
  });

  it('parseJibriIq() reads unknown enumeration values as absent (Jicofo\'s UNDEFINED) and empty text as absent', () => {
    const el = xml('jibri', { xmlns: 'http://jitsi.org/protocol/jibri', action: 'pause', status: 'maybe', recording_mode: 'tape', failure_reason: 'x', streamid: '' });
    expect(parseJibriIq(el)).toEqual({});
  });

  it('parseJibriIq() refuses an attribute longer than the bound', () => {
    const el = xml('jibri', { xmlns: 'http://jitsi.org/protocol/jibri', action: 'start', app_data: 'x'.repeat(JIBRI_ATTRIBUTE_MAX_CHARS + 1) });
    expect(() => parseJibriIq(el)).toThrow(JibriFormatError);
  });

  it('buildJibriIq() writes a stream start with its stream id and broadcast id', () => {
    const el = buildJibriIq({ action: 'start', recordingMode: 'stream', streamId: 'key-1', youTubeBroadcastId: 'b1', sessionId: SESSION });
    expect(serialize(el)).toBe(`<jibri xmlns="http://jitsi.org/protocol/jibri" action="start" recording_mode="stream" streamid="key-1" you_tube_broadcast_id="b1" session_id="${SESSION}"/>`);
    expect(parseJibriIq(parseXml(serialize(el)))).toEqual({ action: 'start', recordingMode: 'stream', streamId: 'key-1', youTubeBroadcastId: 'b1', sessionId: SESSION });
  });
});

describe('Jibri brewery status', () => {
  it('parseJibriStatus() → buildJibriStatus() round-trips the brewery presence byte for byte', () => {
    const presence = fixture('jibri-brewery-presence.xml');
    const status = parseJibriStatus(presence)!;
    expect(status).toEqual({ busy: 'idle', health: 'healthy' });
    expect(isJibriAvailable(status)).toBe(true);
    const rebuilt = xml('presence', { xmlns: 'jabber:client', to: presence.attrs.to }, xml('x', { xmlns: NS_MUC }), buildJibriStatus(status));
    expect(serialize(rebuilt)).toBe(serialize(presence));
  });

  it('parseJibriStatus() takes missing or unknown values as busy / unhealthy: never available', () => {
    const el = parseXml('<presence><jibri-status xmlns="http://jitsi.org/protocol/jibri"><busy-status xmlns="http://jitsi.org/protocol/jibri" status="idle"/></jibri-status></presence>');
    expect(parseJibriStatus(el)).toEqual({ busy: 'idle', health: 'unhealthy' });
    expect(isJibriAvailable(parseJibriStatus(el)!)).toBe(false);
    expect(isJibriAvailable({ busy: 'busy', health: 'healthy' })).toBe(false);
    expect(parseJibriStatus(parseXml('<presence/>'))).toBeUndefined();
  });
});

describe('recording status in the focus presence', () => {
  it('parseRecordingStatus() → buildRecordingStatus() round-trips the focus presence byte for byte', () => {
    const presence = fixture('focus-recording-status.xml');
    const status = parseRecordingStatus(presence)!;
    expect(status).toEqual({ status: 'on', sessionId: SESSION, recordingMode: 'file', initiator: 'myroom@conference.meet.jitsi/a1b2c3d4' });
    expect(serialize(buildRecordingStatus(status))).toBe(serialize(presence.getChildElements()[0]!));
  });

  it('buildRecordingStatus() writes off with a failure reason and no initiator', () => {
    expect(serialize(buildRecordingStatus({ status: 'off', sessionId: 's', recordingMode: 'file', failureReason: 'error' })))
      .toBe('<jibri-recording-status xmlns="http://jitsi.org/protocol/jibri" status="off" failure_reason="error" session_id="s" recording_mode="file"/>');
  });

  it('parseRecordingStatus() ignores a status it does not know', () => {
    expect(parseRecordingStatus(parseXml('<presence><jibri-recording-status xmlns="http://jitsi.org/protocol/jibri" status="paused"/></presence>'))).toBeUndefined();
  });
});

describe('recorder occupant', () => {
  it('parseRecorderOccupant() → buildRecorderOccupant() round-trips the recorder\'s join byte for byte', () => {
    const presence = fixture('recorder-join-presence.xml');
    const r = parseRecorderOccupant(presence)!;
    expect(r).toEqual({ sessionId: SESSION, mode: 'file' });
    const rebuilt = xml('presence', { xmlns: 'jabber:client', to: presence.attrs.to }, xml('x', { xmlns: NS_MUC }), ...buildRecorderOccupant(r));
    expect(serialize(rebuilt)).toBe(serialize(presence));
  });

  it('buildRecorderOccupant() adds the live stream\'s viewing URL; without a session id nothing is announced', () => {
    const els = buildRecorderOccupant({ sessionId: 's', mode: 'stream', liveStreamViewUrl: 'https://youtu.be/b1' });
    expect(parseRecorderOccupant(xml('presence', null, ...els))).toEqual({ sessionId: 's', mode: 'stream', liveStreamViewUrl: 'https://youtu.be/b1' });
    expect(parseRecorderOccupant(xml('presence', null, xml('mode', null, 'file')))).toBeUndefined();
  });
});
