import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures.test-helper.ts';
import { parseXml, serialize, xml } from '../index.ts';
import { buildConfigChanged, buildMucAdmin, buildRoomSubject, parseMucAdmin } from './admin.ts';
import {
  MUC_STATUS, buildMucLeave, buildMucPresence, buildOccupantPresence, parseMucPresence, parseMucUser, parseOccupantPresence,
} from './presence.ts';

describe('MUC presence codec', () => {
  it('parseMucPresence() → buildMucPresence() reproduces lib-jitsi-meet\'s join (password, extensions in order)', () => {
    const join = fixture('ljm-join-presence.xml');
    const p = parseMucPresence(join);
    expect(p.to).toBe('r1@conference.meet.jitsi/a1b2c3d4');
    expect(p.join).toEqual({ password: 'secret' });
    expect(p.extensions?.map((e) => e.name)).toEqual(['stats-id', 'c', 'SourceInfo', 'jitsi_participant_codecList', 'nick', 'features']);
    const rebuilt = buildMucPresence(p);
    rebuilt.attrs = { xmlns: 'jabber:client', ...rebuilt.attrs };
    expect(serialize(rebuilt)).toBe(serialize(join));
  });

  it('buildMucPresence() without join is an update; without a password the join has an empty <x/>', () => {
    expect(serialize(buildMucPresence({ to: 'r@c/n' }))).toBe('<presence to="r@c/n"/>');
    expect(serialize(buildMucPresence({ to: 'r@c/n', join: {} }))).toBe('<presence to="r@c/n"><x xmlns="http://jabber.org/protocol/muc"/></presence>');
    expect(parseMucPresence(parseXml('<presence to="r@c/n"/>')).join).toBeUndefined();
  });

  for (const name of ['muc-self-presence.xml', 'muc-kicked-presence.xml', 'muc-identity-presence.xml', 'focus-presence.xml']) {
    it(`parseOccupantPresence() → buildOccupantPresence() round-trips ${name} byte for byte`, () => {
      const el = fixture(name);
      expect(serialize(buildOccupantPresence(parseOccupantPresence(el)))).toBe(serialize(el));
    });
  }

  it('parseOccupantPresence() reads the item, the statuses, the actor and the reason', () => {
    const self = parseOccupantPresence(fixture('muc-self-presence.xml'));
    expect(self.user.item).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    expect(self.user.statuses).toEqual([MUC_STATUS.NON_ANONYMOUS, MUC_STATUS.CREATED, MUC_STATUS.SELF]);
    const kicked = parseOccupantPresence(fixture('muc-kicked-presence.xml'));
    expect(kicked.type).toBe('unavailable');
    expect(kicked.user).toMatchObject({ item: { role: 'none', actor: 'a1b2c3d4', reason: 'You have been kicked.' }, statuses: ['307'] });
  });

  it('buildOccupantPresence() of a destroyed room carries <destroy/> with its reason', () => {
    const el = buildOccupantPresence({
      from: 'r@c/n', to: 'u@d/r', type: 'unavailable',
      user: { item: { affiliation: 'none', role: 'none', jid: 'u@d/r' }, statuses: [], destroy: { jid: 'r@c', reason: 'over' } },
    });
    expect(parseMucUser(parseXml(serialize(el)))?.destroy).toEqual({ jid: 'r@c', reason: 'over' });
  });

  it('parseMucUser() of a presence without muc#user is undefined', () => {
    expect(parseMucUser(xml('presence'))).toBeUndefined();
  });

  it('buildMucLeave() is an unavailable presence to the occupant JID', () => {
    expect(serialize(buildMucLeave('r@c/n'))).toBe('<presence to="r@c/n" type="unavailable"/>');
  });

  it('buildMucAdmin() → parseMucAdmin() round-trips an owner grant and a kick with a reason', () => {
    const items = [{ affiliation: 'owner', jid: 'alice@meet.jitsi' }, { role: 'none', nick: 'bob', reason: 'bye' }];
    const query = buildMucAdmin(items);
    expect(serialize(query)).toBe('<query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="owner" jid="alice@meet.jitsi"/>'
      + '<item role="none" nick="bob"><reason>bye</reason></item></query>');
    expect(parseMucAdmin(parseXml(serialize(query)))).toEqual(items);
  });

  it('buildConfigChanged() and buildRoomSubject() are groupchat messages from the room', () => {
    expect(serialize(buildConfigChanged('r@c', 'u@d/r'))).toBe('<message xmlns="jabber:client" type="groupchat" from="r@c" to="u@d/r">'
      + '<x xmlns="http://jabber.org/protocol/muc#user"><status code="104"/></x></message>');
    expect(serialize(buildRoomSubject('r@c', 'u@d/r', ''))).toBe('<message xmlns="jabber:client" type="groupchat" from="r@c" to="u@d/r"><subject></subject></message>');
  });
});
