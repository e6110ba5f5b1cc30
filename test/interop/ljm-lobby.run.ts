/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet with the edge's lobby, through the library's own API, inside a network
 * namespace with only loopback (ljm-lobby.test.ts starts it): alice (moderator) and bob in a call;
 * alice's `conference.enableLobby()`; carol's join is refused as members-only (CONFERENCE_FAILED
 * with the members-only error), `conference.joinLobby(name, email)` puts her in the lobby; alice
 * gets LOBBY_USER_JOINED with her name, `lobbyApproveAccess(id)` and carol's conference joins the
 * main room (everyone sees three); `disableLobby()` turns the room open for everyone. Prints one
 * JSON line.
 */
import { CURRENT_CONFERENCE_DEFAULTS, openLjm, startCurrentLjmPages, startWorld, untilInPage, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
type Event = { type: string; [k: string]: unknown };
const events = (p: LjmPage, type: string) => ljm<Event[]>(p, `s.events.filter((e) => e.type === ${JSON.stringify(type)})`);

const result: Record<string, unknown> = {};
const world = await startWorld();
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-lobby', 2, { nicks: ['alice', 'bob'] });
  const [alice, bob] = people as [LjmPage, LjmPage];
  result.version = await ljm<string>(alice, 's.version');
  result.supported = await Promise.all(people.map((p) => ljm<boolean>(p, 's.conference.isLobbySupported()')));
  result.moderators = await Promise.all(people.map((p) => ljm<boolean>(p, 's.conference.isModerator()')));

  // The moderator enables the lobby; everyone learns the room is members-only.
  result.enabled = await ljm<string>(alice, 's.conference.enableLobby().then(() => "ok", (e) => String(e))');
  result.membersOnlySeen = await Promise.all(people.map((p) => untilInPage(p, 's.conference.isMembersOnly()', 10_000)));

  // Carol comes: refused as members-only, she knocks with her name and email.
  const carol = await openLjm(world, { room: 'ljm-lobby', nick: 'carol', build: 'current', p2p: false, conferenceOptions: CURRENT_CONFERENCE_DEFAULTS });
  people.push(carol);
  await untilInPage(carol, 's.events.some((e) => e.type === "failed")', 15_000);
  result.carolRefused = (await events(carol, 'failed')).map((e) => e.e);
  result.knocked = await ljm<string>(carol, 's.conference.joinLobby("Carol Knocker", "carol@example.com").then(() => "ok", (e) => String(e))');
  result.aliceSawKnock = await untilInPage(alice, 's.events.some((e) => e.type === "lobby-joined" && e.name === "Carol Knocker")', 10_000);
  const knock = (await events(alice, 'lobby-joined')).find((e) => e.name === 'Carol Knocker');
  result.knockEmail = await untilInPage(alice, `s.events.some((e) => e.type === "lobby-updated" && e.id === ${JSON.stringify(knock?.id)} && e.email === "carol@example.com")`, 5000);
  result.carolJoinedBefore = await ljm<boolean>(carol, 's.joinedAt > 0');

  // The moderator admits her: carol's conference joins, everyone sees three.
  await ljm(alice, `s.conference.lobbyApproveAccess(${JSON.stringify(knock?.id)})`);
  result.carolJoined = await untilInPage(carol, 's.joinedAt > 0 && s.conference.getParticipants().length === 2', 20_000);
  result.othersSeeCarol = await Promise.all([alice, bob].map((p) => untilInPage(p, 's.conference.getParticipants().length === 2', 10_000)));
  result.aliceSawLeftLobby = await untilInPage(alice, `s.events.some((e) => e.type === "lobby-left" && e.id === ${JSON.stringify(knock?.id)})`, 10_000);

  // The moderator disables it; the room is open again for everyone.
  await ljm(alice, 's.conference.disableLobby()');
  result.openAgain = await Promise.all(people.map((p) => untilInPage(p, '!s.conference.isMembersOnly()', 10_000)));
  result.pageErrors = people.map((p) => p.pageErrors);
  result.libraryErrors = people.map((p) => p.libraryErrors);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
