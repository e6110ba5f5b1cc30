/**
 * RTCP receiver reports from the node to each sender (RFC 3550 §6.4.2, A.3, A.8): per SSRC the
 * fraction and number of packets lost, the extended highest sequence number, interarrival jitter,
 * and LSR/DLSR so the sender can measure the round trip. Browsers' loss-based bandwidth estimation
 * needs these to raise their sending rate; without them Chrome stays at its start rate.
 * @module
 */

/** Reception statistics of one incoming SSRC. */
export class ReceptionStats {
  readonly ssrc: number;
  readonly #clockRate: number;
  #baseSeq = -1;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit = -1;
  #jitter = 0;
  #lastSr = 0;
  #lastSrAt = 0;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc;
    this.#clockRate = clockRate;
  }

  /** A packet with sequence number `seq` and RTP timestamp `ts` arrived at `nowMs`. */
  onPacket(seq: number, ts: number, nowMs: number): void {
    if (this.#baseSeq < 0) {
      this.#baseSeq = seq;
      this.#maxSeq = seq;
    } else {
      const delta = (seq - this.#maxSeq + 0x10000) % 0x10000;
      if (delta > 0 && delta < 0x8000) {
        if (seq < this.#maxSeq) this.#cycles += 0x10000;
        this.#maxSeq = seq;
      }
    }
    this.#received++;
    const arrival = Math.round((nowMs * this.#clockRate) / 1000);
    const transit = (arrival - ts) | 0;
    if (this.#received > 1) {
      const d = Math.abs(transit - this.#transit);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  /** A sender report for this SSRC arrived (`ntpMiddle`: the middle 32 bits of its NTP time). */
  onSenderReport(ntpMiddle: number, nowMs: number): void {
    this.#lastSr = ntpMiddle >>> 0;
    this.#lastSrAt = nowMs;
  }

  /** Writes this SSRC's 24-byte report block at `at` and starts a new reporting interval. */
  writeBlock(out: Buffer, at: number, nowMs: number): void {
    const extendedMax = this.#cycles + this.#maxSeq;
    const expected = extendedMax - this.#baseSeq + 1;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.#received));
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    out.writeUInt32BE(this.ssrc >>> 0, at);
    out.writeUInt32BE(((fraction & 0xff) << 24 | (lost & 0xffffff)) >>> 0, at + 4);
    out.writeUInt32BE(extendedMax >>> 0, at + 8);
    out.writeUInt32BE(Math.round(this.#jitter) >>> 0, at + 12);
    out.writeUInt32BE(this.#lastSr, at + 16);
    // Delay since the last SR in units of 1/65536 s.
    out.writeUInt32BE(this.#lastSrAt === 0 ? 0 : Math.round(((nowMs - this.#lastSrAt) / 1000) * 65536) >>> 0, at + 20);
  }

  get hasPackets(): boolean {
    return this.#baseSeq >= 0;
  }

  /** Packets expected from the sequence numbers seen so far (RFC 3550 A.3). */
  get expected(): number {
    return this.#baseSeq < 0 ? 0 : this.#cycles + this.#maxSeq - this.#baseSeq + 1;
  }

  /** Packets received (duplicates included, as RFC 3550 counts them). */
  get received(): number {
    return this.#received;
  }
}

const RTCP_RR = 201;
const MAX_BLOCKS = 31;

/** A receiver report from `reporterSsrc` with a block for each of `stats` (at most 31). */
export function receiverReport(reporterSsrc: number, stats: Iterable<ReceptionStats>, nowMs: number): Buffer | null {
  const blocks = [...stats].filter((s) => s.hasPackets).slice(0, MAX_BLOCKS);
  if (blocks.length === 0) return null;
  const out = Buffer.alloc(8 + blocks.length * 24);
  out[0] = 0x80 | blocks.length;
  out[1] = RTCP_RR;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(reporterSsrc >>> 0, 4);
  blocks.forEach((s, i) => s.writeBlock(out, 8 + i * 24, nowMs));
  return out;
}
