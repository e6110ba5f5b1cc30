/**
 * Synthetic VP9 RTP packets for tests (RFC 9628 payload descriptor), shaped like Chrome's VP9 SVC:
 * one SSRC, 15-bit picture ids, layer indices with TL0PICIDX (non-flexible mode), the
 * scalability structure (sizes and a group of frames) on the first packet of each keyframe.
 * @module
 */
import { RtpHeader, RtpPacket } from 'werift';

export const VP9_PT = 101;
export const VP9_SSRC = 5001;
export const VP9_RTX = 5002;
/** Heights of the three spatial layers (640x360 captured, L3T3_KEY). */
export const VP9_HEIGHTS = [90, 180, 360];

export interface Vp9PacketOptions {
  seq: number;
  ts: number;
  pid: number;
  tl0: number;
  sid: number;
  tid?: number;
  /** B, E bits. */
  start: boolean;
  end: boolean;
  /** P: inter-picture predicted. */
  inter: boolean;
  /** D: depends on the spatial layer below. */
  interLayer?: boolean;
  /** Z: not a reference for the layer above. */
  notRef?: boolean;
  /** Heights for a scalability structure (V). */
  ss?: readonly number[];
  marker?: boolean;
  ssrc?: number;
  pt?: number;
  size?: number;
}

export function vp9Packet(o: Vp9PacketOptions): Buffer {
  const b0 = 0x80 | (o.inter ? 0x40 : 0) | 0x20 | (o.start ? 0x08 : 0) | (o.end ? 0x04 : 0) | (o.ss ? 0x02 : 0) | (o.notRef ? 0x01 : 0);
  const bytes = [b0, 0x80 | (o.pid >> 8), o.pid & 0xff, ((o.tid ?? 0) << 5) | 0x10 | (o.sid << 1) | (o.interLayer ? 1 : 0), o.tl0 & 0xff];
  if (o.ss) {
    bytes.push(((o.ss.length - 1) << 5) | 0x10 | 0x08);
    for (const h of o.ss) bytes.push(((h * 16) / 9) >> 8, ((h * 16) / 9) & 0xff, h >> 8, h & 0xff);
    // One frame in the group: TID 0, U, one reference one picture back.
    bytes.push(1, 0x10 | (1 << 2), 1);
  }
  const payload = Buffer.concat([Buffer.from(bytes), Buffer.alloc(o.size ?? 100, 0xab)]);
  return new RtpPacket(new RtpHeader({
    payloadType: o.pt ?? VP9_PT, sequenceNumber: o.seq & 0xffff, timestamp: o.ts, ssrc: o.ssrc ?? VP9_SSRC, marker: o.marker ?? false,
  }), payload).serialize();
}

export interface PictureOptions {
  /** Spatial layers sent (default 3). */
  layers?: number;
  key?: boolean;
  /** k-SVC (L3T3_KEY): lower layers of a delta picture are no reference for the layers above. Else full SVC (L3T3). */
  ksvc?: boolean;
  tid?: number;
  packetsPerLayer?: number;
}

/**
 * A stream of pictures: `next()` gives the packets of the next picture, layer by layer, with
 * sequence numbers running on.
 */
export class Vp9Stream {
  seq: number;
  pid = 100;
  tl0 = 10;
  ts = 90_000;
  constructor(firstSeq = 1000) {
    this.seq = firstSeq;
  }

  next(o: PictureOptions = {}): Buffer[] {
    const layers = o.layers ?? 3;
    const key = o.key ?? false;
    const ksvc = o.ksvc ?? true;
    const tid = key ? 0 : o.tid ?? 0;
    const per = o.packetsPerLayer ?? 2;
    if (tid === 0 && !key) this.tl0 = (this.tl0 + 1) & 0xff;
    const out: Buffer[] = [];
    for (let sid = 0; sid < layers; sid++) {
      for (let k = 0; k < per; k++) {
        out.push(vp9Packet({
          seq: this.seq++, ts: this.ts, pid: this.pid, tl0: this.tl0, sid, tid,
          start: k === 0, end: k === per - 1,
          inter: !key,
          interLayer: sid > 0 && (key || !ksvc),
          notRef: sid === layers - 1 || (!key && ksvc),
          ss: key && sid === 0 && k === 0 ? VP9_HEIGHTS.slice(0, layers) : undefined,
          marker: sid === layers - 1 && k === per - 1,
        }));
      }
    }
    this.pid = (this.pid + 1) & 0x7fff;
    this.ts += 3000;
    return out;
  }
}

export interface Vp9Fields { seq: number; ts: number; ssrc: number; marker: boolean; sid: number; pid: number; start: boolean; end: boolean }

/** The fields a test looks at in a forwarded VP9 packet. */
export function vp9Fields(p: Buffer): Vp9Fields {
  const r = RtpPacket.deSerialize(p);
  const d = r.payload;
  return {
    seq: r.header.sequenceNumber, ts: r.header.timestamp, ssrc: r.header.ssrc, marker: r.header.marker,
    sid: (d[3]! >> 1) & 0x07, pid: ((d[1]! & 0x7f) << 8) | d[2]!, start: (d[0]! & 0x08) !== 0, end: (d[0]! & 0x04) !== 0,
  };
}
