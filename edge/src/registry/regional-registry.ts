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
import type { RecorderSelection } from './jibri-brewery.ts';
import type { RegistryReply } from './registry-do.ts';
import type { BridgeInfo } from './registry-server.ts';

export class RegionalRegistry implements RegistryClient {
  readonly #regions: readonly string[];
  readonly #registry: (region: string) => RegistryClient;
  readonly #log: Logger;
  /** Node id → the region whose Registry it was last listed in. */
  readonly #where = new Map<string, string>();
  /** Recorder id → the region whose Registry selected it. */
  readonly #recorderWhere = new Map<string, string>();

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

  /**
   * A recorder from the first region (in BRIDGE_REGIONS order) that has one available; "any
   * connected" if any region has one at all (Jicofo's all-busy versus none). A Registry that cannot
   * answer offers none.
   */
  async selectRecorder(): Promise<RecorderSelection> {
    let anyConnected = false;
    for (const region of this.#regions) {
      try {
        const answer = await this.#registry(region).selectRecorder();
        anyConnected ||= answer.anyConnected;
        if (answer.recorder) {
          this.#recorderWhere.set(answer.recorder.id, region);
          return { recorder: answer.recorder, anyConnected: true };
        }
      } catch (err) {
        this.#log.error('registry.recorder_select_failed', { region, err });
      }
    }
    return { recorder: null, anyConnected };
  }

  /** To the Registry that selected it; unknown (after an eviction): to every one (it is a no-op where it is not registered). */
  async recorderFailed(recorderId: string): Promise<void> {
    const known = this.#recorderWhere.get(recorderId);
    await Promise.all((known ? [known] : this.#regions).map((region) => this.#registry(region).recorderFailed(recorderId)));
  }

  /** To the Registry that selected the recorder; after an eviction (nothing remembered) to each until one has it. */
  async recorderRequest(recorderId: string, room: string, payloadXml: string): Promise<RegistryReply> {
    const known = this.#recorderWhere.get(recorderId);
    const regions = known ? [known] : this.#regions;
    let answer: RegistryReply = { ok: false, code: 'service-unavailable', message: `recorder ${recorderId} is not available` };
    for (const region of regions) {
      answer = await this.#registry(region).recorderRequest(recorderId, room, payloadXml);
      if (answer.ok || answer.code !== 'service-unavailable') {
        this.#recorderWhere.set(recorderId, region);
        return answer;
      }
    }
    return answer;
  }
}
