/**
 * The last packets of one video stream, kept so that the node can answer a receiver's NACK itself
 * (JVB's packet cache) instead of asking the sender, whose retransmission would then go to every
 * receiver. One preallocated pool per stream; storing a packet copies it into a slot, nothing is
 * allocated per packet.
 * @module
 */

export class PacketCache {
  readonly #slots: number;
  readonly #mtu: number;
  readonly #pool: Buffer;
  readonly #lengths: Int32Array;
  readonly #seqs: Int32Array;
  readonly #times: Float64Array;
  readonly #maxAgeMs: number;

  constructor(o: { slots?: number; mtu?: number; maxAgeMs?: number } = {}) {
    this.#slots = o.slots ?? 256;
    this.#mtu = o.mtu ?? 1500;
    this.#maxAgeMs = o.maxAgeMs ?? 1000;
    this.#pool = Buffer.alloc(this.#slots * this.#mtu);
    this.#lengths = new Int32Array(this.#slots);
    this.#seqs = new Int32Array(this.#slots).fill(-1);
    this.#times = new Float64Array(this.#slots);
  }

  /** Keeps a copy of `rtp` (sequence number `seq`); packets larger than the MTU are not kept. */
  put(rtp: Buffer, seq: number, now: number): void {
    if (rtp.length > this.#mtu) return;
    const slot = seq % this.#slots;
    rtp.copy(this.#pool, slot * this.#mtu);
    this.#lengths[slot] = rtp.length;
    this.#seqs[slot] = seq;
    this.#times[slot] = now;
  }

  /** The kept packet with sequence number `seq` (a view into the pool, valid until the slot is reused), if fresh. */
  get(seq: number, now: number): Buffer | undefined {
    const slot = seq % this.#slots;
    if (this.#seqs[slot] !== seq || now - this.#times[slot]! > this.#maxAgeMs) return undefined;
    return this.#pool.subarray(slot * this.#mtu, slot * this.#mtu + this.#lengths[slot]!);
  }
}

/** The sequence numbers a generic NACK (RFC 4585 §6.2.1) asks for: each PID and the bits of its BLP. */
export function nackedSequences(nack: Buffer): number[] {
  const out: number[] = [];
  for (let i = 12; i + 4 <= nack.length; i += 4) {
    const pid = nack.readUInt16BE(i);
    const blp = nack.readUInt16BE(i + 2);
    out.push(pid);
    for (let b = 0; b < 16; b++) if (blp & (1 << b)) out.push((pid + b + 1) & 0xffff);
  }
  return out;
}
