/**
 * A conference's periodic work towards its endpoints, on two timers: every 50 ms transport-cc
 * feedback to each sender (transport-cc.ts); every second an RTCP receiver report to each sender
 * (receiver-reports.ts), ConnectionStats to each receiver whose browser sent a REMB, and the
 * bandwidth allocation (bandwidth-allocator.ts).
 * @module
 */
import { serializeBridgeMessage } from '@edgemeet/protocol';
import type { Clock } from '../clock.ts';
import type { Faults } from '../faults.ts';
import { BandwidthAllocator } from './bandwidth-allocator.ts';
import type { SfuEndpoint } from './endpoint.ts';
import { receiverReport } from './receiver-reports.ts';

/** How often each sender gets a receiver report (and the allocation runs). */
const RECEIVER_REPORT_INTERVAL_MS = 1000;
/** How often each sender gets transport-cc feedback (libwebrtc's receivers: 50–250 ms). */
const TRANSPORT_FEEDBACK_INTERVAL_MS = 50;

/** What the periodic work needs from its conference. */
export interface FeedbackScope {
  endpoints(): IterableIterator<SfuEndpoint>;
  /** Endpoint ids, most recent dominant speaker first. */
  readonly speakerOrder: readonly string[];
  /** The SSRC the node's own RTCP comes from. */
  readonly reporterSsrc: number;
}

export class PeriodicFeedback {
  readonly #scope: FeedbackScope;
  readonly #timers: Array<ReturnType<typeof setInterval>>;
  readonly #allocator: BandwidthAllocator;

  /** `faults`: the timers' error boundary (a throwing timer callback would end the process). */
  constructor(scope: FeedbackScope, faults: Faults, clock: Clock) {
    this.#scope = scope;
    this.#allocator = new BandwidthAllocator(clock.now());
    const guarded = (fn: () => void) => () => faults.guard('timers', fn);
    this.#timers = [
      setInterval(guarded(() => {
        const now = clock.now();
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
      if (ep.downlinkBps !== null) ep.sendToChannel(serializeBridgeMessage({ colibriClass: 'ConnectionStats', estimatedDownlinkBandwidth: ep.downlinkBps }));
      if (!ep.connected || ep.receptionCount === 0) continue;
      const rr = receiverReport(this.#scope.reporterSsrc, ep.receptionStats(), nowMs);
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

  /** The once-a-second bandwidth allocation of every receiver. */
  allocateBandwidth(nowMs: number): void {
    this.#allocator.run([...this.#scope.endpoints()], this.#scope.speakerOrder, nowMs);
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
  }
}
