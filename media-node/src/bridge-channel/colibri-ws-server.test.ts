import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Faults } from '../faults.ts';
import { createLogger } from '../log.ts';
import { SfuConferenceDirectory } from '../sfu/conference-directory.ts';
import type { SfuEndpoint } from '../sfu/endpoint.ts';
import { createDtlsIdentity } from '../transport/certificate.ts';
import { UdpMux } from '../transport/udp-mux.ts';
import { ColibriWsServer } from './colibri-ws-server.ts';

function open(url: string): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>> }> {
  const ws = new WebSocket(url);
  const frames: Array<Record<string, unknown>> = [];
  ws.addEventListener('message', (ev) => frames.push(JSON.parse(String(ev.data)) as Record<string, unknown>));
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve({ ws, frames }), { once: true });
    ws.addEventListener('error', () => reject(new Error('refused')), { once: true });
  });
}

describe('ColibriWsServer', () => {
  let mux: UdpMux;
  let server: ColibriWsServer;
  let faults: Faults;
  let directory: SfuConferenceDirectory;
  let url: (ep: string) => string;
  beforeAll(async () => {
    const log = createLogger('error');
    faults = new Faults(log);
    mux = await UdpMux.bind('127.0.0.1', 0, faults);
    directory = new SfuConferenceDirectory({ mux, identity: await createDtlsIdentity(), publicIp: '127.0.0.1', log, faults });
    server = await ColibriWsServer.listen({ host: '127.0.0.1', port: 0, nodeId: 'n1', directory, log, faults, version: 'test' });
    const conference = directory.create('m1', undefined);
    for (const id of ['a', 'b']) conference.createEndpoint(id);
    url = (ep) => `ws://127.0.0.1:${server.port}/colibri-ws/n1/${conference.id}/${ep}?pwd=${(conference.endpoint(ep) as SfuEndpoint).channelPassword}`;
  });
  afterAll(async () => {
    directory?.closeAll();
    await server?.close();
    await mux?.close();
  });

  it('an EndpointMessage nested 12,000 deep is refused and counted; the node keeps relaying', async () => {
    const a = await open(url('a'));
    const b = await open(url('b'));
    await expect.poll(() => b.frames[0]?.colibriClass).toBe('ServerHello');
    // 24 KB, under the 64 KB frame limit: it used to be parsed, then overflow the stack when serialized for relaying.
    a.ws.send(`{"colibriClass":"EndpointMessage","to":"","msgPayload":${'['.repeat(12_000)}${']'.repeat(12_000)}}`);
    a.ws.send(JSON.stringify({ colibriClass: 'EndpointMessage', to: 'b', msgPayload: { type: 'after' } }));
    await expect.poll(() => b.frames.find((f) => f.colibriClass === 'EndpointMessage')).toMatchObject({ from: 'a', msgPayload: { type: 'after' } });
    expect(b.frames.filter((f) => f.colibriClass === 'EndpointMessage')).toHaveLength(1);
    const stats = await (await fetch(`http://127.0.0.1:${server.port}/about/stats`)).json() as { faults: Record<string, number>; rejected: Record<string, number> };
    expect(stats.rejected['channel-message']).toBe(1);
    expect(Object.values(stats.faults).every((n) => n === 0)).toBe(true);
    a.ws.close();
    b.ws.close();
  });

  it('a handler that throws is a counted fault in /about/stats; the channel stays open and serving', async () => {
    const a = await open(url('a'));
    const conference = [...directory.conferences()][0]!;
    const setLastN = conference.setLastN.bind(conference);
    conference.setLastN = () => { throw new Error('bug in last-n'); };
    try {
      a.ws.send(JSON.stringify({ colibriClass: 'LastNChangedEvent', lastN: 2 }));
      await expect.poll(() => faults.counts()['colibri-ws']).toBe(1);
    } finally {
      conference.setLastN = setLastN;
    }
    a.ws.send(JSON.stringify({ colibriClass: 'ClientHello' }));
    await expect.poll(() => a.frames.filter((f) => f.colibriClass === 'ServerHello').length).toBe(2);
    const stats = await (await fetch(`http://127.0.0.1:${server.port}/about/stats`)).json() as { faults: Record<string, number> };
    expect(stats.faults['colibri-ws']).toBe(1);
    a.ws.close();
  });
});
