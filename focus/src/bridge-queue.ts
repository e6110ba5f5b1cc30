/**
 * The order of a conference's bridge operations (Jicofo runs them on one executor per conference):
 * one at a time, so the first allocation creates the conference on the bridge exactly once and an
 * expiry never overtakes the allocation it undoes. A failed operation is logged here, never thrown
 * at the stanza that caused it.
 * @module
 */
import type { FocusLogger } from './host.ts';

export class BridgeQueue {
  readonly #log: FocusLogger;
  #tail: Promise<void> = Promise.resolve();

  constructor(log: FocusLogger) {
    this.#log = log;
  }

  /**
   * Queues `op`; `skip` (checked when its turn comes) names a reason to drop it instead. The
   * promise settles when the operation has run (or was skipped or failed), never rejects. An
   * operation must not await work it queued itself (that work runs after it).
   */
  run(label: string, op: () => Promise<void>, skip?: () => string | null): Promise<void> {
    const run = this.#tail.then(async () => {
      const why = skip?.() ?? null;
      if (why) {
        this.#log.debug('conference.operation_skipped', { op: label, why });
        return;
      }
      await op();
    }).catch((err: unknown) => this.#log.error('conference.operation_failed', { op: label, err }));
    this.#tail = run;
    return run;
  }
}
