import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { Av1Structure, readAv1Descriptor } from './av1-dependency-descriptor.ts';
import { Vp9Descriptor } from './rtp.ts';

/**
 * The dependency descriptor of a keyframe as Chrome sent it for lib-jitsi-meet's AV1 L2T3_KEY
 * 360p camera (captured on the media node during the AV1 interop run): start and end of the
 * frame, template 0, frame 13, with the template dependency structure (10 templates, 2 spatial
 * layers of 180 and 360 lines, 3 temporal layers).
 */
const KEYFRAME_DD = 'c0000d800514853aaaa8018004004002a02a0060010015d34514174d144c700874321651118543276809f8059813f80b38';
const DD_ID = 11;

/** An RTP packet with `dd` as header extension DD_ID (two-byte form: it may exceed 16 bytes). */
function packet(dd: Buffer, seq = 1): Buffer {
  const p = new RtpPacket(new RtpHeader({ payloadType: 41, sequenceNumber: seq, timestamp: 3000, ssrc: 5, extension: true, extensionProfile: 0x1000,
    extensions: [{ id: DD_ID, payload: dd }] }), Buffer.from([0x18, 1, 2, 3]));
  return p.serialize();
}

describe('readAv1Descriptor()', () => {
  it('reads Chrome\'s L2T3_KEY structure from a keyframe: layers, heights, k-SVC, and the keyframe\'s base layer frame', () => {
    const s = new Av1Structure();
    const d = new Vp9Descriptor();
    expect(readAv1Descriptor(packet(Buffer.from(KEYFRAME_DD, 'hex')), DD_ID, s, d)).toBe(true);
    expect(s.known).toBe(true);
    expect(s.templateCount).toBe(10);
    expect(s.spatialLayers).toBe(2);
    expect([...s.heights.slice(0, 2)]).toEqual([180, 360]);
    expect(s.fullSvc).toBe(false);
    expect([...s.spatialId.slice(0, 10)]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect([...s.temporalId.slice(0, 10)]).toEqual([0, 0, 1, 2, 2, 0, 0, 1, 2, 2]);
    expect(d).toMatchObject({ valid: true, start: true, end: true, sid: 0, tid: 0, interPicture: false, interLayer: false, ssLayers: 2 });
    expect(d.keyframeStart).toBe(true);
    expect([...d.ssHeights.slice(0, 2)]).toEqual([180, 360]);
  });

  it('reads later frames by template: the keyframe\'s upper layer predicts from the one below; a later upper-layer frame only from its own layer', () => {
    const s = new Av1Structure();
    const d = new Vp9Descriptor();
    readAv1Descriptor(packet(Buffer.from(KEYFRAME_DD, 'hex')), DD_ID, s, d);
    const mandatory = (templateIndex: number, start: boolean, end: boolean) => Buffer.from([
      (start ? 0x80 : 0) | (end ? 0x40 : 0) | ((templateIndex + s.templateIdOffset) % 64), 0x00, 0x0e]);
    expect(readAv1Descriptor(packet(mandatory(5, true, false)), DD_ID, s, d)).toBe(true);
    expect(d).toMatchObject({ sid: 1, tid: 0, interLayer: true, interPicture: false, start: true, end: false, notUpperReference: false, ssLayers: 0 });
    expect(d.keyframeStart).toBe(false);
    readAv1Descriptor(packet(mandatory(7, true, true)), DD_ID, s, d);
    expect(d).toMatchObject({ sid: 1, tid: 1, interLayer: false, interPicture: true });
    readAv1Descriptor(packet(mandatory(1, true, true)), DD_ID, s, d);
    // k-SVC: a later base layer frame is no reference for the layer above.
    expect(d).toMatchObject({ sid: 0, tid: 0, interPicture: true, notUpperReference: true });
  });

  it('refuses what it cannot place: no structure yet, an unknown template, a truncated extension, no extension', () => {
    const s = new Av1Structure();
    const d = new Vp9Descriptor();
    expect(readAv1Descriptor(packet(Buffer.from([0xc5, 0, 1])), DD_ID, s, d)).toBe(false);
    readAv1Descriptor(packet(Buffer.from(KEYFRAME_DD, 'hex')), DD_ID, s, d);
    expect(readAv1Descriptor(packet(Buffer.from([0xc0 | ((10 + s.templateIdOffset) % 64), 0, 1])), DD_ID, s, d)).toBe(false);
    expect(readAv1Descriptor(packet(Buffer.from(KEYFRAME_DD, 'hex').subarray(0, 12)), DD_ID, new Av1Structure(), d)).toBe(false);
    expect(readAv1Descriptor(packet(Buffer.from([0xc0, 0])), DD_ID, s, d)).toBe(false);
    expect(readAv1Descriptor(packet(Buffer.from(KEYFRAME_DD, 'hex')), 3, s, d)).toBe(false);
  });

  it('does not take the structure of a packet sent again (learn false)', () => {
    const s = new Av1Structure();
    const d = new Vp9Descriptor();
    expect(readAv1Descriptor(packet(Buffer.from(KEYFRAME_DD, 'hex')), DD_ID, s, d, false)).toBe(true);
    expect(s.known).toBe(false);
  });
});
