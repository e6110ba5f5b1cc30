/**
 * TURN credentials from the edge (XEP-0215 `urn:xmpp:extdisco:2`, asked by @xmpp/client as
 * lib-jitsi-meet asks) accepted by Debian's coturn on loopback started with the edge's TURN_SECRET:
 * a TURN Allocate over UDP and over TCP succeeds with them; a tampered password, an expired
 * username and a credential made with another secret are refused (401).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnPassword } from '../../edge/src/turn/external-services.ts';
import { haveCoturn, startCoturn, type Coturn } from '../helpers/coturn.ts';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { connectClient, xml, type TestClient } from '../helpers/xmpp-client.ts';
import { turnAllocate } from '../helpers/turn-client.ts';

const NS = 'urn:xmpp:extdisco:2';
const SECRET = 'edge-and-coturn-share-this-0123';
const runIt = haveCoturn || process.env.CI ? it : it.skip;
if (!haveCoturn && !process.env.CI) console.warn('skipping the TURN credential test: no /usr/bin/turnserver (apt-get install coturn)');

describe('TURN credentials from the edge, accepted by coturn', () => {
  let coturn: Coturn;
  let edge: RunningEdge;
  let client: TestClient;
  beforeAll(async () => {
    if (!haveCoturn && !process.env.CI) return;
    coturn = await startCoturn(SECRET);
    edge = await startEdge({
      LOG_LEVEL: 'warn', TURN_SECRET: SECRET, TURN_TTL_SECONDS: '600',
      TURN_URIS: `stun:127.0.0.1:${coturn.port},turn:127.0.0.1:${coturn.port}?transport=udp,turn:127.0.0.1:${coturn.port}?transport=tcp`,
    });
    client = await connectClient(edge.wsUrl, 'turn-creds');
  });
  afterAll(async () => {
    await client?.stop();
    await edge?.stop();
    await coturn?.stop();
  });

  runIt('the domain advertises extdisco:2 and answers <services/> with a 10-minute credential', async () => {
    const info = await client.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain(NS);
    const before = Math.floor(Date.now() / 1000);
    const res = await client.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('services', { xmlns: NS })));
    const services = res.getChild('services', NS)!.getChildren('service').map((s) => s.attrs as Record<string, string>);
    expect(services.map((s) => `${s.type}:${s.host}:${s.port}/${s.transport}`)).toEqual([
      `stun:127.0.0.1:${coturn.port}/udp`, `turn:127.0.0.1:${coturn.port}/udp`, `turn:127.0.0.1:${coturn.port}/tcp`,
    ]);
    const [, udp, tcp] = services as [Record<string, string>, Record<string, string>, Record<string, string>];
    expect(udp.username).toBe(tcp.username);
    const [expiry, user] = udp.username!.split(':');
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(599);
    expect(Number(expiry) - before).toBeLessThanOrEqual(601);
    expect(`${user}@meet.jitsi`).toBe(client.jid.split('/')[0]);
    expect(udp.restricted).toBe('1');
    expect(Date.parse(udp.expires!) / 1000).toBe(Number(expiry));
    expect(services[0]!.username).toBeUndefined();
  });

  runIt('coturn allocates a relay with them over UDP and TCP, and refuses tampered, expired and foreign credentials', async () => {
    const res = await client.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('services', { xmlns: NS, type: 'turn' })));
    const [udp, tcp] = res.getChild('services', NS)!.getChildren('service').map((s) => s.attrs as Record<string, string>);
    const server = { host: '127.0.0.1', port: coturn.port };
    const viaUdp = await turnAllocate({ ...server, transport: 'udp', username: udp!.username!, password: udp!.password! });
    expect(viaUdp).toMatchObject({ ok: true, relayed: { address: '127.0.0.1' } });
    const viaTcp = await turnAllocate({ ...server, transport: 'tcp', username: tcp!.username!, password: tcp!.password! });
    expect(viaTcp).toMatchObject({ ok: true, relayed: { address: '127.0.0.1' } });

    // Change the first character (to another one: a base64 password may already start with 'x').
    const first = udp!.password![0] === 'x' ? 'y' : 'x';
    const tampered = await turnAllocate({ ...server, transport: 'udp', username: udp!.username!, password: `${first}${udp!.password!.slice(1)}` });
    expect(tampered).toMatchObject({ ok: false, code: 401 });
    const expiredName = `${Math.floor(Date.now() / 1000) - 60}:someone`;
    const expired = await turnAllocate({ ...server, transport: 'udp', username: expiredName, password: await turnPassword(SECRET, expiredName) });
    expect(expired).toMatchObject({ ok: false, code: 401 });
    const foreign = await turnAllocate({ ...server, transport: 'tcp', username: udp!.username!, password: await turnPassword('another-secret-0123456789', udp!.username!) });
    expect(foreign).toMatchObject({ ok: false, code: 401 });
    // coturn's log names the edge's username for the successful allocations.
    expect(coturn.log()).toContain(udp!.username!);
  });

  runIt('<credentials/> for one named service answers that service only', async () => {
    const res = await client.iq(xml('iq', { type: 'get', to: 'meet.jitsi' },
      xml('credentials', { xmlns: NS }, xml('service', { type: 'turn', host: '127.0.0.1', port: String(coturn.port) }))));
    const services = res.getChild('credentials', NS)!.getChildren('service');
    expect(services.map((s) => s.attrs.transport)).toEqual(['udp', 'tcp']);
    expect(services.every((s) => typeof s.attrs.password === 'string' && s.attrs.password.length === 28)).toBe(true);
  });
});
