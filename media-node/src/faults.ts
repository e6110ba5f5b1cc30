/**
 * The node's error boundaries report here: a handler that throws (a bug, or input nobody
 * validated) is counted by where it happened and logged as one structured line, at most once per
 * second per site with the number of repeats it did not log, so a failure on the packet path
 * cannot flood the journal. Nothing reported here ends the process. Counts are in
 * `GET /about/stats` (`faults`). Refused input is not a fault: see {@link Faults.reject}.
 * @module
 */
import type { Logger } from './log.ts';

export type FaultSite = 'colibri-ws' | 'colibri2' | 'http' | 'udp' | 'routing' | 'timers';
const SITES: readonly FaultSite[] = ['colibri-ws', 'colibri2', 'http', 'udp', 'routing', 'timers'];

/** Input refused quietly (counted, not logged above debug): not a bug, just bad or hostile peers. */
export type RejectReason = 'channel-message' | 'srtp' | 'srtcp';
const REASONS: readonly RejectReason[] = ['channel-message', 'srtp', 'srtcp'];

export interface FaultsOptions {
  /** Shortest time between two log lines of one site, ms. */
  readonly logIntervalMs?: number;
  readonly now?: () => number;
}

export class Faults {
  readonly #log: Logger;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #counts = Object.fromEntries(SITES.map((s) => [s, 0])) as Record<FaultSite, number>;
  readonly #rejected = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  readonly #lastLogged = new Map<FaultSite, number>();
  readonly #unlogged = new Map<FaultSite, number>();

  constructor(log: Logger, options: FaultsOptions = {}) {
    this.#log = log.child({ ns: 'faults' });
    this.#interval = options.logIntervalMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** A handler at `site` threw `err`: counted, and logged unless this site logged less than a second ago. */
  report(site: FaultSite, err: unknown, fields: Record<string, unknown> = {}): void {
    this.#counts[site] += 1;
    const now = this.#now();
    const last = this.#lastLogged.get(site);
    if (last !== undefined && now - last < this.#interval) {
      this.#unlogged.set(site, (this.#unlogged.get(site) ?? 0) + 1);
      return;
    }
    this.#lastLogged.set(site, now);
    const unlogged = this.#unlogged.get(site) ?? 0;
    this.#unlogged.delete(site);
    const error = err instanceof Error ? { name: err.name, message: err.message, stack: err.stack?.split('\n').slice(1, 4).map((l) => l.trim()) } : { message: String(err) };
    this.#log.error('handler.failed', { site, ...fields, error, count: this.#counts[site], unlogged });
  }

  /** Runs `fn`; if it throws, the error is reported at `site` and undefined returned. */
  guard<T>(site: FaultSite, fn: () => T, fields?: Record<string, unknown>): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.report(site, err, fields);
      return undefined;
    }
  }

  /** Input refused as malformed or unauthenticated; counted only. */
  reject(reason: RejectReason): void {
    this.#rejected[reason] += 1;
  }

  counts(): Readonly<Record<FaultSite, number>> {
    return { ...this.#counts };
  }

  rejected(): Readonly<Record<RejectReason, number>> {
    return { ...this.#rejected };
  }
}
