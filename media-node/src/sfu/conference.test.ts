import { describe, expect, it } from 'vitest';
import { PictureLossIndication, RtcpPacketConverter, RtcpPayloadSpecificFeedback } from 'werift';
import { pli } from './conference.ts';

describe('pli()', () => {
  it('builds a PLI that an RTCP parser reads back with the media SSRC', () => {
    const [packet] = RtcpPacketConverter.deSerialize(pli(0xdeadbeef));
    expect(packet).toBeInstanceOf(RtcpPayloadSpecificFeedback);
    const feedback = (packet as RtcpPayloadSpecificFeedback).feedback;
    expect(feedback).toBeInstanceOf(PictureLossIndication);
    expect((feedback as PictureLossIndication).mediaSsrc).toBe(0xdeadbeef);
  });
});
