/**
 * Token bucket per connection: stanzas above the sustained rate (after a burst) are refused.
 * In memory only: after hibernation a bucket starts full again, which errs on the client's side.
 * @module
 */
// Internal: not exported from the package entry.

export class TokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(ratePerSecond: number, burst: number) {
    this.#rate = ratePerSecond / 1000;
    this.#burst = burst;
  }

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string, now: number): boolean {
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(key: string): void {
    this.#buckets.delete(key);
  }
}
