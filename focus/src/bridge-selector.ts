/**
 * Bridge selection, after Jicofo's BridgeSelector with the single-bridge strategy: a conference
 * stays on its bridge while that bridge works; a new conference goes to the least stressed
 * operational bridge in the participant's region, else the least stressed anywhere. Draining,
 * shutting-down, unhealthy and disconnected bridges are never chosen. Splitting a conference across
 * bridges (Octo relays) plugs in as another {@link BridgeSelectionStrategy}.
 * @module
 */
import type { BridgeCandidate } from './host.ts';

export interface SelectionRequest {
  /** The bridge the conference already uses, if any. */
  readonly current: string | null;
  /** Region the participant announced (`jitsi_participant_region`), or the default. */
  readonly region: string;
  /** Bridges to avoid (they just failed for this conference). */
  readonly exclude: ReadonlySet<string>;
}

export interface BridgeSelectionStrategy {
  select(candidates: readonly BridgeCandidate[], request: SelectionRequest): BridgeCandidate | undefined;
}

function operational(b: BridgeCandidate): boolean {
  return b.connected && b.healthy && !b.shuttingDown;
}

/** Lower is better: graceful shutdown and drain sort last, then by stress. */
function rank(b: BridgeCandidate): [number, number] {
  return [(b.gracefulShutdown ? 2 : 0) + (b.drain ? 1 : 0), b.stressLevel];
}

function byRank(a: BridgeCandidate, b: BridgeCandidate): number {
  const [ra, sa] = rank(a);
  const [rb, sb] = rank(b);
  return ra - rb || sa - sb || a.id.localeCompare(b.id);
}

export class SingleBridgeSelectionStrategy implements BridgeSelectionStrategy {
  select(candidates: readonly BridgeCandidate[], request: SelectionRequest): BridgeCandidate | undefined {
    const usable = candidates.filter((b) => operational(b) && !request.exclude.has(b.id));
    const current = usable.find((b) => b.id === request.current);
    if (current) return current;
    // New conferences never go to a draining or shutting-down bridge.
    const fresh = usable.filter((b) => !b.drain && !b.gracefulShutdown).sort(byRank);
    return fresh.find((b) => request.region !== '' && b.region === request.region) ?? fresh[0];
  }
}
