/**
 * A conference's periodic work towards its endpoints, on two timers: every 50 ms transport-cc
 * feedback to each sender (transport-cc.ts); every second an RTCP receiver report to each sender
 * (receiver-reports.ts), ConnectionStats to each receiver whose browser sent a REMB, and the
 * bandwidth allocation (bandwidth-allocation.ts).
 * @module
 */
import { serializeBridgeMessage } from '@edgemeet/protocol';
import { allocateBandwidth } from './bandwidth-allocation.ts';
import type { Faults } from '../faults.ts';
import type { SfuEndpoint } from './endpoint.ts';
import { receiverReport } from './receiver-reports.ts';

/** How often each sender gets a receiver report (and the allocation runs). */
const RECEIVER_REPORT_INTERVAL_MS = 1000;
/** How often each sender gets transport-cc feedback (libwebrtc's receivers: 50–250 ms). */
const TRANSPORT_FEEDBACK_INTERVAL_MS = 50;
/** How long bandwidth caps stay before the node tries the receiver's full constraints again. */
const CAP_HOLD_MS = 10_000;

/** What the periodic work needs from its conference. */
export interface FeedbackScope {
  endpoints(): IterableIterator<SfuEndpoint>;
  endpoint(id: string): SfuEndpoint | undefined;
  /** Endpoint ids, most recent dominant speaker first. */
  readonly speakerOrder: readonly string[];
  /** The SSRC the node's own RTCP comes from. */
  readonly reporterSsrc: number;
}

export class PeriodicFeedback {
  readonly #scope: FeedbackScope;
  readonly #timers: Array<ReturnType<typeof setInterval>>;
  #lastAllocation = performance.now();

  /** `faults`: the timers' error boundary (a throwing timer callback would end the process). */
  constructor(scope: FeedbackScope, faults: Faults) {
    this.#scope = scope;
    const guarded = (fn: () => void) => () => faults.guard('timers', fn);
    this.#timers = [
      setInterval(guarded(() => {
        const now = performance.now();
        this.sendReceiverReports(now);
        this.allocateBandwidth(now);
      }), RECEIVER_REPORT_INTERVAL_MS),
      setInterval(guarded(() => this.sendTransportFeedback()), TRANSPORT_FEEDBACK_INTERVAL_MS),
    ];
    for (const t of this.#timers) t.unref?.();
  }

  /**
   * One receiver report per sending endpoint, about everything it sends (RFC 3550 §6.4.2), and to
   * each receiver whose browser sent a REMB, ConnectionStats with that downlink estimate.
   */
  sendReceiverReports(nowMs: number): void {
    for (const ep of this.#scope.endpoints()) {
      if (ep.downlinkBps !== null) ep.channel?.send(serializeBridgeMessage({ colibriClass: 'ConnectionStats', estimatedDownlinkBandwidth: ep.downlinkBps }));
      if (ep.transport.state !== 'connected' || ep.reception.size === 0) continue;
      const rr = receiverReport(this.#scope.reporterSsrc, ep.reception.values(), nowMs);
      if (rr) ep.transport.sendRtcp(rr);
    }
  }

  /** Transport-cc feedback to every endpoint whose packets arrived since the last one. */
  sendTransportFeedback(): void {
    for (const ep of this.#scope.endpoints()) {
      // Also while the fingerprint is on its way: the browser's first packets are its bandwidth probes.
      if (!ep.transport.keyed) continue;
      const media = ep.sources[0]?.sources[0]?.ssrc ?? 0;
      for (const packet of ep.transportFeedback.build(this.#scope.reporterSsrc, media)) ep.transport.sendRtcp(packet);
    }
  }

  /**
   * Measures each video layer's bitrate since the last call and, for every receiver whose browser
   * estimates less downlink (REMB) than the video it gets, fits that video into the estimate
   * (others' sources in speaker order). Chrome's receive-side estimate never exceeds ~1.5× what
   * arrives, so it cannot show room for a taller layer: the caps are held for CAP_HOLD_MS and then
   * lifted to try again, unless the estimate shows sooner that they are no longer needed.
   */
  allocateBandwidth(nowMs: number): void {
    const elapsed = nowMs - this.#lastAllocation;
    this.#lastAllocation = nowMs;
    const all = [...this.#scope.endpoints()];
    for (const ep of all) for (const v of ep.videoSources) v.sampleBitrates(elapsed);
    const order = [...new Set([...this.#scope.speakerOrder, ...all.map((ep) => ep.id)])];
    for (const ep of all) {
      if (ep.downlinkBps === null) continue;
      let receiving = 0;
      for (const fw of ep.forwarders.values()) if (fw.current >= 0) receiving += fw.source.layers[fw.current]!.bitrate;
      const sources = order
        .filter((id) => id !== ep.id && (ep.forwarded === null || ep.forwarded.has(id)))
        .flatMap((id) => this.#scope.endpoint(id)?.videoSources ?? []);
      const wanted = allocateBandwidth(sources, (s) => ep.maxHeightFor(s), ep.downlinkBps);
      const limiting = [...wanted].some(([s, h]) => h < ep.maxHeightFor(s));
      if (receiving > 0 && ep.downlinkBps < receiving && limiting) {
        ep.bandwidthCaps = wanted;
        ep.capsUntil = nowMs + CAP_HOLD_MS;
      } else if (ep.bandwidthCaps.size > 0 && (!limiting || nowMs >= ep.capsUntil)) {
        ep.bandwidthCaps = new Map();
      }
      for (const fw of ep.forwarders.values()) fw.setMaxHeight(ep.effectiveMaxHeight(fw.source));
    }
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
  }
}
