import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { h264KeyframeHeight, spsHeight } from './h264.ts';

/** SPS NAL units as Debian's ffmpeg (libx264) wrote them: 320x180 constrained baseline, 1280x720 high, 640x360 high 4:2:2. */
const SPS_180 = Buffer.from('6742c00bd901419f9f0110000003001000000300a0f142a480', 'hex');
const SPS_720 = Buffer.from('6764001facd9405005bb0110000003001000000300a0f1831960', 'hex');
const SPS_360_422 = Buffer.from('677a0016bcd940a02ff89c044000000300400000030283c58b6580', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');

const rtp = (payload: Buffer) => new RtpPacket(new RtpHeader({ payloadType: 107, sequenceNumber: 1, timestamp: 1, ssrc: 9 }), payload).serialize();

describe('H.264 keyframes', () => {
  it('reads the height of an SPS, cropping and emulation prevention included', () => {
    expect(spsHeight(SPS_180)).toBe(180);
    expect(spsHeight(SPS_720)).toBe(720);
    expect(spsHeight(SPS_360_422)).toBe(360);
    expect(spsHeight(SPS_180.subarray(0, 6))).toBe(0);
  });

  it('finds the SPS in a single NAL unit packet or an STAP-A (how Chrome starts an IDR access unit), and nowhere else', () => {
    expect(h264KeyframeHeight(rtp(SPS_720))).toBe(720);
    const stapA = Buffer.concat([Buffer.from([0x78]), Buffer.from([0, SPS_180.length]), SPS_180, Buffer.from([0, PPS.length]), PPS]);
    expect(h264KeyframeHeight(rtp(stapA))).toBe(180);
    const ppsFirst = Buffer.concat([Buffer.from([0x78]), Buffer.from([0, PPS.length]), PPS, Buffer.from([0, SPS_360_422.length]), SPS_360_422]);
    expect(h264KeyframeHeight(rtp(ppsFirst))).toBe(360);
    // An IDR fragment (FU-A start, type 5), a PPS alone, a truncated STAP-A: no keyframe start.
    expect(h264KeyframeHeight(rtp(Buffer.from([0x7c, 0x85, 1, 2, 3])))).toBe(0);
    expect(h264KeyframeHeight(rtp(PPS))).toBe(0);
    expect(h264KeyframeHeight(rtp(Buffer.from([0x78, 0, 40, 0x67, 0x42])))).toBe(0);
  });
});
