/**
 * The bandwidth allocation of a conference's receivers, run once a second: measures every video
 * layer's bitrate since the last run and, for each receiver whose browser estimates less downlink
 * (REMB) than the video it gets, caps its sources with bandwidth-allocation.ts (others' sources in
 * speaker order). Chrome's receive-side estimate never exceeds ~1.5× what arrives, so it cannot
 * show room for a taller layer: the caps are held for CAP_HOLD_MS and then lifted to try again,
 * unless the estimate shows sooner that they are no longer needed.
 * @module
 */
import { allocateBandwidth } from './bandwidth-allocation.ts';
import type { SfuEndpoint } from './endpoint.ts';

/** How long bandwidth caps stay before the node tries the receiver's full constraints again. */
const CAP_HOLD_MS = 10_000;

export class BandwidthAllocator {
  #lastRun: number;

  /** `now`: clock ms of the start, from which the first run measures. */
  constructor(now: number) {
    this.#lastRun = now;
  }

  /** `endpoints`: the conference's; `speakerOrder`: endpoint ids, most recent dominant speaker first. */
  run(endpoints: readonly SfuEndpoint[], speakerOrder: readonly string[], nowMs: number): void {
    const elapsed = nowMs - this.#lastRun;
    this.#lastRun = nowMs;
    for (const ep of endpoints) for (const v of ep.videoSources) v.sampleBitrates(elapsed);
    const byId = new Map(endpoints.map((ep) => [ep.id, ep]));
    const order = [...new Set([...speakerOrder, ...byId.keys()])];
    for (const ep of endpoints) {
      const downlink = ep.downlinkBps;
      if (downlink === null) continue;
      const receiving = ep.receivingBps();
      const sources = order
        .filter((id) => id !== ep.id && ep.receivesVideoOf(id))
        .flatMap((id) => byId.get(id)?.videoSources ?? []);
      const wanted = allocateBandwidth(sources, (s) => ep.maxHeightFor(s), downlink);
      const limiting = [...wanted].some(([s, h]) => h < ep.maxHeightFor(s));
      if (receiving > 0 && downlink < receiving && limiting) {
        ep.setBandwidthCaps(wanted, nowMs + CAP_HOLD_MS);
      } else if (ep.bandwidthCapped && (!limiting || nowMs >= ep.capsUntil)) {
        ep.liftBandwidthCaps();
      }
    }
  }
}
