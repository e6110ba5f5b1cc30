/**
 * The one place a room's Durable Object finishes its work: hand local stanzas to the focus (and
 * the stanzas it answers with to everyone), flush sockets, and turn wake-ups into an alarm. Every
 * entry point runs it before it returns; work that finishes later (the focus's bridge operations,
 * its session-accept timeout, the no-bridge retry) kicks it. Runs are serialized: a kick during a
 * run makes the run go round once more, so two drains never interleave and nothing waits for the
 * next socket frame.
 * @module
 */
// Internal: not exported from the package entry.
import type { Logger } from '../log.ts';

export class Pump {
  readonly #work: () => Promise<void>;
  readonly #log: Logger;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(work: () => Promise<void>, log: Logger) {
    this.#work = work;
    this.#log = log;
  }

  /** Runs the work until no kick came in meanwhile; joins a run in progress. */
  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => { this.#running = null; });
    return this.#running;
  }

  /** For work that finished outside an entry point: runs the pump; a failure is logged here. */
  kick(): void {
    this.run().catch((err: unknown) => this.#log.error('room.pump_failed', { err }));
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.#work();
    } while (this.#again);
  }
}
