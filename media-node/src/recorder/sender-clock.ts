/**
 * RTP timestamps → one local clock (ms), so that everyone's audio and video line up. A sender
 * stamps its SRs (RFC 3550 §6.4.1) from one NTP clock for all its streams, so each stream's
 * RTP → sender-NTP relation comes from its SRs, and one offset per sender takes sender NTP to the
 * local clock. Both are minimum filters, robust to delay: a stream's relation is the median
 * `NTP − RTP` of its last SRs (one stray SR does not move it), and the sender's offset is the smallest `arrival − NTP` of its packets (the least
 * delayed packet). Before a stream's first SR it is placed by arrival, through the same
 * filter: nothing is held back waiting for an SR, and the first SR moves nothing. Muted spans
 * keep their length: the RTP clock runs on through them.
 * @module
 */
// Internal: not exported from the package entry

/** One sender's streams, sharing its NTP clock. */
export class SenderClock {
  readonly streams = new Set<StreamClock>();

  /** local ms − sender NTP ms: the smallest over its streams that have an SR. */
  offsetMs(): number | null {
    let best: number | null = null;
    for (const s of this.streams) {
      const o = s.ntpToLocal();
      if (o !== null && (best === null || o < best)) best = o;
    }
    return best;
  }
}

/** NTP 64-bit timestamp (RFC 3550 §4) → milliseconds. */
export function ntpToMs(ntp: bigint): number {
  return Number(ntp >> 32n) * 1000 + (Number(ntp & 0xffffffffn) * 1000) / 2 ** 32;
}

/** The most an SR may move a stream from where its arrival places it. */
const MAX_SR_CORRECTION_MS = 300;
/** SRs whose median places a stream. */
const SR_WINDOW = 9;

export class StreamClock {
  readonly #rate: number;
  readonly #sender: SenderClock;
  #highest = -1;
  /** min(arrival − RTP ms) over the stream's packets. */
  #arrivalOffset = Infinity;
  /** median(NTP ms − RTP ms) over the stream's last SRs (Infinity: none yet). */
  #srOffset = Infinity;
  readonly #srOffsets: number[] = [];

  constructor(clockRate: number, sender: SenderClock) {
    this.#rate = clockRate;
    this.#sender = sender;
    sender.streams.add(this);
  }

  /** A 32-bit RTP timestamp, unwrapped next to the highest seen (a running 53-bit count). */
  unwrap(ts32: number): number {
    const ts = ts32 >>> 0;
    if (this.#highest < 0) {
      this.#highest = ts + 2 ** 32;
      return this.#highest;
    }
    const base = this.#highest - (this.#highest % 2 ** 32);
    let t = base + ts;
    if (t - this.#highest > 2 ** 31) t -= 2 ** 32;
    else if (this.#highest - t > 2 ** 31) t += 2 ** 32;
    if (t > this.#highest) this.#highest = t;
    return t;
  }

  #ms(rtp: number): number {
    return (rtp * 1000) / this.#rate;
  }

  /** A packet arrived at `localMs`. */
  onPacket(ts32: number, localMs: number): void {
    const o = localMs - this.#ms(this.unwrap(ts32));
    if (o < this.#arrivalOffset) this.#arrivalOffset = o;
  }

  get hasSenderReport(): boolean {
    return this.#srOffset !== Infinity;
  }

  onSenderReport(ntp: bigint, rtp32: number): void {
    // A median, not a minimum: one SR with a stray RTP timestamp (a forwarder's first one, say)
    // must not move the stream for good.
    this.#srOffsets.push(ntpToMs(ntp) - this.#ms(this.unwrap(rtp32)));
    if (this.#srOffsets.length > SR_WINDOW) this.#srOffsets.shift();
    const sorted = [...this.#srOffsets].sort((a, b) => a - b);
    this.#srOffset = sorted[Math.floor(sorted.length / 2)]!;
  }

  /** This stream's estimate of (local − sender NTP); null before its first SR and packet. */
  ntpToLocal(): number | null {
    return this.#srOffset === Infinity || this.#arrivalOffset === Infinity ? null : this.#arrivalOffset - this.#srOffset;
  }

  /** Local ms of an unwrapped RTP timestamp; null before the stream's first packet. */
  toLocalMs(rtp: number): number | null {
    const sender = this.#srOffset === Infinity ? null : this.#sender.offsetMs();
    const own = this.ntpToLocal();
    // The SRs move a stream only by what they can plausibly correct (capture and send-path offsets
    // between a sender's streams); SRs that disagree by more are not trusted (see the report).
    if (sender !== null && own !== null && own - sender <= MAX_SR_CORRECTION_MS) return this.#ms(rtp) + this.#srOffset + sender;
    return this.#arrivalOffset === Infinity ? null : this.#ms(rtp) + this.#arrivalOffset;
  }
}
