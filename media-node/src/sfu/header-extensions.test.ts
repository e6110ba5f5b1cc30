import { describe, expect, it } from 'vitest';
import { buildConferenceModify, parseConferenceModify, parseXml, serialize } from '@edgemeet/protocol';
import { AUDIO_LEVEL_URI, DEFAULT_HEADER_EXTENSION_IDS, TRANSPORT_CC_URI, headerExtensionIds } from './header-extensions.ts';

describe('headerExtensionIds()', () => {
  it('reads the ids the focus gave in the endpoint\'s Colibri2 media (over the wire)', () => {
    const sent = buildConferenceModify({ meetingId: 'm', endpoints: [{ id: 'e', capabilities: [], medias: [
      { type: 'audio', payloadTypes: [], extmapAllowMixed: true, headerExtensions: [{ id: 7, uri: AUDIO_LEVEL_URI }, { id: 9, uri: TRANSPORT_CC_URI }] },
      { type: 'video', payloadTypes: [], extmapAllowMixed: true, headerExtensions: [{ id: 9, uri: TRANSPORT_CC_URI }] },
    ] }] });
    const medias = parseConferenceModify(parseXml(serialize(sent))).endpoints[0]!.medias!;
    expect(headerExtensionIds(medias)).toEqual({ audioLevel: 7, transportCc: 9, av1DependencyDescriptor: 11 });
  });

  it('falls back to the ids the focus has always used for what it did not send', () => {
    expect(headerExtensionIds([])).toEqual(DEFAULT_HEADER_EXTENSION_IDS);
    expect(headerExtensionIds([{ type: 'audio', payloadTypes: [], extmapAllowMixed: false, headerExtensions: [{ id: 3, uri: AUDIO_LEVEL_URI }] }]))
      .toEqual({ audioLevel: 3, transportCc: 5, av1DependencyDescriptor: 11 });
  });
});
