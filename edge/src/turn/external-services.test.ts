import { NS_EXTDISCO, parseXml, serialize } from '@edgemeet/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigProblems } from '../config-values.ts';
import { externalServices, parseServiceUri, parseTurnConfig, queryOf, turnCredential, turnPassword } from './external-services.ts';

const SECRET = 'turn-shared-secret-0123456789';
/** base64(HMAC-SHA1(SECRET, username)) as `printf %s USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64` prints it. */
const OPENSSL: Record<string, string> = {
  '1700000000:alice': 'KKPlbxnN97GycIyzBf6b6ilUZJY=',
  '1700000600:a1b2-c3': 'KTxw1rhiJe8/8uI01K7F1+QeBrE=',
  '1704070800:u1': 'Z+RhPy5dg/yKDs+NAO6qyVzzgTo=',
};

function config(raw: Record<string, string>) {
  const p = new ConfigProblems();
  const turn = parseTurnConfig(raw, p);
  return { turn, problems: p.problems };
}

describe('TURN credentials (coturn REST API scheme)', () => {
  it('the password is base64(HMAC-SHA1(secret, username)), as openssl computes it', async () => {
    const username = '1700000000:alice';
    expect(await turnPassword(SECRET, username)).toBe(OPENSSL[username]);
  });

  it('the username is the expiry in epoch seconds, then the user', async () => {
    const c = await turnCredential(SECRET, 600, 'a1b2-c3', 1_700_000_000_500);
    expect(c.username).toBe('1700000600:a1b2-c3');
    expect(c.expires).toBe(1_700_000_600);
    expect(c.password).toBe(OPENSSL['1700000600:a1b2-c3']);
    // Characters that could confuse coturn's separator or logs are dropped.
    expect((await turnCredential(SECRET, 60, 'x:y z', 0)).username).toBe('60:xyz');
    expect((await turnCredential(SECRET, 60, '', 0)).username).toBe('60');
  });
});

describe('TURN_URIS / TURN_SECRET / TURN_TTL_SECONDS', () => {
  it('parses stun:, turn: and turns: URIs with their default ports and transports', () => {
    expect(parseServiceUri('turn:turn.example.com')).toEqual({ type: 'turn', host: 'turn.example.com', port: 3478, transport: 'udp' });
    expect(parseServiceUri('turn:127.0.0.1:3479?transport=tcp')).toEqual({ type: 'turn', host: '127.0.0.1', port: 3479, transport: 'tcp' });
    expect(parseServiceUri('turns:turn.example.com:443?transport=tcp')).toEqual({ type: 'turns', host: 'turn.example.com', port: 443, transport: 'tcp' });
    expect(parseServiceUri('turns:turn.example.com')).toEqual({ type: 'turns', host: 'turn.example.com', port: 5349, transport: 'tcp' });
    expect(parseServiceUri('stun:stun.example.com:19302')).toEqual({ type: 'stun', host: 'stun.example.com', port: 19302, transport: 'udp' });
    for (const bad of ['http://x', 'turn:', 'turn:host:0', 'turn:host:70000', 'turns:h?transport=udp', 'stun:h?transport=tcp', 'turn:h?transport=sctp', 'turn:a b']) {
      expect(parseServiceUri(bad), bad).toBeUndefined();
    }
  });

  it('defaults: no services, no secret, a day of validity', () => {
    const { turn, problems } = config({});
    expect(problems).toEqual([]);
    expect(turn).toEqual({ services: [], secret: undefined, ttlSeconds: 86_400 });
  });

  it('names every bad key', () => {
    expect(config({ TURN_URIS: 'turn:h' }).problems).toEqual(['TURN_SECRET: required with turn: or turns: URIs in TURN_URIS']);
    expect(config({ TURN_URIS: 'turn:h', TURN_SECRET: 'short' }).problems).toEqual(['TURN_SECRET: must be at least 16 characters']);
    expect(config({ TURN_SECRET: SECRET }).problems).toEqual(['TURN_URIS: TURN_SECRET is set but no turn: or turns: URI is listed']);
    expect(config({ TURN_URIS: 'turn:h, nope', TURN_SECRET: SECRET, TURN_TTL_SECONDS: '5' }).problems).toHaveLength(2);
    expect(config({ TURN_URIS: 'stun:h' }).problems).toEqual([]);
  });
});

describe('XEP-0215 answers', () => {
  const { turn } = config({
    TURN_URIS: 'stun:turn.example.com, turn:turn.example.com:3478?transport=udp, turns:turn.example.com:443?transport=tcp',
    TURN_SECRET: SECRET, TURN_TTL_SECONDS: '3600',
  });
  const now = Date.UTC(2024, 0, 1);

  it('<services/> lists every service, TURN ones with one fresh credential, its expiry and restricted="1"', async () => {
    const el = await externalServices(turn, queryOf(parseXml(`<services xmlns="${NS_EXTDISCO}"/>`)), 'services', 'u1', now);
    expect(el.getName()).toBe('services');
    expect(el.attrs.xmlns).toBe(NS_EXTDISCO);
    const services = el.getChildren('service').map((s) => s.attrs);
    const expires = now / 1000 + 3600;
    const password = OPENSSL[`${expires}:u1`];
    expect(password).toBeDefined();
    expect(services).toEqual([
      { type: 'stun', host: 'turn.example.com', port: '3478', transport: 'udp' },
      { type: 'turn', host: 'turn.example.com', port: '3478', transport: 'udp', username: `${expires}:u1`, password, expires: '2024-01-01T01:00:00Z', restricted: '1' },
      { type: 'turns', host: 'turn.example.com', port: '443', transport: 'tcp', username: `${expires}:u1`, password, expires: '2024-01-01T01:00:00Z', restricted: '1' },
    ]);
  });

  it('<services type="turns"/> and <credentials/> answer only what was asked for', async () => {
    const turns = await externalServices(turn, queryOf(parseXml(`<services xmlns="${NS_EXTDISCO}" type="turns"/>`)), 'services', 'u1', now);
    expect(turns.getChildren('service').map((s) => s.attrs.type)).toEqual(['turns']);
    const cred = await externalServices(turn, queryOf(parseXml(`<credentials xmlns="${NS_EXTDISCO}"><service host="turn.example.com" type="turn"/></credentials>`)), 'credentials', 'u1', now);
    expect(cred.getName()).toBe('credentials');
    expect(cred.getChildren('service').map((s) => `${s.attrs.type} ${s.attrs.port}`)).toEqual(['turn 3478']);
    const none = await externalServices(turn, queryOf(parseXml(`<credentials xmlns="${NS_EXTDISCO}"><service host="other.example.com"/></credentials>`)), 'credentials', 'u1', now);
    expect(serialize(none)).toBe(`<credentials xmlns="${NS_EXTDISCO}"/>`);
  });

  it('without configuration the answer is empty (as before)', async () => {
    const empty = await externalServices(config({}).turn, {}, 'services', 'u1', now);
    expect(serialize(empty)).toBe(`<services xmlns="${NS_EXTDISCO}"/>`);
  });
});
