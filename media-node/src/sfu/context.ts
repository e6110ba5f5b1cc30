/**
 * What every conference and endpoint of the node shares: the UDP port, the DTLS identity, the
 * announced address, logging, the error boundary, the clock and the bridge-channel base URL.
 * @module
 */
import type { Clock } from '../clock.ts';
import type { Faults } from '../faults.ts';
import type { Logger } from '../log.ts';
import type { DtlsIdentity } from '../transport/certificate.ts';
import type { UdpMux } from '../transport/udp-mux.ts';

export interface SfuContext {
  readonly mux: UdpMux;
  readonly identity: DtlsIdentity;
  readonly publicIp: string;
  readonly log: Logger;
  /** Where handlers that throw are reported (counted in /about/stats); the node's own in production. */
  readonly faults: Faults;
  /** Base of bridge-channel URLs, `ws(s)://host:port/colibri-ws/<node>`; unset: no bridge channel. Set once the server listens. */
  channelUrl?: string;
  /** Fault injection for tests (MEDIA_DROP_PERMILLE): forwarded video packets dropped per thousand. */
  readonly dropPermille?: number;
  /** SSRC rewriting: slots per receiver (50 audio, 50 video by default, as JVB's ssrc-limit). */
  readonly ssrcLimits?: { readonly audio: number; readonly video: number };
  /** Time for routing, feedback and allocation; the real monotonic clock by default. */
  readonly clock?: Clock;
}
