/**
 * `GET /metrics`: the node in the Prometheus text exposition format (version 0.0.4), read from the
 * conference directory, the fault counters and the process at scrape time (nothing is sampled in
 * between, so an idle node costs nothing). Every metric is prefixed `edgemeet_media_node_`, except
 * the standard `process_*` / `nodejs_*` ones. Counters are node-lifetime totals (conferences that
 * ended are folded in by the directory); gauges describe the current conferences.
 *
 * RTT: the node originates no sender reports (it forwards the senders' own), so it cannot measure
 * round trips itself; what it exposes is what clients report over the bridge channel
 * (lib-jitsi-meet's `EndpointStats.jvbRTT`, noted by {@link NodeMetrics.noteEndpointStats}).
 * @module
 */
import type { Faults } from './faults.ts';
import type { SfuConferenceDirectory } from './sfu/conference-directory.ts';
import type { SfuEndpoint } from './sfu/endpoint.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface NodeMetricsOptions {
  directory: SfuConferenceDirectory;
  faults: Faults;
  nodeId: string;
  region: string;
  version: string;
  capacityEndpoints: number;
  /** Whether the control connection to the edge is up. */
  online: () => boolean;
  now?: () => number;
}

type Sample = readonly [labels: Record<string, string>, value: number];

/** Client-reported RTTs older than this are not counted (lib-jitsi-meet reports every 10 s or so). */
const RTT_MAX_AGE_MS = 30_000;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class NodeMetrics {
  readonly #o: NodeMetricsOptions;
  readonly #now: () => number;
  readonly #rtt = new WeakMap<SfuEndpoint, { ms: number; at: number }>();
  /** Last value reported per counter: a counter never goes down (see transport feedback below). */
  readonly #high = new Map<string, number>();
  readonly #startSeconds = Math.floor(Date.now() / 1000 - process.uptime());

  constructor(o: NodeMetricsOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** An `EndpointStats` message from `endpoint`'s client: keeps its `jvbRTT` (ms) if it has one. */
  noteEndpointStats(endpoint: SfuEndpoint, message: Record<string, unknown>): void {
    const rtt = message.jvbRTT;
    if (typeof rtt === 'number' && Number.isFinite(rtt) && rtt >= 0 && rtt < 60_000) this.#rtt.set(endpoint, { ms: rtt, at: this.#now() });
  }

  render(): string {
    const { directory, faults } = this.#o;
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
        out.push(`${name}${l ? `{${l}}` : ''} ${formatValue(value)}`);
      }
    };
    const monotonic = (key: string, value: number) => {
      const v = Math.max(value, this.#high.get(key) ?? 0);
      this.#high.set(key, v);
      return v;
    };
    const P = 'edgemeet_media_node_';

    let endpoints = 0;
    let connected = 0;
    let incomingVideoBps = 0;
    let outgoingVideoBps = 0;
    let expected = 0;
    let received = 0;
    let streams = 0;
    let forwarded = 0;
    let retransmitted = 0;
    let nacks = 0;
    let feedback = 0;
    const rtts: number[] = [];
    const now = this.#now();
    for (const c of directory.conferences()) {
      forwarded += c.forwardedPackets;
      retransmitted += c.retransmitted;
      nacks += c.nacksForwarded;
      for (const ep of c.endpoints()) {
        endpoints++;
        if (ep.connected) connected++;
        feedback += ep.transportFeedback.sent;
        outgoingVideoBps += ep.receivingBps();
        for (const v of ep.videoSources) for (const layer of v.layers) incomingVideoBps += layer.bitrate;
        for (const r of ep.receptionStats()) {
          if (!r.hasPackets) continue;
          streams++;
          expected += r.expected;
          received += r.received;
        }
        const rtt = this.#rtt.get(ep);
        if (rtt && now - rtt.at <= RTT_MAX_AGE_MS) rtts.push(rtt.ms / 1000);
      }
    }
    const lost = Math.max(0, expected - received);
    const retired = directory.retired;

    family(`${P}info`, 'gauge', 'The node: its id, region and version (always 1).', [[{ node: this.#o.nodeId, region: this.#o.region, version: this.#o.version }, 1]]);
    family(`${P}control_connected`, 'gauge', 'Whether the control connection to the edge is up (1) or not (0).', [[{}, this.#o.online() ? 1 : 0]]);
    family(`${P}draining`, 'gauge', 'Whether the node takes no new conferences (1: drain, SIGTERM).', [[{}, directory.draining ? 1 : 0]]);
    family(`${P}shutting_down`, 'gauge', 'Whether the node asked the focus to move its conferences away (1).', [[{}, directory.shuttingDown ? 1 : 0]]);
    family(`${P}conferences`, 'gauge', 'Conferences on this node.', [[{}, directory.conferenceCount]]);
    family(`${P}endpoints`, 'gauge', 'Endpoints (participants) on this node.', [[{}, endpoints]]);
    family(`${P}endpoints_connected`, 'gauge', 'Endpoints whose ICE/DTLS transport is connected.', [[{}, connected]]);
    family(`${P}stress`, 'gauge', 'Endpoints over CAPACITY_ENDPOINTS, at most 1 (the stress level announced to the edge).', [[{}, Math.min(1, endpoints / this.#o.capacityEndpoints)]]);
    family(`${P}forwarded_packets_total`, 'counter', 'RTP packets forwarded to receivers.', [[{}, monotonic('fwd', retired.forwardedPackets + forwarded)]]);
    family(`${P}retransmitted_packets_total`, 'counter', 'Packets retransmitted from the packet cache in answer to NACKs.', [[{}, monotonic('rtx', retired.retransmittedPackets + retransmitted)]]);
    family(`${P}nacks_forwarded_total`, 'counter', 'NACKs passed on to senders (what the cache did not hold).', [[{}, monotonic('nack', retired.nacksForwarded + nacks)]]);
    // An endpoint that leaves a conference that goes on takes its feedback count with it: the total
    // is held at its highest value rather than going down.
    family(`${P}transport_feedback_packets_total`, 'counter', 'Transport-cc feedback packets sent to senders.', [[{}, monotonic('tcc', retired.transportFeedbackPackets + feedback)]]);
    family(`${P}incoming_video_bitrate_bps`, 'gauge', 'Video arriving from senders, all simulcast layers, bits/s (smoothed, per second).', [[{}, Math.round(incomingVideoBps)]]);
    family(`${P}outgoing_video_bitrate_bps`, 'gauge', 'Video forwarded to receivers (the layers each one gets), bits/s.', [[{}, Math.round(outgoingVideoBps)]]);
    family(`${P}incoming_streams`, 'gauge', 'Incoming RTP streams (SSRCs) with packets, over the current conferences.', [[{}, streams]]);
    family(`${P}incoming_packets_expected`, 'gauge', 'RTP packets expected from the incoming streams of the current conferences (RFC 3550 A.3).', [[{}, expected]]);
    family(`${P}incoming_packets_lost`, 'gauge', 'Of those, packets never received (expected minus received, at least 0).', [[{}, lost]]);
    family(`${P}incoming_loss_ratio`, 'gauge', 'Lost over expected for the incoming streams of the current conferences (0 with no packets).', [[{}, expected > 0 ? lost / expected : 0]]);
    family(`${P}client_rtt_seconds`, 'gauge', 'Round trip to the node as clients report it (EndpointStats jvbRTT, last 30 s): mean and max over the endpoints that report.',
      rtts.length === 0 ? [] : [[{ stat: 'mean' }, rtts.reduce((a, b) => a + b, 0) / rtts.length], [{ stat: 'max' }, Math.max(...rtts)]]);
    family(`${P}client_rtt_reports`, 'gauge', 'Endpoints that reported an RTT in the last 30 s.', [[{}, rtts.length]]);
    const counts = faults.counts();
    family(`${P}faults_total`, 'counter', 'Handler failures by error boundary (each also logged as handler.failed).', Object.entries(counts).map(([site, n]) => [{ site }, n] as const));
    family(`${P}rejected_total`, 'counter', 'Refused input: bridge-channel messages, SRTP/SRTCP failing authentication.', Object.entries(faults.rejected()).map(([reason, n]) => [{ reason }, n] as const));

    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent, seconds.', [[{}, cpu.user / 1e6]]);
    family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent, seconds.', [[{}, cpu.system / 1e6]]);
    family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, seconds.', [[{}, (cpu.user + cpu.system) / 1e6]]);
    family('process_resident_memory_bytes', 'gauge', 'Resident set size, bytes.', [[{}, mem.rss]]);
    family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, seconds.', [[{}, this.#startSeconds]]);
    family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used, bytes.', [[{}, mem.heapUsed]]);
    family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap allocated, bytes.', [[{}, mem.heapTotal]]);
    family('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript (buffers), bytes.', [[{}, mem.external]]);
    return `${out.join('\n')}\n`;
  }
}
