import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml/parse.ts';
import { serialize } from '../xml/element.ts';
import { parseJsonMessage } from '../xmpp/json-message.ts';
import { placementKey, roomOfPlacement } from '../deployment.ts';
import {
  BREAKOUT_MOVE_TO_ROOM, BREAKOUT_UPDATE, buildBreakoutCommand, buildBreakoutRoomsUpdate, buildMoveToRoom, readBreakoutCommand, readBreakoutEvent,
} from './breakout-rooms.ts';

const COMPONENT = 'breakout.meet.jitsi';

describe('breakout rooms wire formats', () => {
  it('reads the commands exactly as lib-jitsi-meet sends them (Strophe: attributes on <breakout_rooms/> in the client namespace)', () => {
    const add = parseXml(`<message xmlns="jabber:client" to="${COMPONENT}"><breakout_rooms subject="Room 1" type="features/breakout-rooms/add"/></message>`);
    expect(readBreakoutCommand(add)).toEqual({ type: 'add', subject: 'Room 1' });
    const move = parseXml(`<message xmlns="jabber:client" to="${COMPONENT}"><breakout_rooms participantJid="u@meet.jitsi/r" roomJid="x@breakout.meet.jitsi" type="features/breakout-rooms/move-to-room"/></message>`);
    expect(readBreakoutCommand(move)).toEqual({ type: 'move-to-room', participantJid: 'u@meet.jitsi/r', roomJid: 'x@breakout.meet.jitsi' });
    const rename = parseXml(`<message xmlns="jabber:client"><breakout_rooms breakoutRoomJid="x@breakout.meet.jitsi" subject="B" type="features/breakout-rooms/rename"/></message>`);
    expect(readBreakoutCommand(rename)).toEqual({ type: 'rename', breakoutRoomJid: 'x@breakout.meet.jitsi', subject: 'B' });
    const remove = parseXml(`<message xmlns="jabber:client"><breakout_rooms breakoutRoomJid="x@breakout.meet.jitsi" type="features/breakout-rooms/remove"/></message>`);
    expect(readBreakoutCommand(remove)).toEqual({ type: 'remove', breakoutRoomJid: 'x@breakout.meet.jitsi' });
    expect(readBreakoutCommand(parseXml(`<message xmlns="jabber:client"><breakout_rooms type="features/breakout-rooms/explode"/></message>`)))
      .toEqual({ type: 'unknown', action: 'features/breakout-rooms/explode' });
    // Another namespace, or no element: not a command (the component declines the message).
    expect(readBreakoutCommand(parseXml(`<message xmlns="jabber:client"><breakout_rooms xmlns="urn:x" type="features/breakout-rooms/add"/></message>`))).toBeNull();
    expect(readBreakoutCommand(parseXml(`<message xmlns="jabber:client"><body>hi</body></message>`))).toBeNull();
  });

  it('buildBreakoutCommand() round-trips through readBreakoutCommand()', () => {
    for (const c of [
      { type: 'add', subject: 'S' }, { type: 'remove', breakoutRoomJid: 'a@b' }, { type: 'rename', breakoutRoomJid: 'a@b', subject: 'T' },
      { type: 'move-to-room', participantJid: 'u@d/r', roomJid: 'a@b' },
    ] as const) {
      const el = parseXml(serialize(buildBreakoutCommand(COMPONENT, c)));
      expect(el.attrs.to).toBe(COMPONENT);
      expect(readBreakoutCommand(el)).toEqual(c);
    }
  });

  it('the update and move-to-room json-messages carry what lib-jitsi-meet reads, and read back', () => {
    const update = {
      roomCounter: 2,
      rooms: {
        r1: { id: 'r1', jid: 'r1@conference.meet.jitsi', name: '', isMainRoom: true as const, participants: { ab: { jid: 'u@meet.jitsi/x', role: 'moderator', displayName: 'Ann' } } },
        b1: { id: 'b1', jid: 'b1@breakout.meet.jitsi', name: 'Room 1', participants: {} },
      },
    };
    const el = parseXml(serialize(buildBreakoutRoomsUpdate(update)));
    expect(parseJsonMessage(el)).toEqual({ type: 'breakout_rooms', event: BREAKOUT_UPDATE, ...update });
    const msg = parseXml(`<message xmlns="jabber:client" from="${COMPONENT}">${serialize(el)}</message>`);
    expect(readBreakoutEvent(msg)).toEqual({ event: 'update', update });
    const move = parseXml(`<message xmlns="jabber:client">${serialize(buildMoveToRoom('b1@breakout.meet.jitsi'))}</message>`);
    expect(parseJsonMessage(move.getChild('json-message', 'http://jitsi.org/jitmeet')!)).toEqual({ type: 'breakout_rooms', event: BREAKOUT_MOVE_TO_ROOM, roomJid: 'b1@breakout.meet.jitsi' });
    expect(readBreakoutEvent(move)).toEqual({ event: 'move-to-room', roomJid: 'b1@breakout.meet.jitsi' });
    expect(readBreakoutEvent(parseXml(`<message xmlns="jabber:client"><json-message xmlns="http://jitsi.org/jitmeet">{"type":"speakerstats"}</json-message></message>`))).toBeNull();
  });

  it('placement keys: a breakout room\'s conference is placed under its main room', () => {
    expect(placementKey('r1')).toBe('r1');
    expect(placementKey('r1', 'b1')).toBe('r1/b1');
    expect(roomOfPlacement('r1/b1')).toBe('r1');
    expect(roomOfPlacement('r1')).toBe('r1');
  });
});
