/**
 * The node's time source, injected wherever time matters (the SFU's routing, feedback and
 * allocation, the transport's arrival times) so that tests can drive it instead of sleeping
 * (style guide §2.6, Jicofo's Clock). Monotonic milliseconds, like performance.now().
 * @module
 */

export interface Clock {
  /** Milliseconds on a monotonic clock (only differences mean anything). */
  now(): number;
}

/** The process's monotonic clock. */
export const realClock: Clock = { now: () => performance.now() };

/** A clock that moves only when told to, for tests. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
