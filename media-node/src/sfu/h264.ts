/**
 * H.264 over RTP (RFC 6184, packetization mode 1) as the simulcast forwarder needs it: whether a
 * packet starts a keyframe, and the keyframe's height. Chrome sends each IDR access unit with its
 * sequence and picture parameter sets first (an STAP-A aggregating SPS and PPS, or single NAL
 * units); a receiver can only start decoding there, so the packet carrying the SPS is where a
 * layer starts or switches. The height comes from the SPS (H.264 §7.3.2.1.1: coded size in
 * macroblocks, field/frame coding, cropping).
 * @module
 */
import { payloadOffset } from './rtp.ts';

const NAL_SPS = 7;
const STAP_A = 24;
/** The biggest SPS read (they are tens of bytes). */
const MAX_SPS = 256;
const rbsp = Buffer.alloc(MAX_SPS);

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** An Exp-Golomb bit reader over {@link rbsp}. */
class SpsBits {
  pos = 0;
  end = 0;
  ok = true;

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.end) {
        this.ok = false;
        return 0;
      }
      v = v * 2 + ((rbsp[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (!this.ok || ++zeros > 31) {
        this.ok = false;
        return 0;
      }
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

const bits = new SpsBits();

/** The height in an SPS NAL unit (`nal`: its bytes, header included), or 0 if it cannot be read. */
export function spsHeight(nal: Buffer): number {
  // Remove emulation prevention (00 00 03 → 00 00) after the one-byte NAL header.
  let n = 0;
  let zeros = 0;
  for (let i = 1; i < nal.length && n < MAX_SPS; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    rbsp[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  const r = bits;
  r.pos = 0;
  r.end = n * 8;
  r.ok = true;
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  if (HIGH_PROFILES.has(profile)) {
    chroma = r.ue();
    if (chroma === 3) r.u(1);
    r.ue();
    r.ue();
    r.u(1);
    if (r.u(1) === 1) {
      for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) {
        if (r.u(1) === 0) continue;
        // scaling_list(): deltas until the next scale is 0.
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64) && r.ok; j++) {
          if (next !== 0) next = (last + r.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > 255) return 0;
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.u(1);
  r.ue(); // pic_width_in_mbs_minus1
  const heightInMapUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1);
  if (frameMbsOnly === 0) r.u(1);
  r.u(1); // direct_8x8_inference_flag
  let cropTop = 0;
  let cropBottom = 0;
  if (r.u(1) === 1) {
    r.ue();
    r.ue();
    cropTop = r.ue();
    cropBottom = r.ue();
  }
  if (!r.ok) return 0;
  const subHeight = chroma === 1 ? 2 : 1;
  const cropUnit = (chroma === 0 ? 1 : subHeight) * (2 - frameMbsOnly);
  const height = (2 - frameMbsOnly) * heightInMapUnits * 16 - cropUnit * (cropTop + cropBottom);
  return height > 0 && height <= 8192 ? height : 0;
}

/**
 * If this H.264 packet carries a sequence parameter set (a keyframe's access unit starts with it),
 * the height it gives; otherwise 0.
 */
export function h264KeyframeHeight(rtp: Buffer): number {
  let i = payloadOffset(rtp);
  const end = (rtp[0]! & 0x20) !== 0 ? rtp.length - (rtp[rtp.length - 1] ?? 0) : rtp.length;
  if (i < 0 || i >= end) return 0;
  const type = rtp[i]! & 0x1f;
  if (type === NAL_SPS) return spsHeight(rtp.subarray(i, end));
  if (type !== STAP_A) return 0;
  // STAP-A: 16-bit sizes, each followed by a NAL unit.
  i += 1;
  while (i + 2 < end) {
    const size = rtp.readUInt16BE(i);
    i += 2;
    if (size === 0 || i + size > end) return 0;
    if ((rtp[i]! & 0x1f) === NAL_SPS) return spsHeight(rtp.subarray(i, i + size));
    i += size;
  }
  return 0;
}
