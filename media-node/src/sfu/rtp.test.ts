import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { headerExtensionAt, isVp8Keyframe, payloadOffset, rembBitrate, rewriteRtp, senderInfoReport, seqOf, ssrcOf, stripHeaderExtensions, timestampOf, vp8KeyframeHeight } from './rtp.ts';

/** A packet built by werift's serializer (an independent implementation) with the given extensions. */
function packet(extensions: Array<{ id: number; payload: Buffer }>, payload: Buffer, opts: { twoByte?: boolean } = {}): Buffer {
  const header = new RtpHeader({
    payloadType: 100, sequenceNumber: 65535, timestamp: 4_294_967_000, ssrc: 0x11223344, marker: true,
    extension: extensions.length > 0, extensionProfile: opts.twoByte ? 0x1000 : 0xbede, extensions,
  });
  return new RtpPacket(header, payload).serialize();
}

/** A VP8 payload: descriptor (X, S, picture id 15 bits) + the first bytes of a keyframe of 640x360. */
function vp8Keyframe(width = 640, height = 360): Buffer {
  const frame = Buffer.from([0x10 | 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0, 0xaa, 0xbb]);
  frame.writeUInt16LE(width, 6);
  frame.writeUInt16LE(height, 8);
  return Buffer.concat([Buffer.from([0x90, 0x80, 0x81, 0x23]), frame]);
}

describe('rtp helpers', () => {
  it('payloadOffset() skips CSRCs and header extensions; refuses truncated packets', () => {
    const p = packet([{ id: 1, payload: Buffer.from([0x85]) }, { id: 10, payload: Buffer.from('1') }], Buffer.from('payload'));
    expect(p.subarray(payloadOffset(p)).toString()).toBe('payload');
    expect(payloadOffset(Buffer.alloc(8))).toBe(-1);
    expect(payloadOffset(p.subarray(0, 14))).toBe(-1);
  });

  it('stripHeaderExtensions() turns refused extensions (one-byte form) into padding a parser skips', () => {
    const p = packet([{ id: 1, payload: Buffer.from([0x85]) }, { id: 10, payload: Buffer.from('0') }, { id: 3, payload: Buffer.from([1, 2, 3]) }], Buffer.from('x'));
    stripHeaderExtensions(p, 1);
    const parsed = RtpPacket.deSerialize(p);
    expect(parsed.header.extensions.map((e) => e.id)).toEqual([1]);
    expect(parsed.header.extensions[0]!.payload).toEqual(Buffer.from([0x85]));
    expect(parsed.payload.toString()).toBe('x');
  });

  it('stripHeaderExtensions() handles the two-byte form too', () => {
    const p = packet([{ id: 1, payload: Buffer.from([0x85]) }, { id: 10, payload: Buffer.from('mid-1') }], Buffer.from('y'), { twoByte: true });
    stripHeaderExtensions(p, 1);
    const parsed = RtpPacket.deSerialize(p);
    expect(parsed.header.extensions.map((e) => e.id)).toEqual([1]);
    expect(parsed.payload.toString()).toBe('y');
  });

  it('isVp8Keyframe() / vp8KeyframeHeight() read a keyframe start and its size; other packets are not keyframes', () => {
    const key = packet([], vp8Keyframe(640, 360));
    expect(isVp8Keyframe(key)).toBe(true);
    expect(vp8KeyframeHeight(key)).toBe(360);
    const delta = Buffer.from(key);
    delta[payloadOffset(delta) + 4] = 0x01; // P bit set: an interframe
    expect(isVp8Keyframe(delta)).toBe(false);
    expect(vp8KeyframeHeight(delta)).toBe(0);
    const continuation = Buffer.from(key);
    continuation[payloadOffset(continuation)] = 0x80; // S=0: not the start of a frame
    expect(isVp8Keyframe(continuation)).toBe(false);
    expect(vp8KeyframeHeight(packet([], Buffer.from([0x10])))).toBe(0);
  });

  it('rewriteRtp() sets SSRC, sequence number and timestamp with wrap-around', () => {
    const p = packet([], Buffer.from('z'));
    rewriteRtp(p, 0xcafebabe, 65536 + 5, 2 ** 32 + 7);
    expect([ssrcOf(p), seqOf(p), timestampOf(p)]).toEqual([0xcafebabe, 5, 7]);
  });
});

describe('senderInfoReport()', () => {
  it('keeps the sender info of an SR, drops its report blocks, renames the SSRC and moves the RTP timestamp', async () => {
    const { RtcpSrPacket, RtcpSenderInfo, RtcpReceiverInfo, RtcpPacketConverter } = await import('werift');
    const sr = new RtcpSrPacket({
      ssrc: 0x11111111,
      senderInfo: new RtcpSenderInfo({ ntpTimestamp: 0x0102030405060708n, rtpTimestamp: 4_294_967_000, packetCount: 50, octetCount: 5000 }),
      reports: [new RtcpReceiverInfo({ ssrc: 7, fractionLost: 0, packetsLost: 0, highestSequence: 1, jitter: 0, lsr: 0, dlsr: 0 })],
    }).serialize();
    const out = senderInfoReport(sr, 0x22222222, 1000)!;
    const [parsed] = RtcpPacketConverter.deSerialize(out) as InstanceType<typeof RtcpSrPacket>[];
    expect(parsed).toBeInstanceOf(RtcpSrPacket);
    expect(parsed!.ssrc).toBe(0x22222222);
    expect(parsed!.reports).toEqual([]);
    expect(parsed!.senderInfo.rtpTimestamp).toBe((4_294_967_000 + 1000) % 2 ** 32);
    expect(parsed!.senderInfo.ntpTimestamp).toBe(0x0102030405060708n);
    expect(parsed!.senderInfo.packetCount).toBe(50);
    expect(senderInfoReport(sr.subarray(0, 20), 1, 0)).toBeNull();
  });
});

describe('rembBitrate()', () => {
  it('reads the bitrate of a REMB and refuses other feedback', async () => {
    const { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } = await import('werift');
    const remb = new RtcpPayloadSpecificFeedback({
      feedback: new ReceiverEstimatedMaxBitrate({ senderSsrc: 1, mediaSsrc: 0, brExp: 5, brMantissa: 40_000, ssrcNum: 1, ssrcFeedbacks: [7] }),
    }).serialize();
    expect(rembBitrate(remb)).toBe(40_000 * 32);
    expect(rembBitrate(Buffer.from(remb).fill(0x41, 12, 16))).toBeUndefined();
    expect(rembBitrate(remb.subarray(0, 16))).toBeUndefined();
  });
});

describe('headerExtensionAt()', () => {
  it('finds an extension in the one-byte and the two-byte form, and nothing in a truncated one', () => {
    const oneByte = new RtpPacket(new RtpHeader({
      payloadType: 100, sequenceNumber: 1, timestamp: 1, ssrc: 1, extension: true, extensionProfile: 0xbede,
      extensions: [{ id: 1, payload: Buffer.from([0x85]) }, { id: 5, payload: Buffer.from([0x12, 0x34]) }],
    }), Buffer.from('x')).serialize();
    expect(oneByte.readUInt16BE(headerExtensionAt(oneByte, 5))).toBe(0x1234);
    expect(oneByte[headerExtensionAt(oneByte, 1)]).toBe(0x85);
    expect(headerExtensionAt(oneByte, 3)).toBe(-1);
    // Two-byte form (RFC 8285 §4.3): profile 0x1000, id byte, length byte.
    const twoByte = Buffer.from([0x90, 100, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0x00, 0, 2, 7, 2, 0xab, 0xcd, 5, 1, 9, 0, 0x55]);
    expect(twoByte.readUInt16BE(headerExtensionAt(twoByte, 7))).toBe(0xabcd);
    expect(twoByte[headerExtensionAt(twoByte, 5)]).toBe(9);
    expect(headerExtensionAt(oneByte.subarray(0, 17), 5)).toBe(-1);
  });
});
