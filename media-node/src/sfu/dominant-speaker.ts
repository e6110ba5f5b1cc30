/**
 * Dominant speaker identification from the audio levels senders put in their RTP (RFC 6464
 * client-to-mixer audio level: 0 dBov loudest … 127 silence), a simplified version of JVB's
 * DominantSpeakerIdentification: a per-endpoint moving average of loudness, a silence floor, a
 * margin the challenger must beat, and a minimum time between switches. Pure: time is passed in.
 * @module
 */
import { headerExtensionAt } from './rtp.ts';

export interface SpeakerChange {
  readonly dominant: string;
  /** Earlier dominant speakers, most recent first (JVB's previousSpeakers). */
  readonly previous: readonly string[];
}

export interface DominantSpeakerOptions {
  /** Loudness (127 - level) a speaker must exceed to count as speaking. */
  readonly silenceFloor?: number;
  /** How much louder (average) a challenger must be than the current dominant speaker. */
  readonly margin?: number;
  /** Minimum time between two switches, ms. */
  readonly holdMs?: number;
  /** Weight of a new sample in the moving average (0..1). */
  readonly alpha?: number;
  /** How long a challenger must stay ahead (by `margin`) before it takes over, ms: a cough or a beep does not. */
  readonly leadMs?: number;
}

export class DominantSpeakerDetector {
  readonly #loudness = new Map<string, number>();
  #dominant: string | null = null;
  #previous: string[] = [];
  #switchedAt = -Infinity;
  readonly #floor: number;
  readonly #margin: number;
  readonly #holdMs: number;
  readonly #alpha: number;
  readonly #leadMs: number;
  /** The speaker currently ahead of the dominant one, and since when. */
  #challenger: { endpoint: string; since: number } | null = null;

  constructor(o: DominantSpeakerOptions = {}) {
    this.#leadMs = o.leadMs ?? 800;
    this.#floor = o.silenceFloor ?? 40;
    this.#margin = o.margin ?? 6;
    this.#holdMs = o.holdMs ?? 1000;
    this.#alpha = o.alpha ?? 0.1;
  }

  get dominant(): string | null {
    return this.#dominant;
  }

  /** Speakers in order of recent dominance (dominant first). */
  get order(): readonly string[] {
    return this.#dominant ? [this.#dominant, ...this.#previous] : this.#previous;
  }

  /** One audio-level sample (0 loudest … 127 silent) from `endpoint` at time `now` (ms). */
  onLevel(endpoint: string, level: number, now: number): SpeakerChange | null {
    const loudness = 127 - Math.min(127, Math.max(0, level));
    const avg = this.#loudness.get(endpoint);
    const next = avg === undefined ? loudness * this.#alpha : avg + this.#alpha * (loudness - avg);
    this.#loudness.set(endpoint, next);
    if (endpoint === this.#dominant) return null;
    const current = this.#dominant === null ? 0 : (this.#loudness.get(this.#dominant) ?? 0);
    if (this.#dominant === null) {
      // The first speaker takes the floor at once.
      if (next < this.#floor) return null;
    } else {
      // A challenger must stay ahead for a while; it loses its claim only when the dominant
      // speaker is louder again (both pausing between words does not count against it).
      if (next < current + this.#margin) {
        if (this.#challenger?.endpoint === endpoint && current >= next) this.#challenger = null;
        return null;
      }
      if (this.#challenger?.endpoint !== endpoint) this.#challenger = { endpoint, since: now };
      if (next < this.#floor || now - this.#challenger.since < this.#leadMs || now - this.#switchedAt < this.#holdMs) return null;
    }
    this.#challenger = null;
    if (this.#dominant !== null) this.#previous = [this.#dominant, ...this.#previous.filter((e) => e !== this.#dominant && e !== endpoint)];
    else this.#previous = this.#previous.filter((e) => e !== endpoint);
    this.#dominant = endpoint;
    this.#switchedAt = now;
    return { dominant: endpoint, previous: this.#previous.slice(0, 10) };
  }

  remove(endpoint: string): void {
    this.#loudness.delete(endpoint);
    this.#previous = this.#previous.filter((e) => e !== endpoint);
    if (this.#dominant === endpoint) this.#dominant = null;
  }
}

/** RFC 6464 audio level (RFC 8285 header extension `id`) of an RTP packet, if present. */
export function audioLevel(rtp: Buffer, id: number): number | undefined {
  const at = headerExtensionAt(rtp, id);
  return at < 0 ? undefined : rtp[at]! & 0x7f;
}

/** Endpoints whose video `receiver` gets under last-N: the first N of the speaker order, then join order. */
export function lastNSelection(order: readonly string[], all: readonly string[], receiver: string, lastN: number): Set<string> {
  const candidates = [...new Set([...order, ...all])].filter((e) => e !== receiver && all.includes(e));
  return new Set(lastN < 0 ? candidates : candidates.slice(0, lastN));
}
