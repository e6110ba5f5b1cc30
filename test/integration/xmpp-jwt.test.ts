import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { connectClient, isSelfPresence, itemOf, joinPresence, presenceFrom, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const APP_ID = 'edgemeet-test';
const SECRET = 'jwt-test-secret-0123456789abcdef0123456789';

/** A Jitsi JWT as a token service (or our future OIDC exchange) would mint it. */
function token(claims: Record<string, unknown>, o: { secret?: string; iss?: string; expiresIn?: string | number } = {}): Promise<string> {
  return new SignJWT({ aud: 'jitsi', sub: 'meet.jitsi', room: '*', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(o.iss ?? APP_ID)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(o.secret ?? SECRET));
}

describe('Jitsi JWT logins at the edge (Prosody token authentication)', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    edge = await startEdge({ LOG_LEVEL: 'warn', JWT_APP_ID: APP_ID, JWT_APP_SECRET: SECRET, JWT_ACCEPTED_AUDIENCES: 'jitsi' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });
  const connect = async (room: string, t?: string) => {
    const c = await connectClient(edge.wsUrl, room, 'meet.jitsi', t);
    clients.push(c);
    return c;
  };

  it('a valid token logs in; its moderator claim makes an owner even when not first (without it, a later joiner is a participant); its user is the identity others see (a client-made identity is dropped)', async () => {
    const roomJid = `jwtroom@${MUC}`;
    const guest = await connect('jwtroom', await token({ room: 'jwtroom', context: { user: { id: 'u-2', name: 'Guest G' } } }));
    await guest.send(joinPresence(roomJid, 'guest', xml('identity', null, xml('user', null, xml('name', null, 'The CEO')))));
    await guest.waitFor(isSelfPresence(roomJid, 'guest'));
    const mod = await connect('jwtroom', await token({ room: 'jwtroom', moderator: true, context: { user: { id: 'u-1', name: 'Mod M', email: 'm@example.com' } } }));
    await mod.send(joinPresence(roomJid, 'mod'));
    const self = await mod.waitFor(isSelfPresence(roomJid, 'mod'));
    expect(itemOf(self)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    const seen = await guest.waitFor(presenceFrom(roomJid, 'mod'));
    expect(itemOf(seen)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    expect(seen.getChild('identity')?.getChild('user')?.getChildText('name')).toBe('Mod M');
    expect(seen.getChild('identity')?.getChild('user')?.getChildText('email')).toBe('m@example.com');
    const guestSeen = mod.received(presenceFrom(roomJid, 'guest'))[0]!;
    expect(guestSeen.getChildren('identity')).toHaveLength(1);
    expect(guestSeen.getChild('identity')?.getChild('user')?.getChildText('name')).toBe('Guest G');
    // Without the claim, a later joiner is a plain participant.
    const late = await connect('jwtroom', await token({ room: 'jwtroom', context: { user: { name: 'Late L' } } }));
    await late.send(joinPresence(roomJid, 'late'));
    expect(itemOf(await late.waitFor(isSelfPresence(roomJid, 'late')))).toMatchObject({ affiliation: 'none', role: 'participant' });
  });

  it('a token for another room is refused at join with not-allowed; a room-wildcard token joins anywhere', async () => {
    const c = await connect('jwtroom2', await token({ room: 'elsewhere' }));
    await c.send(joinPresence(`jwtroom2@${MUC}`, 'x'));
    const err = await c.waitFor((s) => s.name === 'presence' && s.attrs.type === 'error');
    expect(err.getChild('error')?.getChild('not-allowed', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    const any = await connect('jwtroom2', await token({}));
    await any.send(joinPresence(`jwtroom2@${MUC}`, 'y'));
    await any.waitFor(isSelfPresence(`jwtroom2@${MUC}`, 'y'));
  });

  it('no token, a forged, expired, foreign-issuer, wrong-audience or other-domain token: SASL not-authorized, nothing joins', async () => {
    const bad = [
      undefined,
      await token({}, { secret: 'another-secret-0123456789abcdef0123456789' }),
      await token({}, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
      await token({}, { iss: 'someone-else' }),
      await token({ aud: 'other-app' }),
      await token({ sub: 'other.example' }),
      'not.a.jwt',
      `${(await token({})).split('.').slice(0, 2).join('.')}.`,
    ];
    for (const t of bad) {
      await expect(connect('jwtroom3', t), String(t)).rejects.toThrow(/not-authorized/);
    }
    // The room was never created and the edge still serves good tokens.
    const ok = await connect('jwtroom3', await token({ room: 'jwtroom3' }));
    await ok.send(joinPresence(`jwtroom3@${MUC}`, 'z'));
    const self = await ok.waitFor(isSelfPresence(`jwtroom3@${MUC}`, 'z'));
    expect(itemOf(self)).toMatchObject({ affiliation: 'owner' });
  });
});
