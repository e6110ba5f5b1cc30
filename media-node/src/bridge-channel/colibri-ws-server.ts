/**
 * The node's HTTP side (JVB's public HTTP server, :9090 in Jitsi deployments): `GET /about/health`,
 * `GET /about/stats` (counters over the current conferences, as JVB's /colibri/stats),
 * `GET /metrics` (Prometheus text format, metrics.ts)
 * and the bridge channel at `/colibri-ws/<node>/<conference>/<endpoint>?pwd=…` (jitsi-wire-protocol
 * §6): ServerHello on open, EndpointMessage and EndpointStats relayed between the conference's
 * endpoints, receiver constraints recorded. Wrong path → 404, unknown endpoint or password → 403;
 * garbage messages (malformed, or over the bounded-JSON limits) are dropped and counted, never
 * closing the channel or the conference. Every entry point is an error boundary: what a handler
 * throws is reported to {@link Faults} (logged, counted in `/about/stats`), never the process's end.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { parseBridgeMessage, serializeBridgeMessage, type BridgeMessage } from '@edgemeet/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Faults } from '../faults.ts';
import type { Logger } from '../log.ts';
import { METRICS_CONTENT_TYPE, type NodeMetrics } from '../metrics.ts';
import type { SfuConference } from '../sfu/conference.ts';
import type { SfuEndpoint } from '../sfu/endpoint.ts';
import type { SfuConferenceDirectory } from '../sfu/conference-directory.ts';

export interface ColibriWsServerOptions {
  host: string;
  port: number;
  nodeId: string;
  directory: SfuConferenceDirectory;
  log: Logger;
  faults: Faults;
  version: string;
  /** `GET /metrics`; without it the path is 404. */
  metrics?: NodeMetrics;
}

function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ColibriWsServer {
  readonly #o: ColibriWsServerOptions;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 65_536 });

  private constructor(o: ColibriWsServerOptions) {
    this.#o = o;
    this.#http = createServer((req, res) => {
      try {
        this.#request(req.method, req.url, res);
      } catch (err) {
        o.faults.report('http', err, { url: req.url?.slice(0, 100) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    });
    this.#http.on('upgrade', (req, socket, head) => {
      try {
        const target = this.#authorize(req);
        if (typeof target === 'number') {
          socket.end(`HTTP/1.1 ${target} ${target === 404 ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => o.faults.guard('colibri-ws', () => this.#open(ws, target.conference, target.endpoint)));
      } catch (err) {
        o.faults.report('colibri-ws', err, { url: req.url?.slice(0, 100) });
        socket.destroy();
      }
    });
  }

  #request(method: string | undefined, url: string | undefined, res: ServerResponse): void {
    const o = this.#o;
    if (method === 'GET' && url === '/about/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        status: 'ok', node: o.nodeId, draining: o.directory.draining, conferences: o.directory.conferenceCount, endpoints: o.directory.endpointCount,
      }));
      return;
    }
    if (method === 'GET' && url === '/about/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        node: o.nodeId, draining: o.directory.draining, ...o.directory.stats(), faults: o.faults.counts(), rejected: o.faults.rejected(),
      }));
      return;
    }
    if (method === 'GET' && url === '/metrics' && o.metrics) {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(o.metrics.render());
      return;
    }
    res.writeHead(404).end();
  }

  static async listen(o: ColibriWsServerOptions): Promise<ColibriWsServer> {
    const server = new ColibriWsServer(o);
    await new Promise<void>((resolve, reject) => {
      server.#http.once('error', reject);
      server.#http.listen(o.port, o.host, () => resolve());
    });
    return server;
  }

  get port(): number {
    const a = this.#http.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  #authorize(req: IncomingMessage): number | { conference: SfuConference; endpoint: SfuEndpoint } {
    const url = new URL(req.url ?? '/', 'http://node');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts.length !== 4 || parts[0] !== 'colibri-ws' || parts[1] !== this.#o.nodeId) return 404;
    const conference = this.#o.directory.byId(parts[2]!);
    const endpoint = conference?.endpoint(parts[3]!);
    const pwd = url.searchParams.get('pwd') ?? '';
    if (!conference || !endpoint || !samePassword(pwd, endpoint.channelPassword)) return 403;
    return { conference, endpoint };
  }

  #open(ws: WebSocket, conference: SfuConference, endpoint: SfuEndpoint): void {
    const log = this.#o.log.child({ conference: conference.id, endpoint: endpoint.id });
    const channel = { send: (text: string) => { if (ws.readyState === ws.OPEN) ws.send(text); }, close: (code?: number, reason?: string) => ws.close(code, reason) };
    endpoint.attachChannel(channel);
    ws.on('close', () => endpoint.detachChannel(channel));
    ws.on('error', (err) => log.warn('channel.error', { message: err.message }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#o.faults.reject('channel-message');
        return log.debug('channel.dropped', { reason: 'binary' });
      }
      let message: BridgeMessage;
      try {
        message = parseBridgeMessage(data.toString());
      } catch (err) {
        this.#o.faults.reject('channel-message');
        log.debug('channel.dropped', { reason: err instanceof Error ? err.message.slice(0, 200) : 'bad message' });
        return;
      }
      try {
        this.#handle(conference, endpoint, message);
      } catch (err) {
        this.#o.faults.report('colibri-ws', err, { conference: conference.id, endpoint: endpoint.id, colibriClass: message.colibriClass });
      }
    });
    channel.send(serializeBridgeMessage({ colibriClass: 'ServerHello', version: this.#o.version }));
    conference.channelOpened(endpoint);
    log.info('channel.open', {});
  }

  #handle(conference: SfuConference, from: SfuEndpoint, m: BridgeMessage): void {
    switch (m.colibriClass) {
      case 'ClientHello':
        from.sendToChannel(serializeBridgeMessage({ colibriClass: 'ServerHello', version: this.#o.version }));
        return;
      case 'EndpointMessage': {
        const relayed = serializeBridgeMessage({ ...m, from: from.id });
        for (const ep of conference.endpoints()) {
          if (ep !== from && (m.to === '' || m.to === ep.id)) ep.sendToChannel(relayed);
        }
        return;
      }
      case 'EndpointStats': {
        this.#o.metrics?.noteEndpointStats(from, m);
        const relayed = serializeBridgeMessage({ ...m, from: from.id });
        for (const ep of conference.endpoints()) if (ep !== from) ep.sendToChannel(relayed);
        return;
      }
      case 'ReceiverVideoConstraints': {
        if (typeof m.lastN === 'number') conference.setLastN(from, m.lastN);
        // As JVB: fields left out leave the current settings alone.
        if (m.constraints === undefined && m.defaultConstraints === undefined) return;
        const byKey = new Map(Object.entries(m.constraints ?? {}).map(([key, c]) => [key, c.maxHeight]));
        conference.setConstraints(from, byKey, m.defaultConstraints?.maxHeight ?? Infinity);
        return;
      }
      case 'ReceiverVideoConstraint':
        conference.setConstraints(from, new Map(), m.maxFrameHeight);
        return;
      case 'LastNChangedEvent':
        conference.setLastN(from, m.lastN);
        return;
      default:
        // Messages only a bridge sends, or that need features not built yet (audio subscriptions), change nothing.
        return;
    }
  }

  close(): Promise<void> {
    for (const client of this.#wss.clients) client.close(1001, 'shutting down');
    return new Promise((resolve) => this.#http.close(() => resolve()));
  }
}
