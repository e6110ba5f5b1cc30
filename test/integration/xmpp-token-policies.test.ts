import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { connectClient, isSelfPresence, itemOf, joinPresence, presenceFrom, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const APP_ID = 'edgemeet-test';
const SECRET = 'policy-test-secret-0123456789abcdef012345';
const NS_FOCUS = 'http://jitsi.org/protocol/focus';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

interface Keys { priv: CryptoKey; pub: CryptoKey; jwk: JWK }
async function keys(alg: 'RS256' | 'ES256'): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { priv: privateKey, pub: publicKey, jwk: await exportJWK(publicKey) };
}

interface Sign { alg: string; kid?: string; key: CryptoKey | Uint8Array; iss?: string; aud?: string; exp?: number; nbf?: number }
function sign(claims: Record<string, unknown>, s: Sign): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ sub: 'meet.jitsi', room: '*', ...claims })
    .setProtectedHeader({ alg: s.alg, ...(s.kid ? { kid: s.kid } : {}) })
    .setIssuer(s.iss ?? APP_ID).setAudience(s.aud ?? 'jitsi').setIssuedAt(now)
    .setExpirationTime(s.exp ?? now + 3600);
  if (s.nbf !== undefined) jwt.setNotBefore(s.nbf);
  return jwt.sign(s.key);
}

/** An unsigned token (`alg: none`), as an attacker would write it. */
function unsigned(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: APP_ID, aud: 'jitsi', sub: 'meet.jitsi', room: '*', iat: now, exp: now + 3600, ...claims })}.`;
}

describe('token verification and room policies: secure domain with guests', () => {
  let edge: RunningEdge;
  let keyServer: Server;
  let keyServerUrl: string;
  const served = { jwks: [] as JWK[], asap: new Map<string, string>(), requests: [] as string[] };
  const clients: TestClient[] = [];
  let own: Keys & { kid: string; privJwk: JWK };
  let ext1: Keys;
  let ext2: Keys;
  let asap: Keys;

  beforeAll(async () => {
    const ownKeys = await keys('ES256');
    own = { ...ownKeys, kid: 'edge-2026-01', privJwk: await exportJWK(ownKeys.priv) };
    [ext1, ext2, asap] = await Promise.all([keys('RS256'), keys('RS256'), keys('RS256')]);
    served.jwks = [{ ...ext1.jwk, kid: 'ext-1', alg: 'RS256', use: 'sig' }];
    served.asap.set(createHash('sha256').update('asap-key-1').digest('hex'), await exportSPKI(asap.pub));
    keyServer = createServer((req, res) => {
      served.requests.push(req.url ?? '');
      if (req.url === '/jwks.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served.jwks }));
      const pem = /^\/asap\/([0-9a-f]{64})\.pem$/.exec(req.url ?? '')?.[1];
      if (pem && served.asap.has(pem)) return void res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(served.asap.get(pem));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => keyServer.listen(0, '127.0.0.1', r));
    keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
    edge = await startEdge({
      LOG_LEVEL: 'warn', AUTH_POLICY: 'guests', JWT_APP_ID: APP_ID, JWT_APP_SECRET: SECRET,
      JWT_SIGNING_JWKS: JSON.stringify({ keys: [{ ...own.privJwk, kid: own.kid, alg: 'ES256' }] }),
      JWT_JWKS_URLS: `${keyServerUrl}/jwks.json`, JWT_JWKS_COOLDOWN_SECONDS: '1', JWT_ASAP_KEY_SERVER: `${keyServerUrl}/asap`,
      JWT_ACCEPTED_ISSUERS: `${APP_ID},external-idp,asap-issuer`, JWT_ACCEPTED_AUDIENCES: 'jitsi', JWT_CLOCK_SKEW_SECONDS: '10',
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
    await new Promise<void>((r) => (keyServer ? keyServer.close(() => r()) : r()));
  });

  const connect = async (room: string, token?: string, domain = 'meet.jitsi') => {
    const c = await connectClient(edge.wsUrl, room, domain, token);
    clients.push(c);
    return c;
  };
  const conferenceIq = (room: string) => xml('iq', { type: 'set', to: 'focus.meet.jitsi' }, xml('conference', { xmlns: NS_FOCUS, room: `${room}@${MUC}` }));

  it('/.well-known/jwks.json publishes the edge\'s public signing key by kid, never the private part', async () => {
    const body = await (await fetch(`${edge.url}/.well-known/jwks.json`)).json() as { keys: JWK[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kid: own.kid, alg: 'ES256', kty: 'EC', crv: 'P-256', x: own.jwk.x, y: own.jwk.y, use: 'sig' });
    expect(body.keys[0]).not.toHaveProperty('d');
  });

  it('accepted: HS256 with the app secret, ES256 by the edge\'s own kid, RS256 from the JWKS URL, RS256 from the asap key server; a kid added to the JWKS later is found by fetching it again', async () => {
    const tokens = [
      await sign({}, { alg: 'HS256', key: new TextEncoder().encode(SECRET) }),
      await sign({}, { alg: 'ES256', kid: own.kid, key: own.priv }),
      await sign({}, { alg: 'RS256', kid: 'ext-1', key: ext1.priv, iss: 'external-idp' }),
      await sign({}, { alg: 'RS256', kid: 'asap-key-1', key: asap.priv, iss: 'asap-issuer' }),
    ];
    for (const t of tokens) await connect('acceptroom', t);
    // Rotation at the other issuer: ext-2 appears in its JWKS after the edge cached the set.
    served.jwks = [...served.jwks, { ...ext2.jwk, kid: 'ext-2', alg: 'RS256' }];
    const before = served.requests.filter((r) => r === '/jwks.json').length;
    await new Promise((r) => setTimeout(r, 1100));
    await connect('acceptroom', await sign({}, { alg: 'RS256', kid: 'ext-2', key: ext2.priv, iss: 'external-idp' }));
    expect(served.requests.filter((r) => r === '/jwks.json').length).toBe(before + 1);
    expect(served.requests).toContain(`/asap/${createHash('sha256').update('asap-key-1').digest('hex')}.pem`);
  });

  it('refused with SASL not-authorized, each for its reason: forged signature, alg none, HS/RS confusion, expired, not yet valid, wrong audience, wrong issuer, unknown kid, disallowed algorithm', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [other, stranger] = await Promise.all([keys('ES256'), keys('RS256')]);
    const rsaPem = new TextEncoder().encode(await exportSPKI(ext1.pub));
    const cases: [string, string, RegExp][] = [
      ['forged signature (another key, the edge\'s kid)', await sign({}, { alg: 'ES256', kid: own.kid, key: other.priv }), /bad signature/],
      ['forged HS256 (another secret)', await sign({}, { alg: 'HS256', key: new TextEncoder().encode('x'.repeat(40)) }), /bad signature/],
      ['alg none', unsigned({}), /alg none/],
      ['HS/RS confusion: HS256 keyed with the issuer\'s RSA public key', await sign({}, { alg: 'HS256', kid: 'ext-1', key: rsaPem, iss: 'external-idp' }), /bad signature/],
      ['expired beyond the skew', await sign({}, { alg: 'HS256', key: new TextEncoder().encode(SECRET), exp: now - 60 }), /expired/],
      ['not yet valid beyond the skew', await sign({}, { alg: 'HS256', key: new TextEncoder().encode(SECRET), nbf: now + 120 }), /not yet valid/],
      ['wrong audience', await sign({}, { alg: 'ES256', kid: own.kid, key: own.priv, aud: 'another-app' }), /audience/],
      ['wrong issuer', await sign({}, { alg: 'RS256', kid: 'ext-1', key: ext1.priv, iss: 'evil-idp' }), /issuer/],
      ['unknown kid', await sign({}, { alg: 'RS256', kid: 'nobody-knows', key: stranger.priv, iss: 'external-idp' }), /unknown kid/],
      ['HS384 (not allowed)', await sign({}, { alg: 'HS384', key: new TextEncoder().encode(SECRET + SECRET) }), /algorithm HS384 is not accepted/],
    ];
    for (const [what, token, reason] of cases) {
      const attempt = connect('refusedroom', token);
      await expect(attempt, what).rejects.toThrow(/not-authorized/);
      await expect(attempt, what).rejects.toThrow(reason);
    }
    // Expired within the skew is still accepted.
    await connect('refusedroom', await sign({}, { alg: 'HS256', key: new TextEncoder().encode(SECRET), exp: now - 3 }));
  });

  it('secure domain with guests: /config.js names hosts.anonymousdomain; no token on the main domain is refused; guests log in on the guest domain', async () => {
    const config = await (await fetch(`${edge.url}/config.js`)).text();
    expect(config).toContain('"anonymousdomain": "guest.meet.jitsi"');
    await expect(connect('guestroom')).rejects.toThrow(/a token is required on this domain; guests log in to guest.meet.jitsi/);
    const guest = await connect('guestroom', undefined, 'guest.meet.jitsi');
    expect(guest.jid).toMatch(/^[0-9a-f-]{36}@guest\.meet\.jitsi\/.+$/);
  });

  it('a guest arriving first waits for the host: conference IQ not-authorized (lib-jitsi-meet\'s AUTHENTICATION_REQUIRED), MUC join refused; once a token holder started the conference the guest gets in and both see each other', async () => {
    const room = 'hostroom';
    const roomJid = `${room}@${MUC}`;
    const guest = await connect(room, undefined, 'guest.meet.jitsi');
    const refused = await guest.iq(conferenceIq(room)).then(() => null, (err: { condition?: string; text?: string }) => err);
    expect(refused?.condition).toBe('not-authorized');
    expect(refused?.text).toBe('not authorized user domain');
    await guest.send(joinPresence(roomJid, 'guest'));
    const joinError = await guest.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(joinError.getChild('error')?.getChild('not-authorized', NS_STANZAS)).toBeDefined();

    const host = await connect(room, await sign({ room, context: { user: { id: 'h1', name: 'Host H' } } }, { alg: 'ES256', kid: own.kid, key: own.priv }));
    const ready = (await host.iq(conferenceIq(room))).getChild('conference', NS_FOCUS)!;
    expect(ready.attrs.ready).toBe('true');
    const props = Object.fromEntries(ready.getChildren('property').map((p: any) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ authentication: 'true', externalAuth: 'true' });
    await host.send(joinPresence(roomJid, 'host'));
    await host.waitFor(isSelfPresence(roomJid, 'host'));
    // The focus created the room; it makes the host an owner (Jicofo's auto-owner).
    await host.waitFor((s) => presenceFrom(roomJid, 'host')(s) && itemOf(s).affiliation === 'owner');

    expect((await guest.iq(conferenceIq(room))).getChild('conference', NS_FOCUS)?.attrs.ready).toBe('true');
    await guest.send(joinPresence(roomJid, 'guest'));
    const self = await guest.waitFor(isSelfPresence(roomJid, 'guest'));
    expect(itemOf(self)).toMatchObject({ affiliation: 'none', role: 'participant' });
    expect(guest.received(presenceFrom(roomJid, 'host'))[0]?.getChild('identity')?.getChild('user')?.getChildText('name')).toBe('Host H');
    const guestSeen = await host.waitFor(presenceFrom(roomJid, 'guest'));
    expect(String(itemOf(guestSeen).jid)).toBe(guest.jid);
    // Users on both domains reach each other directly (lib-jitsi-meet's P2P Jingle goes this way).
    await host.send(xml('message', { to: guest.jid, type: 'chat' }, xml('body', null, 'hello guest')));
    expect((await guest.waitFor((s) => s.name === 'message' && s.getChildText('body') === 'hello guest')).attrs.from).toBe(host.jid);
  });

  it('a token for another room is refused at join with not-allowed', async () => {
    const c = await connect('roomone', await sign({ room: 'roomtwo' }, { alg: 'ES256', kid: own.kid, key: own.priv }));
    await c.send(joinPresence(`roomone@${MUC}`, 'x'));
    const err = await c.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(err.getChild('error')?.getChild('not-allowed', NS_STANZAS)).toBeDefined();
  });
});
