/**
 * What a room sees of the media nodes: the Registries of every region in `BRIDGE_REGIONS` (one
 * Registry Durable Object per region, where that region's nodes register), as one list for the
 * focus's region-aware selection (focus/src/bridge-selector.ts: the participant's region first,
 * else the least stressed anywhere). A request goes to the Registry the node is registered in
 * (learnt from the lists); each Registry then remembers the room's placement and tells the room
 * when that node goes. A Registry that cannot answer contributes no nodes (logged) rather than
 * failing the selection.
 * @module
 */
import type { Logger } from '../log.ts';
import type { RegistryClient } from '../room/focus-link.ts';
import type { RegistryReply } from './registry-do.ts';
import type { BridgeInfo } from './registry-server.ts';

export class RegionalRegistry implements RegistryClient {
  readonly #regions: readonly string[];
  readonly #registry: (region: string) => RegistryClient;
  readonly #log: Logger;
  /** Node id → the region whose Registry it was last listed in. */
  readonly #where = new Map<string, string>();

  constructor(regions: readonly string[], registry: (region: string) => RegistryClient, log: Logger) {
    this.#regions = regions;
    this.#registry = registry;
    this.#log = log;
  }

  async bridges(): Promise<BridgeInfo[]> {
    const lists = await Promise.all(this.#regions.map(async (region) => {
      try {
        return { region, bridges: await this.#registry(region).bridges() };
      } catch (err) {
        this.#log.error('registry.list_failed', { region, err });
        return { region, bridges: [] as BridgeInfo[] };
      }
    }));
    const seen = new Set<string>();
    const out: BridgeInfo[] = [];
    for (const { region, bridges } of lists) {
      for (const b of bridges) {
        if (seen.has(b.id)) continue; // the same id in two regions: the first region listed wins
        seen.add(b.id);
        this.#where.set(b.id, region);
        out.push(b);
      }
    }
    return out;
  }

  async request(bridgeId: string, room: string, payloadXml: string, options?: { expire?: boolean }): Promise<RegistryReply> {
    let region = this.#where.get(bridgeId);
    if (region === undefined && this.#regions.length > 1) {
      await this.bridges();
      region = this.#where.get(bridgeId);
    }
    return this.#registry(region ?? this.#regions[0]!).request(bridgeId, room, payloadXml, options);
  }
}
