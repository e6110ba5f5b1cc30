/**
 * The codecs and RTP header extensions the focus offers and tells the bridge about, in Jicofo's
 * payload-type numbering and order (jicofo-common reference.conf, CodecUtil): Opus 111,
 * telephone-event 126; VP8 100, VP9 101, AV1 41 and H.264 107 (constrained baseline, packetization
 * mode 1, as Jicofo), then their RTX 96, 97, 42 and 99, and AV1's dependency descriptor (header
 * extension 11). The node forwards all four (VP8 and H.264 simulcast, VP9 SVC from its payload
 * descriptor, AV1 SVC from its dependency descriptor). VP8 stays first, so a client that does not
 * reorder (our web app) answers VP8; lib-jitsi-meet reorders by its `codecPreferenceOrder` (AV1
 * first by default).
 * Transport-cc (header extension 5, as Jicofo numbers it) on both media: the bridge reports packet
 * arrival times back to each sender, whose send-side estimator adapts to the path; goog-remb lets
 * receivers tell the bridge their own downlink estimate.
 * @module
 */
import {
  HDREXT_ABS_SEND_TIME as ABS_SEND_TIME, HDREXT_AUDIO_LEVEL as AUDIO_LEVEL, HDREXT_AV1_DEPENDENCY_DESCRIPTOR as AV1_DD, HDREXT_MID as MID, HDREXT_TRANSPORT_CC as TRANSPORT_CC,
  type Colibri2Media, type HeaderExtension, type PayloadType, type RtpDescription,
} from '@edgemeet/protocol';

function audioPayloadTypes(): PayloadType[] {
  return [
    {
      id: 111, name: 'opus', clockrate: 48000, channels: 2,
      parameters: [{ name: 'minptime', value: '10' }, { name: 'useinbandfec', value: '1' }], rtcpFeedback: [{ type: 'transport-cc' }],
    },
    { id: 126, name: 'telephone-event', clockrate: 8000, parameters: [], rtcpFeedback: [] },
  ];
}

function videoFeedback(): PayloadType['rtcpFeedback'] {
  return [{ type: 'ccm', subtype: 'fir' }, { type: 'nack' }, { type: 'nack', subtype: 'pli' }, { type: 'goog-remb' }, { type: 'transport-cc' }];
}

function videoPayloadTypes(): PayloadType[] {
  return [
    { id: 100, name: 'VP8', clockrate: 90000, parameters: [], rtcpFeedback: videoFeedback() },
    { id: 101, name: 'VP9', clockrate: 90000, parameters: [], rtcpFeedback: videoFeedback() },
    { id: 41, name: 'AV1', clockrate: 90000, parameters: [], rtcpFeedback: videoFeedback() },
    {
      id: 107, name: 'H264', clockrate: 90000, rtcpFeedback: videoFeedback(),
      parameters: [{ name: 'profile-level-id', value: '42e01f' }, { name: 'level-asymmetry-allowed', value: '1' }, { name: 'packetization-mode', value: '1' }],
    },
    { id: 96, name: 'rtx', clockrate: 90000, parameters: [{ name: 'apt', value: '100' }], rtcpFeedback: [] },
    {
      id: 97, name: 'rtx', clockrate: 90000, parameters: [{ name: 'apt', value: '101' }],
      // As Jicofo offers VP9's RTX.
      rtcpFeedback: [{ type: 'ccm', subtype: 'fir' }, { type: 'nack' }, { type: 'nack', subtype: 'pli' }],
    },
    { id: 42, name: 'rtx', clockrate: 90000, parameters: [{ name: 'apt', value: '41' }], rtcpFeedback: [] },
    { id: 99, name: 'rtx', clockrate: 90000, parameters: [{ name: 'apt', value: '107' }], rtcpFeedback: [] },
  ];
}

function headerExtensions(media: 'audio' | 'video'): HeaderExtension[] {
  return media === 'audio'
    ? [{ id: 1, uri: AUDIO_LEVEL }, { id: 5, uri: TRANSPORT_CC }, { id: 10, uri: MID }]
    : [{ id: 3, uri: ABS_SEND_TIME }, { id: 5, uri: TRANSPORT_CC }, { id: 10, uri: MID }, { id: 11, uri: AV1_DD }];
}

/** The `<description/>` of an offered content, without sources. */
export function offerDescription(media: 'audio' | 'video'): RtpDescription {
  return {
    media,
    payloadTypes: media === 'audio' ? audioPayloadTypes() : videoPayloadTypes(),
    headerExtensions: headerExtensions(media),
    rtcpMux: true,
    extmapAllowMixed: true,
    maxptime: media === 'audio' ? 60 : undefined,
    sources: [],
    groups: [],
    rtcpFeedback: [],
  };
}

/** The `<media/>` elements of a Colibri2 endpoint: the same codecs as the offer. */
export function colibriMedia(): Colibri2Media[] {
  return (['audio', 'video'] as const).map((type) => ({
    type,
    payloadTypes: type === 'audio' ? audioPayloadTypes() : videoPayloadTypes(),
    headerExtensions: headerExtensions(type),
    extmapAllowMixed: true,
  }));
}
