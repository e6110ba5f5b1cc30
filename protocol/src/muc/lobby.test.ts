import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml/parse.ts';
import { serialize } from '../xml/element.ts';
import { parseJsonMessage } from '../xmpp/json-message.ts';
import {
  buildDisplayNameRequired, buildLobbyApproval, buildLobbyNotify, buildLobbyRefusal, buildMediatedInvite, presenceDisplayName,
  readLobbyRefusal, readMediatedInvites,
} from './lobby.ts';

const ROOM = 'r1@conference.meet.jitsi';
const LOBBY = 'r1@lobby.meet.jitsi';
const join = parseXml(`<presence xmlns="jabber:client" from="u@meet.jitsi/a" to="${ROOM}/ab12"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);

describe('lobby wire formats', () => {
  it('buildLobbyRefusal() is what lib-jitsi-meet reads as members-only with the lobby room; readLobbyRefusal() reads it back', () => {
    const reply = buildLobbyRefusal(join, LOBBY);
    expect(reply.attrs).toMatchObject({ type: 'error', to: 'u@meet.jitsi/a', from: `${ROOM}/ab12` });
    const error = reply.getChild('error')!;
    expect(error.attrs).toEqual({ type: 'auth', code: '407' });
    expect(error.getChild('registration-required', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(error.getChildText('lobbyroom', 'http://jitsi.org/jitmeet')).toBe(LOBBY);
    // The legacy copy beside the error, for old clients.
    expect(reply.getChildren('lobbyroom').filter((c) => c.attrs.xmlns === undefined).map((c) => c.text())).toEqual([LOBBY]);
    const again = parseXml(serialize(reply));
    expect(readLobbyRefusal(again)).toEqual({ lobbyRoom: LOBBY, displayNameRequired: false });
  });

  it('buildDisplayNameRequired() carries <displayname-required lobby="true"/> in a modify error (406)', () => {
    const reply = parseXml(serialize(buildDisplayNameRequired(join)));
    expect(reply.getChild('error')!.attrs).toEqual({ type: 'modify', code: '406' });
    expect(reply.getChild('error')!.getChild('displayname-required', 'http://jitsi.org/jitmeet')?.attrs.lobby).toBe('true');
    expect(readLobbyRefusal(reply)).toEqual({ displayNameRequired: true });
  });

  it('readLobbyRefusal() is null for other presence errors and for presences without one', () => {
    expect(readLobbyRefusal(parseXml('<presence type="error"><error type="auth"><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>'))).toBeNull();
    expect(readLobbyRefusal(join)).toBeNull();
    // Members-only without a lobby: no room to knock at.
    expect(readLobbyRefusal(parseXml('<presence type="error"><error type="auth"><registration-required xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>')))
      .toEqual({ displayNameRequired: false });
  });

  it('buildLobbyApproval() (lib-jitsi-meet approveAccess) round-trips through readMediatedInvites()', () => {
    const approval = parseXml(serialize(buildLobbyApproval(ROOM, ['a@meet.jitsi/x', 'b@meet.jitsi/y'])));
    expect(approval.attrs.to).toBe(ROOM);
    expect(readMediatedInvites(approval)).toEqual([{ to: 'a@meet.jitsi/x' }, { to: 'b@meet.jitsi/y' }]);
  });

  it('readMediatedInvites() is null without an invite with a `to`, and for groupchat or chat messages', () => {
    expect(readMediatedInvites(parseXml('<message><x xmlns="http://jabber.org/protocol/muc#user"><invite/></x></message>'))).toBeNull();
    expect(readMediatedInvites(parseXml('<message><x xmlns="http://jabber.org/protocol/muc#user"><decline to="a@b"/></x></message>'))).toBeNull();
    expect(readMediatedInvites(parseXml('<message type="groupchat"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="a@b"/></x></message>'))).toBeNull();
    expect(readMediatedInvites(parseXml('<message type="normal"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="a@b"><reason>hi</reason></invite></x></message>')))
      .toEqual([{ to: 'a@b', reason: 'hi' }]);
  });

  it('buildMediatedInvite() is what lib-jitsi-meet reads as an invitation from the room (invite from the inviter)', () => {
    expect(serialize(buildMediatedInvite(ROOM, 'u@meet.jitsi/a', 'mod@meet.jitsi/m'))).toBe(
      `<message xmlns="jabber:client" from="${ROOM}" to="u@meet.jitsi/a"><x xmlns="http://jabber.org/protocol/muc#user">`
      + '<invite from="mod@meet.jitsi/m"><reason></reason></invite></x></message>');
  });

  it('buildLobbyNotify() is a groupchat json-message of type lobby-notify', () => {
    const granted = buildLobbyNotify(`${ROOM}/mod`, 'x@meet.jitsi/r', { event: 'LOBBY-ACCESS-GRANTED', value: `${LOBBY}/ab12`, name: 'Ann' });
    expect(granted.attrs).toMatchObject({ type: 'groupchat', from: `${ROOM}/mod`, to: 'x@meet.jitsi/r' });
    expect(parseJsonMessage(granted.getChild('json-message')!)).toEqual({ type: 'lobby-notify', event: 'LOBBY-ACCESS-GRANTED', value: `${LOBBY}/ab12`, name: 'Ann' });
    const enabled = buildLobbyNotify(`${ROOM}/mod`, 'x@meet.jitsi/r', { event: 'LOBBY-ENABLED', value: false });
    expect(parseJsonMessage(enabled.getChild('json-message')!)).toEqual({ type: 'lobby-notify', event: 'LOBBY-ENABLED', value: false });
  });

  it('presenceDisplayName() is the nick element, empty without one', () => {
    expect(presenceDisplayName(parseXml('<presence><nick xmlns="http://jabber.org/protocol/nick">Ann</nick></presence>'))).toBe('Ann');
    expect(presenceDisplayName(join)).toBe('');
  });
});
