/**
 * Jicofo's JibriDetector.selectJibri as a pure function over the recorders a brewery knows: an
 * instance is a candidate when it reports itself available (healthy and idle) and was not selected
 * in the last {@link SELECT_TIMEOUT_MS}; of those, the one that failed longest ago (or never) is
 * taken, unless even that one failed within {@link FAILURE_TIMEOUT_MS}. A presence saying the
 * instance is available again clears its failure (Jibri re-sends presence only on a change). The
 * Registry runs it where recorders register, so two rooms starting at once cannot pick the same
 * recorder; the focus tests run it in their scripted recorders.
 * @module
 */

/** An instance is not selected again within this time (its presence may not say busy yet). */
export const SELECT_TIMEOUT_MS = 200;
/** An instance that failed a request is not selected for this long. */
export const FAILURE_TIMEOUT_MS = 60_000;

/** What selection needs of a recorder; the brewery keeps these fields with it. */
export interface JibriInstance {
  readonly id: string;
  /** healthy and idle in its latest presence. */
  available: boolean;
  /** When it was last selected / reported failed, epoch ms; null for never. */
  lastSelected: number | null;
  lastFailed: number | null;
}

/**
 * Picks a recorder and marks it selected at `now`; null when none may be picked.
 *
 * @example
 * const chosen = selectJibri([...store.recorders.values()], Date.now());
 */
export function selectJibri<T extends JibriInstance>(instances: Iterable<T>, now: number): T | null {
  let oldest: T | null = null;
  for (const i of instances) {
    if (!i.available || (i.lastSelected !== null && now - i.lastSelected < SELECT_TIMEOUT_MS)) continue;
    if (oldest === null || (i.lastFailed ?? -Infinity) < (oldest.lastFailed ?? -Infinity)) oldest = i;
  }
  if (!oldest || (oldest.lastFailed !== null && now - oldest.lastFailed < FAILURE_TIMEOUT_MS)) return null;
  oldest.lastSelected = now;
  return oldest;
}

/** JibriDetector.instanceFailed: not selected for {@link FAILURE_TIMEOUT_MS}. */
export function jibriFailed(instance: JibriInstance, now: number): void {
  instance.lastFailed = now;
}

/** A new presence: an instance that says it is available again has its failure forgotten. */
export function jibriPresence(instance: JibriInstance, available: boolean): void {
  instance.available = available;
  if (available) instance.lastFailed = null;
}
