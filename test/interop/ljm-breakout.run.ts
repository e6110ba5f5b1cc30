/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet with the edge's breakout rooms, through the library's own API
 * (`conference.getBreakoutRooms()`), inside a network namespace with only loopback
 * (ljm-breakout.test.ts starts it): alice (moderator), bob and carol in a call; alice creates a
 * room, everyone gets BREAKOUT_ROOMS_UPDATED with it; she sends bob and carol there
 * (`sendParticipantToRoom`), their pages follow BREAKOUT_ROOMS_MOVE_TO_ROOM as jitsi-meet does
 * (leave with `switch_room`, a conference on `breakout.<domain>` on the same connection) and have
 * each other's media through their own bridge conference; alice's list shows them there. She
 * closes it (sends them back to the main room, as jitsi-meet's closeBreakoutRoom does): they come
 * back and the three have media again; she removes it. Prints one JSON line.
 */
import { CURRENT_CONFERENCE_DEFAULTS, startCurrentLjmPages, startWorld, untilInPage, waitForFlow, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
interface Room { id: string; jid: string; name: string; isMainRoom?: boolean; participants: Record<string, { jid: string; displayName?: string }> }

const result: Record<string, unknown> = {};
const world = await startWorld();
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-breakout', 3, { nicks: ['alice', 'bob', 'carol'], conferenceOptions: CURRENT_CONFERENCE_DEFAULTS });
  const [alice, bob, carol] = people as [LjmPage, LjmPage, LjmPage];
  result.version = await ljm<string>(alice, 's.version');
  result.supported = await Promise.all(people.map((p) => ljm<boolean>(p, 's.conference.getBreakoutRooms().isSupported()')));
  result.rename = await ljm<boolean>(alice, 's.conference.getBreakoutRooms().isFeatureSupported("rename")');
  result.moderator = await ljm<boolean>(alice, 's.conference.isModerator()');

  await ljm(alice, 's.conference.getBreakoutRooms().createBreakoutRoom("Room A")');
  const listed = 'Object.values(s.breakoutRooms || {}).some((r) => r.name === "Room A")';
  result.everyoneListed = await Promise.all(people.map((p) => untilInPage(p, listed, 10_000)));
  const rooms = await ljm<Record<string, Room>>(alice, 's.breakoutRooms');
  const roomA = Object.values(rooms).find((r) => r.name === 'Room A')!;
  const main = Object.values(rooms).find((r) => r.isMainRoom)!;
  result.mainListed = Object.values(main.participants).map((p) => p.displayName).sort();

  // alice sends bob and carol (by their connection JIDs, as jitsi-meet finds them in the list).
  const jidOf = (name: string) => Object.values(main.participants).find((p) => p.displayName === name)!.jid;
  for (const name of ['bob', 'carol']) {
    await ljm(alice, `s.conference.getBreakoutRooms().sendParticipantToRoom(${JSON.stringify(jidOf(name))}, ${JSON.stringify(roomA.jid)})`);
  }
  const inBreakout = `s.switchedTo === ${JSON.stringify(roomA.jid)} && s.joinedAt > 0 && s.conference.getParticipants().length === 1`;
  result.movedJoined = await Promise.all([bob, carol].map((p) => untilInPage(p, inBreakout, 30_000)));
  result.isBreakout = await Promise.all([bob, carol].map((p) => ljm<boolean>(p, 's.conference.getBreakoutRooms().isBreakoutRoom()')));
  result.mainRoomJid = await ljm<string>(bob, 's.conference.getBreakoutRooms().getMainRoomJid()');
  result.breakoutFlow = await Promise.all([bob, carol].map((p) => waitForFlow(p, { video: 1, audio: 1, timeoutMs: 20_000 })));
  result.aliceAlone = await untilInPage(alice, 's.conference.getParticipants().length === 0', 10_000);
  result.aliceSeesThem = await untilInPage(alice,
    `Object.values((s.breakoutRooms || {})[${JSON.stringify(roomA.id)}]?.participants || {}).map((p) => p.displayName).sort().join() === "bob,carol"`, 10_000);

  // Close: everyone in it is sent back to the main room (jitsi-meet's closeBreakoutRoom), then the room is removed.
  const back = await ljm<Record<string, Room>>(alice, 's.breakoutRooms');
  for (const p of Object.values(back[roomA.id]!.participants)) {
    await ljm(alice, `s.conference.getBreakoutRooms().sendParticipantToRoom(${JSON.stringify(p.jid)}, ${JSON.stringify(main.jid)})`);
  }
  const inMain = `s.switchedTo === ${JSON.stringify(main.jid)} && s.joinedAt > 0 && s.conference.getParticipants().length === 2`;
  result.backInMain = await Promise.all([bob, carol].map((p) => untilInPage(p, inMain, 30_000)));
  result.aliceSeesTwo = await untilInPage(alice, 's.conference.getParticipants().length === 2', 10_000);
  result.mainFlow = await Promise.all(people.map((p) => waitForFlow(p, { video: 2, audio: 2, timeoutMs: 20_000 })));
  await ljm(alice, `s.conference.getBreakoutRooms().removeBreakoutRoom(${JSON.stringify(roomA.jid)})`);
  result.removed = await Promise.all(people.map((p) => untilInPage(p, 'Object.values(s.breakoutRooms || {}).filter((r) => !r.isMainRoom).length === 0', 10_000)));
  result.moveFailures = await Promise.all(people.map((p) => ljm<unknown[]>(p, 's.events.filter((e) => e.type === "breakout-move-failed" || e.type === "failed")')));
  result.pageErrors = people.map((p) => p.pageErrors);
  result.libraryErrors = people.map((p) => p.libraryErrors);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
