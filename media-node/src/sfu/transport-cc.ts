/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01),
 * as JVB sends it: the node notes when each packet carrying a transport-wide sequence number
 * arrived from an endpoint and reports those times back (RTPFB, FMT 15) every few tens of
 * milliseconds. The browser's send-side estimator (GCC) turns them into delay- and loss-based
 * bandwidth estimates, so senders adapt to the path to the node. Arrival times live in a
 * preallocated ring; only the feedback packet itself is allocated.
 * @module
 */
import { RTCP_RTPFB } from './rtp.ts';

/** Packets remembered between two feedbacks; older unreported ones are given up. */
const RING = 1 << 13;
/** At most this many packets per feedback packet (keeps it far below the MTU). */
const MAX_PER_FEEDBACK = 512;
/** Symbols of the two-bit status vector chunk: not received, small delta (1 byte), large or negative delta (2 bytes). */
const NOT_RECEIVED = 0;
const SMALL = 1;
const LARGE = 2;
/** Receive deltas are in 250 µs ticks; the reference time in 64 ms units (256 ticks), 24 bits. */
const TICKS_PER_MS = 4;
const TICKS_PER_REFERENCE = 256;

export class TransportFeedback {
  /** Arrival times in ticks by unwrapped sequence number modulo RING; -1: not (yet) received. */
  readonly #arrival = new Float64Array(RING).fill(-1);
  /** First sequence number (unwrapped) not yet reported, and the highest one received; -1: none yet. */
  #next = -1;
  #highest = -1;
  #count = 0;
  /** Feedback packets sent so far, if any packets were reported. */
  sent = 0;

  /** A packet with transport-wide sequence number `seq` (16 bits) arrived at `nowMs`. */
  onPacket(seq: number, nowMs: number): void {
    let unwrapped: number;
    if (this.#highest < 0) {
      unwrapped = seq;
      this.#next = seq;
    } else {
      // The 16-bit distance from the highest, as a signed number, places it before or after.
      const delta = ((seq - this.#highest) << 16) >> 16;
      unwrapped = this.#highest + delta;
    }
    // Too old (already reported as lost, or from before the first) or absurdly far back.
    if (unwrapped < this.#next || unwrapped < 0) return;
    if (unwrapped > this.#highest) {
      // Slots between the old highest and this one may hold stale times from RING packets ago.
      for (let s = Math.max(this.#highest + 1, unwrapped - RING + 1); s < unwrapped; s++) this.#arrival[s % RING] = -1;
      this.#highest = unwrapped;
      if (this.#highest - this.#next >= RING) this.#next = this.#highest - RING + 1;
    }
    this.#arrival[unwrapped % RING] = Math.round(nowMs * TICKS_PER_MS);
  }

  /**
   * The feedback for everything received since the last one, as RTCP packets from `senderSsrc`
   * about `mediaSsrc` (receivers ignore the latter); empty when nothing arrived.
   */
  build(senderSsrc: number, mediaSsrc: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.#next >= 0 && this.#next <= this.#highest) {
      const base = this.#next;
      const count = Math.min(this.#highest - base + 1, MAX_PER_FEEDBACK);
      out.push(this.#packet(senderSsrc, mediaSsrc, base, count));
      for (let s = base; s < base + count; s++) this.#arrival[s % RING] = -1;
      this.#next = base + count;
    }
    return out;
  }

  #packet(senderSsrc: number, mediaSsrc: number, base: number, count: number): Buffer {
    let first = -1;
    for (let s = base; s < base + count && first < 0; s++) first = this.#arrival[s % RING]!;
    // Nothing of this stretch arrived (a long loss): any reference time does.
    if (first < 0) first = this.#arrival[this.#highest % RING]!;
    const reference = Math.floor(first / TICKS_PER_REFERENCE);
    // Symbols and deltas, each received packet relative to the one before (the first to the reference time).
    const symbols = new Uint8Array(count);
    const deltas: number[] = [];
    let previous = reference * TICKS_PER_REFERENCE;
    let deltaBytes = 0;
    for (let i = 0; i < count; i++) {
      const at = this.#arrival[(base + i) % RING]!;
      if (at < 0) continue;
      const delta = Math.max(-0x8000, Math.min(0x7fff, at - previous));
      previous = at;
      symbols[i] = delta >= 0 && delta <= 0xff ? SMALL : LARGE;
      deltaBytes += symbols[i] === SMALL ? 1 : 2;
      deltas.push(delta);
    }
    const chunks = Math.ceil(count / 7);
    const unpadded = 20 + chunks * 2 + deltaBytes;
    const padding = (4 - (unpadded % 4)) % 4;
    const b = Buffer.alloc(unpadded + padding);
    b[0] = 0x80 | (padding > 0 ? 0x20 : 0) | 15;
    b[1] = RTCP_RTPFB;
    b.writeUInt16BE(b.length / 4 - 1, 2);
    b.writeUInt32BE(senderSsrc >>> 0, 4);
    b.writeUInt32BE(mediaSsrc >>> 0, 8);
    b.writeUInt16BE(base & 0xffff, 12);
    b.writeUInt16BE(count, 14);
    b.writeUIntBE(reference & 0xffffff, 16, 3);
    b[19] = this.#count++ & 0xff;
    let at = 20;
    // Two-bit status vector chunks: 1, 1, then seven symbols.
    for (let c = 0; c < chunks; c++) {
      let chunk = 0xc000;
      for (let k = 0; k < 7; k++) {
        const i = c * 7 + k;
        chunk |= (i < count ? symbols[i]! : NOT_RECEIVED) << (12 - 2 * k);
      }
      b.writeUInt16BE(chunk, at);
      at += 2;
    }
    let d = 0;
    for (let i = 0; i < count; i++) {
      if (symbols[i] === SMALL) b[at++] = deltas[d++]!;
      else if (symbols[i] === LARGE) { b.writeInt16BE(deltas[d++]!, at); at += 2; }
    }
    if (padding > 0) b[b.length - 1] = padding;
    this.sent++;
    return b;
  }
}
