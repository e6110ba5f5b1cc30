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
 * Turns every header extension but those with ids `keepId` and `keepId2` into padding (zero bytes), in place.
 * Forwarded packets must not carry the sender's `sdes:mid` (or rid): a receiver would bind the
 * SSRC to its own m-line with that mid and later refuse the real one (Chrome: "Failed to apply
 * demuxer criteria"), as JVB's header-extension stripper prevents.
 */
export function stripHeaderExtensions(rtp: Buffer, keepId: number, keepId2 = -1): void {
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
      if (id !== keepId && id !== keepId2) rtp.fill(0, i, Math.min(end, i + size));
      i += size;
    }
  } else if ((profile & 0xfff0) === 0x1000) {
    while (i < end) {
      const id = rtp[i]!;
      if (id === 0) { i++; continue; }
      if (i + 1 >= end) return;
      const size = 2 + rtp[i + 1]!;
      if (id !== keepId && id !== keepId2) rtp.fill(0, i, Math.min(end, i + size));
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

/** Most spatial layers a VP9 scalability structure describes (N_S is 3 bits). */
export const VP9_MAX_SPATIAL = 8;

/**
 * The VP9 RTP payload descriptor of one packet (RFC 9628 §4.2), read in place by
 * {@link readVp9Descriptor} into a reused object: no allocation per packet.
 */
export class Vp9Descriptor {
  /** False when the packet is too short or malformed; the other fields are then meaningless. */
  valid = false;
  /** P: the frame is inter-picture predicted (0 in the layer frames of a keyframe). */
  interPicture = false;
  /** B, E: the packet starts / ends a layer frame. */
  start = false;
  end = false;
  /** F: flexible mode (references listed as P_DIFFs, no TL0PICIDX). */
  flexible = false;
  /** Z: the frame is not used for inter-layer prediction by the layer above. */
  notUpperReference = false;
  /** Picture id (7 or 15 bits), -1 without one; its offset and width in bits. */
  pictureId = -1;
  pictureIdAt = -1;
  pictureIdBits = 0;
  /** Layer indices (L): temporal and spatial id, U (switching up point), D (inter-layer dependency). */
  tid = 0;
  sid = 0;
  switchingUp = false;
  interLayer = false;
  /** TL0PICIDX (non-flexible mode with layer indices), -1 without one; its offset. */
  tl0PicIdx = -1;
  tl0PicIdxAt = -1;
  /** Spatial layers of a scalability structure (V) in this packet, 0 without one; their heights (0 unknown). */
  ssLayers = 0;
  readonly ssHeights = new Int32Array(VP9_MAX_SPATIAL);
  /** Offset of the VP9 frame data after the descriptor. */
  dataAt = -1;

  /** The packet starts the base layer frame of a keyframe (not inter-picture predicted, spatial layer 0). */
  get keyframeStart(): boolean {
    return this.valid && this.start && !this.interPicture && this.sid === 0;
  }
}

/**
 * Reads the VP9 payload descriptor of `rtp` into `d`; returns `d.valid`. `at`: where the payload
 * starts (after an RTX packet's original sequence number, say).
 */
export function readVp9Descriptor(rtp: Buffer, d: Vp9Descriptor, at = payloadOffset(rtp)): boolean {
  d.valid = false;
  d.pictureId = -1;
  d.pictureIdAt = -1;
  d.pictureIdBits = 0;
  d.tid = 0;
  d.sid = 0;
  d.switchingUp = false;
  d.interLayer = false;
  d.tl0PicIdx = -1;
  d.tl0PicIdxAt = -1;
  d.ssLayers = 0;
  let i = at;
  // RTP padding (P bit) is not payload: a padding-only packet has no descriptor.
  const n = (rtp[0]! & 0x20) !== 0 ? rtp.length - (rtp[rtp.length - 1] ?? 0) : rtp.length;
  if (i < 0 || i >= n) return false;
  const b = rtp[i++]!;
  const hasPid = (b & 0x80) !== 0;
  d.interPicture = (b & 0x40) !== 0;
  const hasLayers = (b & 0x20) !== 0;
  d.flexible = (b & 0x10) !== 0;
  d.start = (b & 0x08) !== 0;
  d.end = (b & 0x04) !== 0;
  const hasSs = (b & 0x02) !== 0;
  d.notUpperReference = (b & 0x01) !== 0;
  if (hasPid) {
    if (i >= n) return false;
    d.pictureIdAt = i;
    if ((rtp[i]! & 0x80) !== 0) {
      if (i + 2 > n) return false;
      d.pictureId = rtp.readUInt16BE(i) & 0x7fff;
      d.pictureIdBits = 15;
      i += 2;
    } else {
      d.pictureId = rtp[i]!;
      d.pictureIdBits = 7;
      i += 1;
    }
  }
  if (hasLayers) {
    if (i >= n) return false;
    const l = rtp[i++]!;
    d.tid = l >> 5;
    d.switchingUp = (l & 0x10) !== 0;
    d.sid = (l >> 1) & 0x07;
    d.interLayer = (l & 0x01) !== 0;
    if (!d.flexible) {
      if (i >= n) return false;
      d.tl0PicIdxAt = i;
      d.tl0PicIdx = rtp[i++]!;
    }
  }
  if (d.flexible && d.interPicture) {
    // Up to three P_DIFFs, each with N set when another follows.
    for (let k = 0; k < 3; k++) {
      if (i >= n) return false;
      if ((rtp[i++]! & 0x01) === 0) break;
    }
  }
  if (hasSs) {
    if (i >= n) return false;
    const s = rtp[i++]!;
    d.ssLayers = (s >> 5) + 1;
    const hasSizes = (s & 0x10) !== 0;
    const hasGof = (s & 0x08) !== 0;
    d.ssHeights.fill(0);
    if (hasSizes) {
      if (i + 4 * d.ssLayers > n) return false;
      for (let k = 0; k < d.ssLayers; k++) d.ssHeights[k] = rtp.readUInt16BE(i + 4 * k + 2);
      i += 4 * d.ssLayers;
    }
    if (hasGof) {
      if (i >= n) return false;
      const groups = rtp[i++]!;
      for (let g = 0; g < groups; g++) {
        if (i >= n) return false;
        const refs = (rtp[i++]! >> 2) & 0x03;
        i += refs;
      }
      if (i > n) return false;
    }
  }
  d.dataAt = i;
  d.valid = true;
  return true;
}
