import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import type { Element } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import {
  NS_MUC_USER, connectClient, isSelfPresence, itemOf, joinPresence, presenceFrom, statusCodes, xml, type TestClient,
} from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const LOBBY_MUC = 'lobby.meet.jitsi';
const JITMEET = 'http://jitsi.org/jitmeet';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const APP_ID = 'edgemeet-lobby-test';
const SECRET = 'jwt-lobby-secret-0123456789abcdef0123456789';

const nick = (name: string) => xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, name);
const errorCondition = (s: Element) => s.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;
const jsonOf = (s: Element) => JSON.parse(s.getChildText('json-message', JITMEET) ?? 'null') as Record<string, unknown> | null;
const lobbyNotify = (event: string) => (s: Element) => s.name === 'message' && jsonOf(s)?.type === 'lobby-notify' && jsonOf(s)?.event === event;
const presenceError = (roomJid: string, n: string) => (s: Element) => s.name === 'presence' && s.attrs.type === 'error' && s.attrs.from === `${roomJid}/${n}`;
const replyTo = (id: string) => (s: Element) => s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error');
const isInvite = (roomJid: string) => (s: Element) => s.name === 'message' && s.attrs.from === roomJid && s.getChild('x', NS_MUC_USER)?.getChild('invite') !== undefined;
const ownerForm = (roomJid: string, id: string, fields: Record<string, string>) => xml('iq', { type: 'set', to: roomJid, id },
  xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', null, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: `muc#roomconfig_${k}` }, xml('value', null, v))))));
const approval = (roomJid: string, id: string, ...invitees: string[]) => xml('message', { to: roomJid, id },
  xml('x', { xmlns: NS_MUC_USER }, ...invitees.map((to) => xml('invite', { to }))));
const kick = (lobbyJid: string, id: string, n: string, reason: string) => xml('iq', { type: 'set', to: lobbyJid, id },
  xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { nick: n, role: 'none' }, xml('reason', null, reason))));

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ aud: 'jitsi', sub: 'meet.jitsi', room: '*', ...claims })
    .setProtectedHeader({ alg: 'HS256' }).setIssuer(APP_ID).setIssuedAt().setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

describe('the lobby (jitsi-meet\'s mod_muc_lobby_rooms and token_lobby_bypass) against the real edge', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    edge = await startEdge({ LOG_LEVEL: 'warn', JWT_APP_ID: APP_ID, JWT_APP_SECRET: SECRET, JWT_ACCEPTED_AUDIENCES: 'jitsi', AUTH_POLICY: 'anonymous' });
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
  /** Joins `room@muc` as `n` with a display name; resolves with the self-presence or the error. */
  const tryJoin = async (c: TestClient, roomJid: string, n: string, ...extra: Element[]) => {
    await c.send(joinPresence(roomJid, n, nick(n.toUpperCase()), ...extra));
    return c.waitFor((s) => isSelfPresence(roomJid, n)(s) || presenceError(roomJid, n)(s));
  };

  /** A moderator who enabled the lobby (a member made first, as lib-jitsi-meet does) and waits in it to see knockers. */
  async function roomWithLobby(room: string) {
    const roomJid = `${room}@${MUC}`;
    const lobbyJid = `${room}@${LOBBY_MUC}`;
    const mod = await connect(room);
    await tryJoin(mod, roomJid, 'mod');
    const member = await connect(room);
    await tryJoin(member, roomJid, 'member');
    await mod.iq(xml('iq', { type: 'set', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' },
      xml('item', { affiliation: 'member', jid: member.jid.replace(/\/.*/, '') }))));
    await mod.iq(ownerForm(roomJid, 'on', { membersonly: 'true' }));
    const enabled = await member.waitFor(lobbyNotify('LOBBY-ENABLED'));
    expect(jsonOf(enabled)).toMatchObject({ value: true });
    expect(enabled.attrs.from).toBe(`${roomJid}/mod`);
    await mod.send(joinPresence(lobbyJid, 'mod'));
    await mod.waitFor(isSelfPresence(lobbyJid, 'mod'));
    return { roomJid, lobbyJid, mod, member };
  }

  it('enable: lobby.<domain> is announced as lobbyrooms; the room turns members-only with its lobby JID in disco#info; a newcomer is sent there', async () => {
    const { roomJid, lobbyJid, member } = await roomWithLobby('lobby-enable');
    const info = await member.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.getChild('query')?.getChildren('identity').map((i) => i.attrs)).toContainEqual({ category: 'component', type: 'lobbyrooms', name: LOBBY_MUC });
    const node = await member.iq(xml('iq', { type: 'get', to: LOBBY_MUC }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'lobbyrooms' })));
    expect(node.getChild('query')?.getChildren('feature').map((f) => f.attrs.var)).toEqual(['http://jitsi.org/protocol/lobbyrooms#displayname_required']);
    const roomInfo = await member.iq(xml('iq', { type: 'get', to: roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(roomInfo.getChild('query')?.getChildren('feature').map((f) => f.attrs.var)).toContain('muc_membersonly');
    const field = roomInfo.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_lobbyroom');
    expect(field?.getChildText('value')).toBe(lobbyJid);

    const newcomer = await connect('lobby-enable');
    await newcomer.send(joinPresence(roomJid, 'nameless'));
    const nameless = await newcomer.waitFor(presenceError(roomJid, 'nameless'));
    expect(nameless.getChild('error')?.attrs).toMatchObject({ type: 'modify', code: '406' });
    expect(nameless.getChild('error')?.getChild('displayname-required', JITMEET)?.attrs.lobby).toBe('true');
    const refused = await tryJoin(newcomer, roomJid, 'newcomer');
    expect(refused.getChild('error')?.attrs).toMatchObject({ type: 'auth', code: '407' });
    expect(errorCondition(refused)).toBe('registration-required');
    expect(refused.getChild('error')?.getChildText('lobbyroom', JITMEET)).toBe(lobbyJid);
  });

  it('knock and approve: the moderator sees the knocker with name and email; the invite admits her (member), LOBBY-ACCESS-GRANTED; she joins the main room', async () => {
    const { roomJid, lobbyJid, mod, member } = await roomWithLobby('lobby-approve');
    const ann = await connect('lobby-approve');
    await tryJoin(ann, lobbyJid, 'ann');
    await ann.send(xml('presence', { to: `${lobbyJid}/ann` }, nick('Ann'), xml('email', null, 'ann@example.com')));
    const seen = await mod.waitFor((s) => presenceFrom(lobbyJid, 'ann')(s) && s.getChildText('email') === 'ann@example.com');
    expect(seen.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Ann');
    expect(itemOf(seen)).toMatchObject({ jid: ann.jid, role: 'participant' });
    // The knocker sees nobody but herself in the lobby.
    expect(ann.received((s) => s.name === 'presence' && s.attrs.from === `${lobbyJid}/mod`)).toEqual([]);

    // The lobby chat: the knocker's message reaches the moderator; the moderator's reaches her.
    await ann.send(xml('message', { to: lobbyJid, type: 'groupchat' }, xml('body', null, 'may I?')));
    expect((await mod.waitFor((s) => s.getChildText('body') === 'may I?')).attrs.from).toBe(`${lobbyJid}/ann`);
    await mod.send(xml('message', { to: `${lobbyJid}/ann`, type: 'chat' }, xml('body', null, 'one moment')));
    expect((await ann.waitFor((s) => s.getChildText('body') === 'one moment')).attrs.from).toBe(`${lobbyJid}/mod`);

    await mod.send(approval(roomJid, 'ok', ann.jid));
    const invite = await ann.waitFor(isInvite(roomJid));
    expect(invite.getChild('x', NS_MUC_USER)?.getChild('invite')?.attrs.from).toBe(mod.jid);
    expect(jsonOf(await member.waitFor(lobbyNotify('LOBBY-ACCESS-GRANTED')))).toMatchObject({ value: `${lobbyJid}/ann`, name: 'Ann' });
    const joined = await tryJoin(ann, roomJid, 'ann');
    expect(itemOf(joined)).toMatchObject({ affiliation: 'member', role: 'participant' });
    await ann.send(xml('presence', { to: `${lobbyJid}/ann`, type: 'unavailable' }));
    await mod.waitFor(presenceFrom(lobbyJid, 'ann', 'unavailable'));
  });

  it('deny: a kick from the lobby with a reason; the knocker gets 307 and the reason, LOBBY-ACCESS-DENIED; she stays out', async () => {
    const { roomJid, lobbyJid, mod, member } = await roomWithLobby('lobby-deny');
    const bob = await connect('lobby-deny');
    await tryJoin(bob, lobbyJid, 'bob');
    await mod.waitFor(presenceFrom(lobbyJid, 'bob'));
    await mod.iq(kick(lobbyJid, 'no', 'bob', 'Not on the list'));
    const out = await bob.waitFor(presenceFrom(lobbyJid, 'bob', 'unavailable'));
    expect(statusCodes(out)).toEqual(['307', '110']);
    expect(out.getChild('x', NS_MUC_USER)?.getChild('item')?.getChildText('reason')).toBe('Not on the list');
    expect(jsonOf(await member.waitFor(lobbyNotify('LOBBY-ACCESS-DENIED')))).toMatchObject({ value: `${lobbyJid}/bob`, name: 'BOB' });
    expect(errorCondition(await tryJoin(bob, roomJid, 'bob'))).toBe('registration-required');
  });

  it('bad requests change nothing: a participant approving or disabling is forbidden; approving someone who left is item-not-found', async () => {
    const { roomJid, lobbyJid, mod, member } = await roomWithLobby('lobby-bad');
    const cat = await connect('lobby-bad');
    await tryJoin(cat, lobbyJid, 'cat');
    await member.send(approval(roomJid, 'p1', cat.jid));
    expect(errorCondition(await member.waitFor(replyTo('p1')))).toBe('forbidden');
    await member.send(ownerForm(roomJid, 'p2', { membersonly: 'false' }));
    expect(errorCondition(await member.waitFor(replyTo('p2')))).toBe('forbidden');
    expect(errorCondition(await tryJoin(cat, roomJid, 'cat'))).toBe('registration-required');
    await cat.send(xml('presence', { to: `${lobbyJid}/cat`, type: 'unavailable' }));
    await mod.waitFor(presenceFrom(lobbyJid, 'cat', 'unavailable'));
    await mod.send(approval(roomJid, 'p3', cat.jid));
    expect(errorCondition(await mod.waitFor(replyTo('p3')))).toBe('item-not-found');
    await cat.send(xml('iq', { type: 'get', to: 'meet.jitsi', id: 'rt' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await cat.waitFor(replyTo('rt'));
    expect(cat.received(isInvite(roomJid))).toEqual([]);
    expect(errorCondition(await tryJoin(cat, roomJid, 'cat'))).toBe('registration-required');
  });

  it('the room password and a lobby_bypass token let one in directly; a plain token does not', async () => {
    const { roomJid, mod } = await roomWithLobby('lobby-bypass');
    await mod.iq(ownerForm(roomJid, 'pw', { membersonly: 'true', roomsecret: 'open-sesame', passwordprotectedroom: '1' }));
    const withPassword = await connect('lobby-bypass');
    await withPassword.send(xml('presence', { to: `${roomJid}/pw` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }, xml('password', null, 'open-sesame')), nick('PW')));
    expect(itemOf(await withPassword.waitFor(isSelfPresence(roomJid, 'pw')))).toMatchObject({ affiliation: 'member', role: 'participant' });
    const bypass = await connect('lobby-bypass', await token({ room: 'lobby-bypass', context: { user: { name: 'VIP', lobby_bypass: true } } }));
    expect(itemOf(await tryJoin(bypass, roomJid, 'vip'))).toMatchObject({ affiliation: 'member', role: 'participant' });
    const plain = await connect('lobby-bypass', await token({ room: 'lobby-bypass', context: { user: { name: 'Plain', lobby_bypass: 'yes' } } }));
    expect(errorCondition(await tryJoin(plain, roomJid, 'plain'))).toBe('registration-required');
  });

  it('disable: those waiting get the lobby\'s destroy naming the main room (LOBBY-ENABLED false) and join it; other rooms\' lobbies are out of reach', async () => {
    const { roomJid, lobbyJid, mod, member } = await roomWithLobby('lobby-off');
    const dan = await connect('lobby-off');
    await tryJoin(dan, lobbyJid, 'dan');
    await mod.iq(ownerForm(roomJid, 'off', { membersonly: 'false' }));
    const gone = await dan.waitFor(presenceFrom(lobbyJid, 'dan', 'unavailable'));
    const destroy = gone.getChild('x', NS_MUC_USER)?.getChild('destroy');
    expect(destroy?.attrs.jid).toBe(roomJid);
    expect(destroy?.getChildText('reason')).toBe('Lobby room closed.');
    expect(jsonOf(await member.waitFor((s) => lobbyNotify('LOBBY-ENABLED')(s) && jsonOf(s)?.value === false))).toMatchObject({ value: false });
    expect(itemOf(await tryJoin(dan, roomJid, 'dan'))).toMatchObject({ role: 'participant' });
    // Another room's lobby, from this room's connection: refused.
    await dan.send(joinPresence('lobby-approve@lobby.meet.jitsi', 'dan', nick('Dan')));
    expect(errorCondition(await dan.waitFor(presenceError('lobby-approve@lobby.meet.jitsi', 'dan')))).toBe('not-allowed');
  });
});
