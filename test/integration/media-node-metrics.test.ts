/**
 * `GET /metrics` on a media node, scraped and parsed strictly (test/helpers/prometheus-text.ts)
 * before, during and after a two-party call through the edge's focus: the gauges follow the call,
 * the counters grow and never go down when the conference ends, a client-reported RTT shows up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../media-node/src/config.ts';
import { createLogger } from '../../media-node/src/log.ts';
import { startMediaNode, type MediaNode } from '../../media-node/src/media-node.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { joinConference, type Participant } from '../helpers/jingle-participant.ts';
import { metricValue, parsePrometheusText, type MetricFamily } from '../helpers/prometheus-text.ts';

const SECRET = 'metrics-bridge-secret-0123456789';
const P = 'edgemeet_media_node_';

describe('the strict exposition parser', () => {
  it('reads families, labels with escapes, special values', () => {
    const f = parsePrometheusText('# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n"} 3\n# TYPE b gauge\nb NaN\nb{s="1"} -Inf\n');
    expect(f.get('a_total')).toEqual({ name: 'a_total', type: 'counter', help: 'A.', samples: [{ labels: { x: 'q"\\\n' }, value: 3 }] });
    expect(f.get('b')!.samples.map((s) => s.value)).toEqual([NaN, -Infinity]);
  });
  it('refuses what the format does not allow', () => {
    for (const bad of [
      'a 1', // no final newline
      '# TYPE a counter\na -1\n', // negative counter
      '# TYPE a gauge\na 1\na 2\n', // the same sample twice
      '# TYPE a gauge\n# TYPE b gauge\na 1\n', // a sample outside its family
      '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n', // a family split in two
      '# TYPE a gauge\na{x="\\t"} 1\n', // an escape the format lacks
      '# TYPE a gauge\na{x=1} 1\n', // unquoted label value
      '# TYPE a gauge\na one\n', // not a number
      '# TYPE a sometimes\n', // unknown type
      '# TYPE a gauge\n\na 1\n', // empty line
      '# a comment\n', // not HELP/TYPE
    ]) expect(() => parsePrometheusText(bad), JSON.stringify(bad)).toThrow();
  });
});

describe('GET /metrics on the media node', () => {
  let edge: RunningEdge;
  let node: MediaNode;
  let base: string;
  const people: Participant[] = [];
  beforeAll(async () => {
    edge = await startEdge({ BRIDGE_SECRET: SECRET, LOG_LEVEL: 'warn' });
    node = await startMediaNode(loadConfig({
      EDGE_URL: edge.url.replace(/^http/, 'ws'), BRIDGE_SECRET: SECRET, NODE_ID: 'metrics-node', MEDIA_UDP_HOST: '127.0.0.1',
      MEDIA_UDP_PORT: '0', HTTP_PORT: '0', STATS_INTERVAL_MS: '500', LOG_LEVEL: 'warn', CAPACITY_ENDPOINTS: '10',
    }), createLogger('warn', { node: 'metrics-node' }));
    base = `http://127.0.0.1:${node.http.port}`;
  });
  afterAll(async () => {
    await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
    await node?.stop();
    await edge?.stop();
  });

  async function scrape(): Promise<Map<string, MetricFamily>> {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await res.text());
  }

  it('an idle node: identity, zeros, process figures', async () => {
    await expect.poll(async () => metricValue(await scrape(), `${P}control_connected`), { timeout: 10_000 }).toBe(1);
    const m = await scrape();
    expect(m.get(`${P}info`)!.samples).toEqual([{ labels: { node: 'metrics-node', region: 'default', version: '0.1.0' }, value: 1 }]);
    for (const name of ['conferences', 'endpoints', 'draining', 'forwarded_packets_total', 'incoming_loss_ratio', 'client_rtt_reports']) {
      expect(metricValue(m, `${P}${name}`), name).toBe(0);
    }
    expect(m.get(`${P}faults_total`)!.samples.map((s) => s.labels.site).sort()).toEqual(['colibri-ws', 'colibri2', 'http', 'routing', 'timers', 'udp']);
    expect(m.get(`${P}forwarded_packets_total`)!.type).toBe('counter');
    expect(metricValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metricValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(Math.abs(metricValue(m, 'process_start_time_seconds') - Date.now() / 1000)).toBeLessThan(600);
  });

  it('a call: endpoints, stress, packets forwarded and received without loss, a client RTT; after it the counters stay', async () => {
    for (const nick of ['alice', 'bob']) people.push(await joinConference(edge.wsUrl, 'metrics-room', nick));
    await expect.poll(() => people.every((p) => p.ssrc !== null), { timeout: 15_000 }).toBe(true);
    const [alice, bob] = people as [Participant, Participant];
    for (let i = 0; i < 40 && !((bob.received.get(alice.ssrc!) ?? 0) > 20 && (alice.received.get(bob.ssrc!) ?? 0) > 20); i++) {
      await Promise.all([alice.sendAudio(5), bob.sendAudio(5)]);
    }
    expect(bob.received.get(alice.ssrc!) ?? 0).toBeGreaterThan(20);
    // A client's EndpointStats over the bridge channel, as lib-jitsi-meet sends it.
    const ws = new WebSocket(alice.channelUrl!);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    ws.send(JSON.stringify({ colibriClass: 'EndpointStats', bitrate: { upload: 40, download: 40 }, packetLoss: { total: 0 }, jvbRTT: 42, connectionQuality: 100 }));
    await expect.poll(async () => metricValue(await scrape(), `${P}client_rtt_reports`), { timeout: 5_000 }).toBe(1);

    const during = await scrape();
    expect(metricValue(during, `${P}conferences`)).toBe(1);
    expect(metricValue(during, `${P}endpoints`)).toBe(2);
    expect(metricValue(during, `${P}endpoints_connected`)).toBe(2);
    expect(metricValue(during, `${P}stress`)).toBeCloseTo(0.2);
    const forwarded = metricValue(during, `${P}forwarded_packets_total`);
    const delivered = (bob.received.get(alice.ssrc!) ?? 0) + (alice.received.get(bob.ssrc!) ?? 0);
    expect(forwarded).toBeGreaterThanOrEqual(delivered);
    expect(metricValue(during, `${P}incoming_streams`)).toBe(2);
    // (The test participants restart their sequence numbers at each burst: "expected" counts one burst's span.)
    expect(metricValue(during, `${P}incoming_packets_expected`)).toBeGreaterThan(0);
    expect(metricValue(during, `${P}incoming_packets_lost`)).toBe(0);
    expect(metricValue(during, `${P}client_rtt_seconds`, { stat: 'mean' })).toBeCloseTo(0.042);
    expect(metricValue(during, `${P}transport_feedback_packets_total`)).toBeGreaterThanOrEqual(0);
    ws.close();

    // Both leave: the conference ends; gauges go to 0, counters keep what they counted.
    await Promise.all(people.splice(0).map((p) => p.leave()));
    await expect.poll(async () => metricValue(await scrape(), `${P}conferences`), { timeout: 15_000 }).toBe(0);
    const after = await scrape();
    expect(metricValue(after, `${P}endpoints`)).toBe(0);
    expect(metricValue(after, `${P}incoming_streams`)).toBe(0);
    expect(metricValue(after, `${P}forwarded_packets_total`)).toBeGreaterThanOrEqual(forwarded);
    expect(metricValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(metricValue(during, 'process_cpu_seconds_total'));
  });

  it('draining shows', async () => {
    node.drain();
    expect(metricValue(await scrape(), `${P}draining`)).toBe(1);
  });
});
