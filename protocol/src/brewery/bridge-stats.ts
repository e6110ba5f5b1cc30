/**
 * Bridge statistics as a media node publishes them in its brewery presence
 * (`<stats xmlns="http://jitsi.org/protocol/colibri"><stat name=… value=…/></stats>`, as JVB does;
 * jitsi-wire-protocol §7.1), and as the focus reads them to select a bridge.
 * @module
 */
import { AppError } from '../errors.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_COLIBRI } from '../xml/namespaces.ts';

export interface BridgeStats {
  /** 0 = idle, 1 = at capacity (JVB's `stress_level`). */
  stressLevel: number;
  /** Stress one more participant adds (JVB's `average_participant_stress`). */
  averageParticipantStress: number;
  healthy: boolean;
  /** Takes no new conferences. */
  drain: boolean;
  gracefulShutdown: boolean;
  shuttingDown: boolean;
  region: string;
  version: string;
  /**
   * Where the node's HTTP server answers `GET /about/health` (our extension; JVB has none): the
   * Registry probes it when the control connection drops, to tell a dead node from a blip.
   */
  healthUrl: string;
  conferences: number;
  participants: number;
  /** Bits per second received and sent by the bridge. */
  bitrateDownload: number;
  bitrateUpload: number;
}

/**
 * A registered media node as rooms see it: what the Registry lists from its brewery stats, and
 * what the focus selects a bridge from. In protocol so that neither depends on the other.
 */
export interface BridgeCandidate {
  readonly id: string;
  readonly region: string;
  readonly stressLevel: number;
  readonly averageParticipantStress: number;
  readonly healthy: boolean;
  readonly drain: boolean;
  readonly gracefulShutdown: boolean;
  readonly shuttingDown: boolean;
  readonly version: string;
  /** The node's control connection is up (a node in its grace period is listed, not connected). */
  readonly connected: boolean;
}

const NUMBERS = {
  stress_level: 'stressLevel', average_participant_stress: 'averageParticipantStress', conferences: 'conferences',
  participants: 'participants', bit_rate_download: 'bitrateDownload', bit_rate_upload: 'bitrateUpload',
} as const;
const BOOLEANS = { healthy: 'healthy', drain: 'drain', graceful_shutdown: 'gracefulShutdown', shutting_down: 'shuttingDown' } as const;
const STRINGS = { region: 'region', version: 'version', health_url: 'healthUrl' } as const;

/** Defaults for stats a bridge did not send. */
export function emptyBridgeStats(): BridgeStats {
  return {
    stressLevel: 0, averageParticipantStress: 0.01, healthy: true, drain: false, gracefulShutdown: false,
    shuttingDown: false, region: '', version: '', healthUrl: '', conferences: 0, participants: 0, bitrateDownload: 0, bitrateUpload: 0,
  };
}

/** Builds the `<stats/>` element a bridge puts in its brewery presence. */
export function buildBridgeStats(stats: BridgeStats): Element {
  const entries: Array<[string, string]> = [];
  for (const [wire, key] of Object.entries(NUMBERS)) entries.push([wire, String(stats[key])]);
  for (const [wire, key] of Object.entries(BOOLEANS)) entries.push([wire, String(stats[key])]);
  for (const [wire, key] of Object.entries(STRINGS)) if (stats[key] !== '') entries.push([wire, stats[key]]);
  return xml('stats', { xmlns: NS_COLIBRI }, ...entries.map(([name, value]) => xml('stat', { name, value })));
}

/**
 * Reads the `<stats/>` child of a brewery presence; undefined when there is none.
 * Throws `AppError('bad-request')` for a stat with a value of the wrong type.
 */
export function parseBridgeStats(presence: Element): BridgeStats | undefined {
  const el = presence.getChild('stats', NS_COLIBRI);
  if (!el) return undefined;
  const stats = emptyBridgeStats();
  for (const stat of el.getChildren('stat')) {
    const name = String(stat.attrs.name ?? '');
    const value = String(stat.attrs.value ?? '');
    if (name in NUMBERS) {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n) || n < 0) throw new AppError('bad-request', `stat ${name} must be a non-negative number`);
      stats[NUMBERS[name as keyof typeof NUMBERS]] = n;
    } else if (name in BOOLEANS) {
      if (value !== 'true' && value !== 'false') throw new AppError('bad-request', `stat ${name} must be true or false`);
      stats[BOOLEANS[name as keyof typeof BOOLEANS]] = value === 'true';
    } else if (name in STRINGS) {
      stats[STRINGS[name as keyof typeof STRINGS]] = value.slice(0, 256);
    }
  }
  if (stats.healthUrl !== '' && !/^https?:\/\/[^\s/]+\/\S*$/.test(stats.healthUrl)) throw new AppError('bad-request', 'stat health_url must be an http(s) URL');
  return stats;
}
