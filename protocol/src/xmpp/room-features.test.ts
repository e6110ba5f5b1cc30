import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml/parse.ts';
import { parseJsonMessage } from './json-message.ts';
import {
  buildConferenceDurationMessage, buildRoomMetadataCommand, buildRoomMetadataMessage, buildSpeakerStatsMessage, isEndConferenceCommand,
  parseRoomMetadataUpdate, readRoomMetadataCommand, readSpeakerStatsReport, readStartMutedPolicy,
} from './room-features.ts';
import { StanzaError } from './stanza-error.ts';

const msg = (inner: string) => parseXml(`<message xmlns="jabber:client" to="c.meet.jitsi">${inner}</message>`);
const condition = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof StanzaError) return `${err.type}/${err.condition}`;
    throw err;
  }
};

describe('room feature wire formats', () => {
  it('readSpeakerStatsReport() reads lib-jitsi-meet\'s report; a message without one is ignored', () => {
    expect(readSpeakerStatsReport(msg('<speakerstats xmlns="http://jitsi.org/jitmeet" room="r@conference.meet.jitsi" silence="false"/>')))
      .toEqual({ room: 'r@conference.meet.jitsi', silence: false });
    expect(readSpeakerStatsReport(msg('<speakerstats xmlns="http://jitsi.org/jitmeet" room="r@c" silence="true"/>'))?.silence).toBe(true);
    expect(readSpeakerStatsReport(msg('<speakerstats room="r@c"/>'))).toBeNull();
    expect(readSpeakerStatsReport(msg('<body>hi</body>'))).toBeNull();
  });

  it('buildSpeakerStatsMessage() and buildConferenceDurationMessage() write what lib-jitsi-meet reads', () => {
    expect(parseJsonMessage(buildSpeakerStatsMessage({ abcd: { displayName: 'Ann', totalDominantSpeakerTime: 1500 } })))
      .toEqual({ type: 'speakerstats', users: { abcd: { displayName: 'Ann', totalDominantSpeakerTime: 1500 } } });
    expect(parseJsonMessage(buildConferenceDurationMessage(1_700_000_000_000))).toEqual({ type: 'conference_duration', created_timestamp: 1_700_000_000_000 });
  });

  it('isEndConferenceCommand() accepts <end_conference/> in the client namespace only', () => {
    expect(isEndConferenceCommand(msg('<end_conference/>'))).toBe(true);
    expect(isEndConferenceCommand(msg('<end_conference xmlns="urn:other"/>'))).toBe(false);
    expect(isEndConferenceCommand(msg('<body/>'))).toBe(false);
  });

  it('room_metadata: commands without content or room are ignored; bad JSON and missing data are refused as Prosody does', () => {
    const cmd = readRoomMetadataCommand(msg('<room_metadata xmlns="http://jitsi.org/jitmeet" room="r@c">{"key":"topic","data":{"t":1},"type":"room_metadata"}</room_metadata>'));
    expect(cmd).toEqual({ room: 'r@c', json: '{"key":"topic","data":{"t":1},"type":"room_metadata"}' });
    expect(parseRoomMetadataUpdate(cmd!.json)).toEqual({ key: 'topic', data: { t: 1 } });
    expect(readRoomMetadataCommand(msg('<room_metadata xmlns="http://jitsi.org/jitmeet" room="r@c"></room_metadata>'))).toBeNull();
    expect(readRoomMetadataCommand(msg('<room_metadata xmlns="http://jitsi.org/jitmeet">{"key":"a","data":1}</room_metadata>'))).toBeNull();
    expect(readRoomMetadataCommand(msg('<body>x</body>'))).toBeNull();
    // key not a string: ignored (mod_room_metadata_component returns true)
    expect(parseRoomMetadataUpdate('{"key":5,"data":1}')).toBeNull();
    for (const bad of ['{"key":"a"', '{"key":"a"}', '{"key":"a","data":null}', '[1]', '"x"', `{"key":"a","data":${'['.repeat(20)}${']'.repeat(20)}}`,
      `{"key":"a","data":"${'x'.repeat(5000)}"}`]) {
      expect(condition(() => parseRoomMetadataUpdate(bad)), bad.slice(0, 40)).toBe('cancel/service-unavailable');
    }
  });

  it('buildRoomMetadataCommand() writes what lib-jitsi-meet\'s setMetadata() sends; the component reads it back', () => {
    const el = buildRoomMetadataCommand('r@c', 'startMuted', { audio: true, video: false });
    const cmd = readRoomMetadataCommand(parseXml(`<message xmlns="jabber:client" to="metadata.meet.jitsi">${el.toString()}</message>`));
    expect(cmd?.room).toBe('r@c');
    expect(parseRoomMetadataUpdate(cmd!.json)).toEqual({ key: 'startMuted', data: { audio: true, video: false } });
  });

  it('readStartMutedPolicy() reads the metadata\'s startMuted as Jicofo does: only true counts', () => {
    expect(readStartMutedPolicy({ startMuted: { audio: true, video: false } })).toEqual({ audio: true, video: false });
    expect(readStartMutedPolicy({ startMuted: { video: true } })).toEqual({ audio: false, video: true });
    expect(readStartMutedPolicy({ startMuted: { audio: 'true', video: 1 } })).toEqual({ audio: false, video: false });
    for (const none of [{}, { startMuted: null }, { startMuted: [true] }, { startMuted: 'audio' }]) {
      expect(readStartMutedPolicy(none)).toEqual({ audio: false, video: false });
    }
  });

  it('buildRoomMetadataMessage() carries the room and the whole metadata', () => {
    const el = buildRoomMetadataMessage('r@c', { topic: { t: 1 } });
    expect(el.attrs).toMatchObject({ xmlns: 'http://jitsi.org/jitmeet', room: 'r@c' });
    expect(parseJsonMessage(el)).toEqual({ type: 'room_metadata', metadata: { topic: { t: 1 } } });
  });
});
