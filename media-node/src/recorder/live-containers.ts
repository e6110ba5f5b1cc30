/**
 * The two small containers the live stream's per-track decoders (ffmpeg) read from a pipe: IVF
 * for VP8/VP9 frames, Ogg Opus (RFC 7845) for Opus packets. Both carry each frame's time, are
 * written frame by frame, and need no seeking. Pure byte builders.
 * @module
 */
// Internal: not exported from the package entry

/** IVF file header (32 bytes); timestamps in ms. */
export function ivfHeader(codec: 'vp8' | 'vp9', width: number, height: number): Buffer {
  const b = Buffer.alloc(32);
  b.write('DKIF', 0, 'ascii');
  b.writeUInt16LE(0, 4);
  b.writeUInt16LE(32, 6);
  b.write(codec === 'vp8' ? 'VP80' : 'VP90', 8, 'ascii');
  b.writeUInt16LE(width & 0xffff, 12);
  b.writeUInt16LE(height & 0xffff, 14);
  b.writeUInt32LE(1000, 16);
  b.writeUInt32LE(1, 20);
  return b;
}

/** One IVF frame: its size, its timestamp (ms), the frame. */
export function ivfFrame(ptsMs: number, data: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(data.length, 0);
  h.writeBigInt64LE(BigInt(Math.max(0, Math.round(ptsMs))), 4);
  return Buffer.concat([h, data]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, initial 0). */
export function oggCrc(b: Buffer): number {
  let crc = 0;
  for (const byte of b) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** Writes one Opus stream as Ogg pages, one packet per page. */
export class OggOpusWriter {
  readonly #serial: number;
  #seq = 0;

  constructor(serial = 0x45444745) {
    this.#serial = serial;
  }

  #page(packet: Buffer, granule: bigint, flags: number): Buffer {
    const lacing: number[] = [];
    let n = packet.length;
    while (n >= 255) {
      lacing.push(255);
      n -= 255;
    }
    lacing.push(n);
    if (lacing.length > 255) throw new RangeError('an Opus packet too large for one Ogg page');
    const h = Buffer.alloc(27 + lacing.length);
    h.write('OggS', 0, 'ascii');
    h[4] = 0;
    h[5] = flags;
    h.writeBigInt64LE(granule, 6);
    h.writeUInt32LE(this.#serial, 14);
    h.writeUInt32LE(this.#seq++, 18);
    h[26] = lacing.length;
    lacing.forEach((v, i) => { h[27 + i] = v; });
    const page = Buffer.concat([h, packet]);
    page.writeUInt32LE(oggCrc(page), 22);
    return page;
  }

  /** OpusHead (2 channels, 48 kHz, no pre-skip: a live stream) and OpusTags. */
  header(): Buffer {
    const head = Buffer.alloc(19);
    head.write('OpusHead', 0, 'ascii');
    head[8] = 1;
    head[9] = 2;
    head.writeUInt32LE(48_000, 12);
    const vendor = Buffer.from('edgemeet');
    const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
    tags.write('OpusTags', 0, 'ascii');
    tags.writeUInt32LE(vendor.length, 8);
    vendor.copy(tags, 12);
    return Buffer.concat([this.#page(head, 0n, 0x02), this.#page(tags, 0n, 0)]);
  }

  /** A packet ending at `endSample` (48 kHz samples from the stream's start: the page's granule position). */
  packet(data: Buffer, endSample: number): Buffer {
    return this.#page(data, BigInt(Math.max(0, Math.round(endSample))), 0);
  }
}
