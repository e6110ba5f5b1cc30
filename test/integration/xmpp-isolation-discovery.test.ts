import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { connectClient, joinPresence, joinRoom, presenceFrom, sleep, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';

/** A WebSocket upgrade request whose refusal we want to read (fetch cannot send Upgrade). */
function upgradeRequest(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', () => reject(new Error('unexpected upgrade')));
    req.on('error', reject);
    req.end();
  });
}

describe('rooms are isolated; discovery and HTTP endpoints', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => { edge = await startEdge({ LOG_LEVEL: 'warn' }); });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });
  const track = (c: TestClient) => { clients.push(c); return c; };

  it('traffic in room A never reaches room B; addressing room B from A gets not-allowed; nicknames may repeat', async () => {
    const a1 = track(await joinRoom(edge.wsUrl, 'iso-a', 'same'));
    const a2 = track(await joinRoom(edge.wsUrl, 'iso-a', 'other'));
    const b1 = track(await joinRoom(edge.wsUrl, 'iso-b', 'same'));
    await a1.send(xml('message', { to: `iso-a@${MUC}`, type: 'groupchat' }, xml('body', null, 'only for A')));
    await a2.waitFor((s) => s.getChildText('body') === 'only for A');
    await sleep(300);
    expect(b1.received((s) => s.getChildText('body') === 'only for A')).toHaveLength(0);
    expect(b1.received((s) => String(s.attrs.from ?? '').startsWith('iso-a@'))).toHaveLength(0);

    await a1.send(xml('message', { to: `iso-b@${MUC}`, type: 'groupchat' }, xml('body', null, 'intrusion')));
    const refused = await a1.waitFor((s) => s.name === 'message' && s.attrs.type === 'error');
    expect(refused.getChild('error')?.getChild('not-allowed')).toBeDefined();
    await a1.send(joinPresence(`iso-b@${MUC}`, 'sneaky'));
    const presenceRefused = await a1.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(presenceRefused.getChild('error')?.getChild('not-allowed')).toBeDefined();
    await expect(a1.iq(xml('iq', { type: 'get', to: `iso-b@${MUC}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))))
      .rejects.toMatchObject({ condition: 'not-allowed' });
    await sleep(200);
    expect(b1.received((s) => s.getChildText('body') === 'intrusion' || presenceFrom(`iso-b@${MUC}`, 'sneaky')(s))).toHaveLength(0);
  });

  it('disco, ping and errors for unknown namespaces and domains', async () => {
    const c = track(await joinRoom(edge.wsUrl, 'disco', 'd1'));
    const info = await c.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toContain('urn:xmpp:ping');
    expect((await c.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('ping', { xmlns: 'urn:xmpp:ping' })))).attrs.type).toBe('result');
    const roomInfo = await c.iq(xml('iq', { type: 'get', to: `disco@${MUC}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const fields = roomInfo.getChild('query')!.getChild('x')!.getChildren('field').map((f) => f.attrs.var);
    expect(fields).toContain('muc#roominfo_meetingId');
    expect(roomInfo.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain('muc_nonanonymous');
    await expect(c.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: 'urn:example:unknown' }))))
      .rejects.toMatchObject({ condition: 'service-unavailable' });
    await expect(c.iq(xml('iq', { type: 'get', to: `disco@${MUC}` }, xml('query', { xmlns: 'urn:example:unknown' }))))
      .rejects.toMatchObject({ condition: 'service-unavailable' });
    await expect(c.iq(xml('iq', { type: 'get', to: 'elsewhere.example' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))))
      .rejects.toMatchObject({ condition: 'remote-server-not-found' });
  });

  it('GET /config.js, /about/health, keep-alive GET and a bad upgrade', async () => {
    const js = await (await fetch(`${edge.url}/config.js`)).text();
    expect(js).toMatch(/^var config = /);
    const config = JSON.parse(js.slice('var config = '.length, js.lastIndexOf(';'))) as { hosts: Record<string, string>; websocket: string };
    expect(config.hosts).toMatchObject({ domain: 'meet.jitsi', muc: MUC, focus: 'focus.meet.jitsi' });
    expect(config.websocket).toBe(`${edge.wsUrl}`);
    expect(await (await fetch(`${edge.url}/about/health`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${edge.url}/xmpp-websocket?room=keepalive`)).status).toBe(200);
    const noRoom = await upgradeRequest(`${edge.url}/xmpp-websocket`);
    expect(noRoom.status).toBe(400);
    expect(JSON.parse(noRoom.body)).toMatchObject({ error: { code: 'bad-request' } });
    expect((await fetch(`${edge.url}/xmpp-websocket?room=${encodeURIComponent('a@b')}`)).status).toBe(400);
  });

  it('a client that never joins can still be reached by its full JID from another session of the same room', async () => {
    const x = track(await connectClient(edge.wsUrl, 'direct'));
    const y = track(await connectClient(edge.wsUrl, 'direct'));
    await x.send(xml('message', { to: y.jid, type: 'chat' }, xml('body', null, 'direct hello')));
    const got = await y.waitFor((s) => s.getChildText('body') === 'direct hello');
    expect(got.attrs.from).toBe(x.jid);
  });
});
