/**
 * An append-only WebM (Matroska) writer for encoded frames as received: no re-encoding. The
 * Segment has an unknown size and each Cluster is written whole, with its size, as soon as it
 * is complete, so a process killed mid-way leaves a file that plays up to its last cluster. A
 * clean close (or {@link repairWebm} after a kill) writes the Duration into the space kept for
 * it in Info and the Segment's real size. Timestamps are milliseconds from the file's start.
 * @module
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { ID, UNKNOWN_SIZE, element, floatElement, idBytes, stringElement, uintElement, vint, vint8, voidElement } from './ebml.ts';

export type TrackKind = 'audio' | 'video';
export type RecordedCodec = 'opus' | 'vp8' | 'vp9';

export interface WebmTrackSpec {
  readonly kind: TrackKind;
  readonly codec: RecordedCodec;
  /** Video: the size of the first keyframe. */
  readonly width?: number;
  readonly height?: number;
}

export interface WebmWriterOptions {
  readonly path: string;
  readonly tracks: readonly WebmTrackSpec[];
  readonly title: string;
  /** Wall time of timestamp 0 (Matroska DateUTC). */
  readonly startedAtMs: number;
  /** Longest cluster; also the most a kill -9 loses of what has been handed over. */
  readonly clusterMs: number;
}

export interface WebmSummary {
  readonly durationMs: number;
  readonly bytes: number;
  readonly blocks: number;
}

interface Block { track: number; ts: number; data: Buffer; keyframe: boolean }

const CODEC_ID: Record<RecordedCodec, string> = { opus: 'A_OPUS', vp8: 'V_VP8', vp9: 'V_VP9' };
/** Opus pre-skip the encoder's first samples (RFC 7845 §4.2), as browsers use. */
const OPUS_PRE_SKIP = 312;
/** The Void in Info that a Duration element (ID 2 + size 1 + float 8) replaces. */
const DURATION_SLOT = 11;
/** The last audio frame's length, added to the last timestamp for the Duration. */
const LAST_FRAME_MS = 20;

function opusHead(): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'ascii');
  b[8] = 1;
  b[9] = 2;
  b.writeUInt16LE(OPUS_PRE_SKIP, 10);
  b.writeUInt32LE(48_000, 12);
  return b;
}

function trackEntry(spec: WebmTrackSpec, number: number): Buffer {
  const common = [uintElement(ID.TrackNumber, number), uintElement(ID.TrackUID, number), uintElement(ID.FlagLacing, 0), stringElement(ID.CodecID, CODEC_ID[spec.codec])];
  if (spec.kind === 'audio') {
    return element(ID.TrackEntry, ...common, uintElement(ID.TrackType, 2), element(ID.CodecPrivate, opusHead()),
      uintElement(ID.CodecDelay, Math.round((OPUS_PRE_SKIP / 48_000) * 1e9)), uintElement(ID.SeekPreRoll, 80_000_000),
      element(ID.Audio, floatElement(ID.SamplingFrequency, 48_000), uintElement(ID.Channels, 2)));
  }
  return element(ID.TrackEntry, ...common, uintElement(ID.TrackType, 1),
    element(ID.Video, uintElement(ID.PixelWidth, spec.width ?? 0), uintElement(ID.PixelHeight, spec.height ?? 0)));
}

/** Matroska DateUTC: nanoseconds since 2001-01-01T00:00:00Z. */
const MATROSKA_EPOCH_MS = Date.UTC(2001, 0, 1);

export class WebmWriter {
  readonly path: string;
  readonly tracks: readonly WebmTrackSpec[];
  readonly #fd: number;
  readonly #clusterMs: number;
  readonly #segmentSizeAt: number;
  readonly #durationAt: number;
  #bytes = 0;
  #pending: Block[] = [];
  #cluster: Block[] = [];
  #clusterStart = 0;
  #lastTs = 0;
  #blocks = 0;
  #closed: WebmSummary | null = null;

  constructor(o: WebmWriterOptions) {
    this.path = o.path;
    this.tracks = o.tracks;
    this.#clusterMs = o.clusterMs;
    this.#fd = openSync(o.path, 'wx', 0o640);
    const header = element(ID.EBML, uintElement(ID.EBMLVersion, 1), uintElement(ID.EBMLReadVersion, 1), uintElement(ID.EBMLMaxIDLength, 4),
      uintElement(ID.EBMLMaxSizeLength, 8), stringElement(ID.DocType, 'webm'), uintElement(ID.DocTypeVersion, 4), uintElement(ID.DocTypeReadVersion, 2));
    const info = element(ID.Info, uintElement(ID.TimestampScale, 1_000_000), stringElement(ID.MuxingApp, 'edgemeet'), stringElement(ID.WritingApp, 'edgemeet recorder'),
      uintElement(ID.DateUTC, BigInt(Math.round(o.startedAtMs - MATROSKA_EPOCH_MS)) * 1_000_000n), stringElement(ID.Title, o.title.slice(0, 200)), voidElement(DURATION_SLOT));
    const tracks = element(ID.Tracks, ...o.tracks.map((t, i) => trackEntry(t, i + 1)));
    this.#segmentSizeAt = header.length + 4;
    this.#durationAt = this.#segmentSizeAt + 8 + info.length - DURATION_SLOT;
    this.#append(Buffer.concat([header, idBytes(ID.Segment), UNKNOWN_SIZE, info, tracks]));
  }

  /** The track number (1-based) of `kind`, or 0 when this file has none. */
  trackOf(kind: TrackKind): number {
    return this.tracks.findIndex((t) => t.kind === kind) + 1;
  }

  get durationMs(): number {
    return this.#lastTs;
  }

  /** Queues a frame; frames of different tracks may come in any order within what {@link writeUntil} has not passed. */
  add(track: number, ts: number, data: Buffer, keyframe: boolean): void {
    if (this.#closed || track < 1 || track > this.tracks.length) return;
    this.#pending.push({ track, ts: Math.max(0, Math.round(ts)), data, keyframe });
  }

  /** Writes every queued frame up to `ts` in timestamp order; closes clusters that are full. */
  writeUntil(ts: number): void {
    if (this.#closed) return;
    const ready = this.#pending.filter((b) => b.ts <= ts).sort((a, b) => a.ts - b.ts);
    this.#pending = this.#pending.filter((b) => b.ts > ts);
    for (const b of ready) this.#place(b);
    if (this.#cluster.length > 0 && ts >= this.#clusterStart + this.#clusterMs) this.#flushCluster();
  }

  #place(b: Block): void {
    // Interleaving is by timestamp; a frame that comes too late for its place is moved up to the
    // last written one rather than written out of order.
    b.ts = Math.max(b.ts, this.#lastTs);
    const isVideoKey = b.keyframe && this.tracks[b.track - 1]!.kind === 'video';
    // A cluster starts at each video keyframe (players seek there), or when the current one is full;
    // a block's offset in its cluster is a signed 16-bit number.
    if (this.#cluster.length > 0 && (isVideoKey || b.ts - this.#clusterStart >= this.#clusterMs || b.ts - this.#clusterStart > 30_000)) this.#flushCluster();
    if (this.#cluster.length === 0) this.#clusterStart = b.ts;
    this.#cluster.push(b);
    this.#lastTs = b.ts;
  }

  #flushCluster(): void {
    const blocks = this.#cluster.map((b) => {
      const head = Buffer.alloc(3);
      head.writeInt16BE(b.ts - this.#clusterStart, 0);
      head[2] = b.keyframe ? 0x80 : 0;
      return element(ID.SimpleBlock, vint(b.track), head, b.data);
    });
    this.#append(element(ID.Cluster, uintElement(ID.Timestamp, this.#clusterStart), ...blocks));
    this.#blocks += this.#cluster.length;
    this.#cluster = [];
  }

  #append(buf: Buffer): void {
    // One write per cluster: after a kill the file ends at a cluster boundary.
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off, this.#bytes + off);
    this.#bytes += buf.length;
  }

  /** Writes what is queued, the Duration and the Segment's size; safe to call twice. */
  close(): WebmSummary {
    if (this.#closed) return this.#closed;
    this.writeUntil(Number.MAX_SAFE_INTEGER);
    if (this.#cluster.length > 0) this.#flushCluster();
    const durationMs = this.#blocks > 0 ? this.#lastTs + LAST_FRAME_MS : 0;
    writeSync(this.#fd, floatElement(ID.Duration, durationMs), 0, DURATION_SLOT, this.#durationAt);
    writeSync(this.#fd, vint8(this.#bytes - this.#segmentSizeAt - 8), 0, 8, this.#segmentSizeAt);
    closeSync(this.#fd);
    this.#closed = { durationMs, bytes: this.#bytes, blocks: this.#blocks };
    return this.#closed;
  }
}

/** Reads an EBML variable-length integer at `at`: its value (null: unknown size) and length. */
function readVint(buf: Buffer, at: number, keepMarker = false): { value: number | null; length: number } | null {
  const first = buf[at];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23;
  if (at + length > buf.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + buf[at + i]!;
    if (buf[at + i] !== 0xff) allOnes = false;
  }
  return { value: allOnes && !keepMarker ? null : value, length };
}

export interface RepairResult {
  /** Timestamp of the last frame kept plus a frame, ms (0 if none). */
  readonly durationMs: number;
  /** Bytes cut off the end: a cluster the kill interrupted. */
  readonly truncatedBytes: number;
}

/**
 * Makes a WebM this writer left behind when killed whole again: cuts an incomplete last cluster
 * off, then writes the Duration (from the last block) and the Segment size, as close() would.
 * A file this writer closed cleanly is left as it is.
 */
export function repairWebm(path: string): RepairResult {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    const ebml = readVint(buf, 4);
    if (buf.readUInt32BE(0) !== ID.EBML || !ebml || ebml.value === null) throw new Error(`${path}: not an EBML file`);
    const segAt = 4 + ebml.length + ebml.value;
    if (buf.readUInt32BE(segAt) !== ID.Segment) throw new Error(`${path}: no Segment`);
    const segSize = readVint(buf, segAt + 4);
    if (!segSize || segSize.length !== 8) throw new Error(`${path}: not written by this writer`);
    const dataAt = segAt + 4 + 8;
    let at = dataAt;
    let durationSlot = -1;
    let lastTs = -1;
    let end = dataAt;
    while (at < size) {
      const id = readVint(buf, at, true);
      const len = id && readVint(buf, at + id.length);
      if (!id || !len || len.value === null || at + id.length + len.length + len.value > size) break;
      const bodyAt = at + id.length + len.length;
      const bodyEnd = bodyAt + len.value;
      if (id.value === ID.Info) {
        // The Void (or a Duration already written) ends Info.
        if (buf[bodyEnd - DURATION_SLOT] === ID.Void || buf.readUInt16BE(bodyEnd - DURATION_SLOT) === ID.Duration) durationSlot = bodyEnd - DURATION_SLOT;
      } else if (id.value === ID.Cluster) {
        let clusterTs = 0;
        for (let c = bodyAt; c < bodyEnd;) {
          const cid = readVint(buf, c, true);
          const clen = cid && readVint(buf, c + cid.length);
          if (!cid || !clen || clen.value === null) break;
          const cb = c + cid.length + clen.length;
          if (cid.value === ID.Timestamp) clusterTs = buf.readUIntBE(cb, clen.value);
          else if (cid.value === ID.SimpleBlock) {
            const track = readVint(buf, cb)!;
            lastTs = Math.max(lastTs, clusterTs + buf.readInt16BE(cb + track.length));
          }
          c = cb + clen.value;
        }
      }
      at = bodyEnd;
      end = bodyEnd;
    }
    if (end < size) ftruncateSync(fd, end);
    const durationMs = lastTs >= 0 ? lastTs + LAST_FRAME_MS : 0;
    if (durationSlot >= 0) writeSync(fd, floatElement(ID.Duration, durationMs), 0, DURATION_SLOT, durationSlot);
    writeSync(fd, vint8(end - dataAt), 0, 8, segAt + 4);
    return { durationMs, truncatedBytes: size - end };
  } finally {
    closeSync(fd);
  }
}
