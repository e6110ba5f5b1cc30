/**
 * A per-SSRC jitter buffer, as a pure processor: packets go in as they arrive (any order, with
 * duplicates), come out in sequence order; a missing packet is waited for up to `latencyMs` after
 * a later one arrived (and reported by {@link JitterBuffer.nacks} meanwhile, so that it can be
 * asked for again), then given up as lost. Sequence numbers are unwrapped to a running count.
 * @module
 */
// Internal: not exported from the package entry

export interface BufferedPacket<P> {
  /** Unwrapped sequence number. */
  readonly seq: number;
  readonly packet: P;
  readonly arrivedAt: number;
}

export type JitterOutput<P> = { kind: 'packet'; seq: number; packet: P } | { kind: 'lost'; from: number; count: number };

export interface JitterBufferOptions {
  readonly latencyMs: number;
  /** Packets held at most; past that the oldest gap is given up at once. */
  readonly maxPackets: number;
  /** How often one missing packet is asked for again, and how many times at most. */
  readonly nackIntervalMs: number;
  readonly nackRetries: number;
}

export const DEFAULT_JITTER_OPTIONS: JitterBufferOptions = { latencyMs: 400, maxPackets: 2000, nackIntervalMs: 100, nackRetries: 3 };

interface Missing { since: number; asked: number; lastAsked: number }

export class JitterBuffer<P> {
  readonly #o: JitterBufferOptions;
  readonly #held = new Map<number, BufferedPacket<P>>();
  readonly #missing = new Map<number, Missing>();
  #next = -1;
  #highest = -1;
  /** Counters for the session's stats. */
  received = 0;
  lost = 0;
  late = 0;
  duplicates = 0;

  constructor(options: Partial<JitterBufferOptions> = {}) {
    this.#o = { ...DEFAULT_JITTER_OPTIONS, ...options };
  }

  /** The 16-bit `seq16` unwrapped next to the highest seen. */
  #unwrap(seq16: number): number {
    if (this.#highest < 0) return seq16 + 65_536;
    const base = this.#highest - (this.#highest & 0xffff);
    let s = base + seq16;
    if (s - this.#highest > 32_768) s -= 65_536;
    else if (this.#highest - s > 32_768) s += 65_536;
    return s;
  }

  push(seq16: number, packet: P, now: number): void {
    const seq = this.#unwrap(seq16 & 0xffff);
    if (this.#next < 0) this.#next = seq;
    if (seq < this.#next) {
      this.late++;
      return;
    }
    if (this.#held.has(seq)) {
      this.duplicates++;
      return;
    }
    this.received++;
    this.#held.set(seq, { seq, packet, arrivedAt: now });
    this.#missing.delete(seq);
    if (seq > this.#highest) {
      // Everything between the highest so far and this one is missing (for now).
      for (let s = Math.max(this.#highest + 1, this.#next); s < seq && seq - s < this.#o.maxPackets; s++) {
        this.#missing.set(s, { since: now, asked: 0, lastAsked: -Infinity });
      }
      this.#highest = seq;
    }
  }

  /** What can be released at `now`, in order. */
  pull(now: number): JitterOutput<P>[] {
    const out: JitterOutput<P>[] = [];
    while (this.#held.size > 0) {
      const p = this.#held.get(this.#next);
      if (p) {
        this.#held.delete(this.#next);
        out.push({ kind: 'packet', seq: p.seq, packet: p.packet });
        this.#next++;
        continue;
      }
      // A gap: the first packet after it has waited long enough, or the buffer is full.
      let after = Infinity;
      for (const s of this.#held.keys()) if (s < after) after = s;
      const waited = now - this.#held.get(after)!.arrivedAt;
      if (waited < this.#o.latencyMs && this.#held.size < this.#o.maxPackets) break;
      const count = after - this.#next;
      for (let s = this.#next; s < after; s++) this.#missing.delete(s);
      out.push({ kind: 'lost', from: this.#next, count });
      this.lost += count;
      this.#next = after;
    }
    return out;
  }

  /** 16-bit sequence numbers to NACK now (each at most nackRetries times, nackIntervalMs apart). */
  nacks(now: number): number[] {
    const due: number[] = [];
    for (const [seq, m] of this.#missing) {
      if (seq < this.#next) {
        this.#missing.delete(seq);
        continue;
      }
      if (m.asked >= this.#o.nackRetries || now - m.lastAsked < this.#o.nackIntervalMs) continue;
      m.asked++;
      m.lastAsked = now;
      due.push(seq & 0xffff);
    }
    return due;
  }

  toJSON(): Record<string, number> {
    return { received: this.received, lost: this.lost, late: this.late, duplicates: this.duplicates, held: this.#held.size };
  }
}
