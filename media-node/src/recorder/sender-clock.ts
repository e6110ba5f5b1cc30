/**
 * RTP timestamps → one local clock (ms, performance.now() scale), so that a participant's audio
 * and video line up and everyone's streams share one timeline.
 *
 * Per stream (SSRC): the 32-bit RTP timestamp is unwrapped to a running media time. Before the
 * stream has sender reports it can trust, it is placed by arrival: media time + the smallest
 * `arrival − media time` seen (the least delayed packet). Once it has them, it is placed through
 * them (RFC 3550 §6.4.1): the latest SR maps media time to the sender's NTP clock, and one offset
 * per sender (its streams share that NTP clock) maps sender NTP to the local clock — the smallest
 * `arrival − NTP` of its streams' packets, so the least delayed stream keeps its place and the
 * others are placed relative to it, as their SRs say.
 *
 * A stream's SRs are trusted while they agree with each other (`NTP − media time` moves by less
 * than {@link SR_TOLERANCE_MS} between two SRs, as it does for a sender whose NTP and RTP clocks
 * both run). One that does not is a jump of the sender's RTP clock (werift re-bases its timestamps
 * when a track is replaced) or a sender whose SRs are wrong (werift's NTP fraction is garbage, see
 * test/helpers/werift-sender-reports.ts): the stream is placed by arrival again, from its packets
 * after that SR, until two more SRs agree; after {@link MAX_DISAGREEMENTS} such SRs it stays placed
 * by arrival for good. Muted spans keep their length: the RTP clock runs on through them. That
 * the output never goes backwards is the track's job (track-recorder.ts).
 * @module
 */
// Internal: not exported from the package entry

/** One sender's streams, sharing its NTP clock. */
export class SenderClock {
  readonly streams = new Set<StreamClock>();

  /** local ms − sender NTP ms: the smallest over its streams whose SRs are trusted; null if none. */
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

/** Two SRs of one stream agree when their `NTP − media time` differ by less than this (+ drift). */
export const SR_TOLERANCE_MS = 15;
/** Clock drift allowed between two SRs, per second between them (200 ppm). */
const SR_DRIFT_PER_S = 0.2;
/** A stream whose SRs disagreed this many times is placed by arrival for good. */
export const MAX_DISAGREEMENTS = 3;

/** How a frame was placed: what the debug log and the stats say. */
export type ClockMode = 'arrival' | 'sr';

export interface SenderReportVerdict {
  /** The SR agrees with the stream's previous one (null: the first). */
  readonly consistent: boolean | null;
  /** `NTP − media time` moved by this much since the previous SR (ms). */
  readonly movedMs: number | null;
}

export class StreamClock {
  readonly #rate: number;
  readonly #sender: SenderClock;
  #highest = -1;
  /** min(arrival − media ms) over the stream's packets. */
  #arrivalOffset = Infinity;
  /** min(arrival − sender NTP ms) over its packets since SRs are trusted. */
  #ntpArrivalOffset = Infinity;
  /** NTP ms − media ms of the latest SR, and when (NTP ms) it was stamped. */
  #sr: { offset: number; ntpMs: number } | null = null;
  /** SRs in a row that agreed with the one before, and SRs that did not, in all. */
  #agreed = 0;
  #disagreements = 0;
  /** The next packet sets the arrival offset afresh (after an SR that disagreed). */
  #reanchor = false;

  constructor(clockRate: number, sender: SenderClock) {
    this.#rate = clockRate;
    this.#sender = sender;
    sender.streams.add(this);
  }

  get clockRate(): number {
    return this.#rate;
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

  /** Media ms of an unwrapped timestamp. */
  ms(rtp: number): number {
    return (rtp * 1000) / this.#rate;
  }

  /** A packet (its 32-bit timestamp) arrived at `localMs`. */
  onPacket(ts32: number, localMs: number): void {
    const media = this.ms(this.unwrap(ts32));
    const o = localMs - media;
    if (o < this.#arrivalOffset || this.#reanchor) this.#arrivalOffset = o;
    this.#reanchor = false;
    if (this.srTrusted && this.#sr) {
      const n = localMs - (media + this.#sr.offset);
      if (n < this.#ntpArrivalOffset) this.#ntpArrivalOffset = n;
    }
  }

  /** Placed through the SRs: the last ones agree (two; three after a disagreement), and not given up on. */
  get srTrusted(): boolean {
    return !this.srDistrusted && this.#agreed >= (this.#disagreements === 0 ? 1 : 2);
  }

  /** Its SRs disagreed too often: placed by arrival for good. */
  get srDistrusted(): boolean {
    return this.#disagreements >= MAX_DISAGREEMENTS;
  }

  onSenderReport(ntp: bigint, rtp32: number): SenderReportVerdict {
    const ntpMs = ntpToMs(ntp);
    const offset = ntpMs - this.ms(this.unwrap(rtp32));
    const prev = this.#sr;
    this.#sr = { offset, ntpMs };
    if (!prev) return { consistent: null, movedMs: null };
    const moved = offset - prev.offset;
    const consistent = Math.abs(moved) <= SR_TOLERANCE_MS + (SR_DRIFT_PER_S * Math.abs(ntpMs - prev.ntpMs)) / 1000;
    const wasTrusted = this.srTrusted;
    if (consistent) {
      this.#agreed++;
    } else {
      this.#agreed = 0;
      this.#disagreements++;
      // The stream's clock moved: what its earlier packets said about delays no longer holds; the
      // next packet anchors it again (until then it stays where it was).
      this.#reanchor = true;
      this.#ntpArrivalOffset = Infinity;
    }
    if (this.srTrusted && !wasTrusted) {
      // From now on its packets are also placed through the SR: seed the NTP → local offset from
      // the least delayed packet so far, as seen through this SR.
      this.#ntpArrivalOffset = this.#arrivalOffset - offset;
    }
    return { consistent, movedMs: moved };
  }

  /** This stream's estimate of (local − sender NTP); null while its SRs are not trusted. */
  ntpToLocal(): number | null {
    return this.srTrusted && this.#ntpArrivalOffset !== Infinity ? this.#ntpArrivalOffset : null;
  }

  /** Local ms of an unwrapped timestamp by arrival alone; null before the first packet. */
  arrivalMs(rtp: number): number | null {
    return this.#arrivalOffset === Infinity ? null : this.ms(rtp) + this.#arrivalOffset;
  }

  /** Local ms of an unwrapped timestamp through the SRs; null while they are not trusted. */
  senderReportMs(rtp: number): number | null {
    const sender = this.srTrusted ? this.#sender.offsetMs() : null;
    return sender === null || !this.#sr ? null : this.ms(rtp) + this.#sr.offset + sender;
  }

  /** Local ms of an unwrapped timestamp, and how it was placed; null before the first packet. */
  toLocalMs(rtp: number): { ms: number; mode: ClockMode } | null {
    const sr = this.senderReportMs(rtp);
    if (sr !== null) return { ms: sr, mode: 'sr' };
    const arrival = this.arrivalMs(rtp);
    return arrival === null ? null : { ms: arrival, mode: 'arrival' };
  }
}
