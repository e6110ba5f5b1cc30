/**
 * In-place reading and rewriting of plain RTP packets on the forwarding path: header length,
 * header-extension stripping (RFC 8285 one- and two-byte forms), VP8 keyframes (RFC 7741) and
 * the sequence-number / timestamp / SSRC fields a simulcast layer switch rewrites. Nothing here
 * allocates per packet.
 * @module
 */

/** Offset of the payload (after CSRCs and header extensions), or -1 for a malformed packet. */
export function payloadOffset(rtp: Buffer): number {
  if (rtp.length < 12) return -1;
  let at = 12 + (rtp[0]! & 0x0f) * 4;
  if ((rtp[0]! & 0x10) !== 0) {
    if (rtp.length < at + 4) return -1;
    at += 4 + rtp.readUInt16BE(at + 2) * 4;
  }
  return at <= rtp.length ? at : -1;
}

/**
 * Turns every header extension but the one with id `keepId` into padding (zero bytes), in place.
 * Forwarded packets must not carry the sender's `sdes:mid` (or rid): a receiver would bind the
 * SSRC to its own m-line with that mid and later refuse the real one (Chrome: "Failed to apply
 * demuxer criteria"), as JVB's header-extension stripper prevents.
 */
export function stripHeaderExtensions(rtp: Buffer, keepId: number): void {
  if (rtp.length < 12 || (rtp[0]! & 0x10) === 0) return;
  const at = 12 + (rtp[0]! & 0x0f) * 4;
  if (rtp.length < at + 4) return;
  const profile = rtp.readUInt16BE(at);
  const end = Math.min(rtp.length, at + 4 + rtp.readUInt16BE(at + 2) * 4);
  let i = at + 4;
  if (profile === 0xbede) {
    while (i < end) {
      const b = rtp[i]!;
      if (b === 0) { i++; continue; }
      const id = b >> 4;
      if (id === 15) return;
      const size = 1 + (b & 0x0f) + 1;
      if (id !== keepId) rtp.fill(0, i, Math.min(end, i + size));
      i += size;
    }
  } else if ((profile & 0xfff0) === 0x1000) {
    while (i < end) {
      const id = rtp[i]!;
      if (id === 0) { i++; continue; }
      if (i + 1 >= end) return;
      const size = 2 + rtp[i + 1]!;
      if (id !== keepId) rtp.fill(0, i, Math.min(end, i + size));
      i += size;
    }
  }
}

/**
 * Offset of the data of header extension `id` (RFC 8285, one- or two-byte form), or -1 if the
 * packet has none or is malformed.
 */
export function headerExtensionAt(rtp: Buffer, id: number): number {
  if (rtp.length < 12 || (rtp[0]! & 0x10) === 0) return -1;
  const at = 12 + (rtp[0]! & 0x0f) * 4;
  if (rtp.length < at + 4) return -1;
  const profile = rtp.readUInt16BE(at);
  const end = Math.min(rtp.length, at + 4 + rtp.readUInt16BE(at + 2) * 4);
  const oneByte = profile === 0xbede;
  if (!oneByte && (profile & 0xfff0) !== 0x1000) return -1;
  for (let i = at + 4; i < end;) {
    const b = rtp[i]!;
    if (b === 0) { i++; continue; }
    if (oneByte && b >> 4 === 15) return -1;
    const extId = oneByte ? b >> 4 : b;
    const dataAt = oneByte ? i + 1 : i + 2;
    const size = oneByte ? (b & 0x0f) + 1 : (rtp[i + 1] ?? 0);
    if (dataAt + size > end) return -1;
    if (extId === id) return dataAt;
    i = dataAt + size;
  }
  return -1;
}

/** Offset of the VP8 payload header after the RTP header and the VP8 payload descriptor, or -1. */
function vp8FrameStart(rtp: Buffer): number {
  let i = payloadOffset(rtp);
  if (i < 0 || i >= rtp.length) return -1;
  const d = rtp[i]!;
  // A frame starts in a packet with S=1 and partition index 0.
  if ((d & 0x10) === 0 || (d & 0x07) !== 0) return -1;
  i += 1;
  if ((d & 0x80) !== 0) {
    const x = rtp[i++];
    if (x === undefined) return -1;
    if ((x & 0x80) !== 0) i += (rtp[i]! & 0x80) !== 0 ? 2 : 1;
    if ((x & 0x40) !== 0) i += 1;
    if ((x & 0x30) !== 0) i += 1;
  }
  return i < rtp.length ? i : -1;
}

/** Whether this VP8 packet starts a keyframe. */
export function isVp8Keyframe(rtp: Buffer): boolean {
  const i = vp8FrameStart(rtp);
  return i >= 0 && (rtp[i]! & 0x01) === 0;
}

/** Height of the keyframe this VP8 packet starts (from the frame header), or 0. */
export function vp8KeyframeHeight(rtp: Buffer): number {
  const i = vp8FrameStart(rtp);
  if (i < 0 || (rtp[i]! & 0x01) !== 0 || i + 10 > rtp.length) return 0;
  if (rtp[i + 3] !== 0x9d || rtp[i + 4] !== 0x01 || rtp[i + 5] !== 0x2a) return 0;
  return rtp.readUInt16LE(i + 8) & 0x3fff;
}

/** RTCP packet types: sender report (RFC 3550 §6.4.1), transport-layer and payload-specific feedback (RFC 4585). */
export const RTCP_SR = 200;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;

/** A Picture Loss Indication for `mediaSsrc` (PSFB, FMT 1, 12 bytes). */
export function pli(mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81;
  b[1] = RTCP_PSFB;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}

const SR_SENDER_INFO_BYTES = 28;

/**
 * A copy of the sender-info part of an SR (no report blocks: those describe what the sender
 * receives, which is none of a receiver's business), for a receiver that knows the stream as
 * `ssrc`, with the RTP timestamp moved by `timestampOffset`. Null if `sr` is not a whole SR.
 */
export function senderInfoReport(sr: Buffer, ssrc: number, timestampOffset: number): Buffer | null {
  if (sr.length < SR_SENDER_INFO_BYTES || sr[1] !== RTCP_SR || (sr[0]! >> 6) !== 2) return null;
  const out = Buffer.from(sr.subarray(0, SR_SENDER_INFO_BYTES));
  out[0] = 0x80;
  out.writeUInt16BE(SR_SENDER_INFO_BYTES / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out.writeUInt32BE((out.readUInt32BE(16) + timestampOffset) % 0x1_0000_0000, 16);
  return out;
}

/**
 * The bitrate in a REMB (draft-alvestrand-rmcat-remb: PSFB, FMT 15, "REMB" identifier, 6-bit
 * exponent and 18-bit mantissa), or undefined if `psfb` is not a REMB.
 */
export function rembBitrate(psfb: Buffer): number | undefined {
  if (psfb.length < 20 || psfb[1] !== 206 || (psfb[0]! & 0x1f) !== 15 || psfb.toString('latin1', 12, 16) !== 'REMB') return undefined;
  const exp = psfb[17]! >> 2;
  const mantissa = ((psfb[17]! & 0x03) << 16) | psfb.readUInt16BE(18);
  return mantissa * 2 ** exp;
}

export const seqOf = (rtp: Buffer): number => rtp.readUInt16BE(2);
export const timestampOf = (rtp: Buffer): number => rtp.readUInt32BE(4);
export const ssrcOf = (rtp: Buffer): number => rtp.readUInt32BE(8);

/** Writes SSRC, sequence number and timestamp (wrapped to their field sizes). */
export function rewriteRtp(rtp: Buffer, ssrc: number, seq: number, timestamp: number): void {
  rtp.writeUInt32BE(ssrc >>> 0, 8);
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE(timestamp >>> 0, 4);
}
