/**
 * EBML (RFC 8794) element encoding for the Matroska/WebM writer: element IDs are written as their
 * own bytes, sizes as variable-length integers; an unknown size is all ones (RFC 8794 §6.2).
 * @module
 */
// Internal: not exported from the package entry

/** Matroska element IDs used here (RFC 9559 §5.1). */
export const ID = {
  EBML: 0x1a45dfa3, EBMLVersion: 0x4286, EBMLReadVersion: 0x42f7, EBMLMaxIDLength: 0x42f2, EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282, DocTypeVersion: 0x4287, DocTypeReadVersion: 0x4285,
  Segment: 0x18538067, Info: 0x1549a966, TimestampScale: 0x2ad7b1, MuxingApp: 0x4d80, WritingApp: 0x5741, Duration: 0x4489,
  DateUTC: 0x4461, Title: 0x7ba9, Void: 0xec,
  Tracks: 0x1654ae6b, TrackEntry: 0xae, TrackNumber: 0xd7, TrackUID: 0x73c5, TrackType: 0x83, FlagLacing: 0x9c, CodecID: 0x86,
  CodecPrivate: 0x63a2, CodecDelay: 0x56aa, SeekPreRoll: 0x56bb, Name: 0x536e, Video: 0xe0, PixelWidth: 0xb0, PixelHeight: 0xba,
  Audio: 0xe1, SamplingFrequency: 0xb5, Channels: 0x9f,
  Cluster: 0x1f43b675, Timestamp: 0xe7, SimpleBlock: 0xa3,
} as const;

/** The 8-byte "unknown size" (a live Segment whose end is not yet known). */
export const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function idBytes(id: number): Buffer {
  const len = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  const b = Buffer.alloc(len);
  b.writeUIntBE(id, 0, len);
  return b;
}

/** A data size as the shortest EBML variable-length integer (all-ones values are reserved). */
export function vint(n: number): Buffer {
  for (let len = 1; len <= 8; len++) {
    if (n < 2 ** (7 * len) - 1) {
      const b = Buffer.alloc(len);
      let v = n;
      for (let i = len - 1; i >= 0; i--) {
        b[i] = v % 256;
        v = Math.floor(v / 256);
      }
      b[0]! |= 1 << (8 - len);
      return b;
    }
  }
  throw new RangeError(`EBML size too large: ${n}`);
}

/** A size written with exactly 8 bytes (to patch a Segment's size in place later). */
export function vint8(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(Math.floor(n / 2 ** 8), 1, 6);
  b[7] = n % 256;
  b[0] = 0x01;
  return b;
}

export function element(id: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([idBytes(id), vint(body.length), body]);
}

export function uintElement(id: number, value: number | bigint): Buffer {
  let v = BigInt(value);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return element(id, Buffer.from(bytes));
}

export function floatElement(id: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return element(id, b);
}

export function stringElement(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'utf8'));
}

/** A Void element of exactly `total` bytes (2 ≤ total ≤ 128), kept for a later in-place write. */
export function voidElement(total: number): Buffer {
  if (total < 2 || total > 128) throw new RangeError('void size');
  return Buffer.concat([idBytes(ID.Void), vint(total - 2), Buffer.alloc(total - 2)]);
}

export { idBytes };
