/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet records through the library's own API, in one call (alice the moderator,
 * bob a participant) through the real edge and a real media node, with a scripted Jibri
 * (test/helpers/scripted-jibri.ts: it registers with RECORDER_SECRET, answers pending, reports on
 * and joins from the hidden domain), inside a network namespace with only loopback
 * (ljm-recording.test.ts starts it): bob's `startRecording` is refused, alice's yields
 * RECORDER_STATE_CHANGED pending then on (on only once the recorder's hidden occupant is in, as
 * the library decides), `stopRecording` → off. Prints one JSON line.
 */
import { startScriptedJibri, type ScriptedJibri } from '../helpers/scripted-jibri.ts';
import { startCurrentLjmPages, startWorld, untilInPage, type LjmPage } from './ljm-harness.ts';

const SECRET = 'interop-recorder-secret-0123456789';
const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
type Event = { type: string; [k: string]: unknown };
const recorderEvents = (p: LjmPage) => ljm<Event[]>(p, 's.events.filter((e) => e.type === "recorder")');

const result: Record<string, unknown> = {};
const world = await startWorld({ RECORDER_SECRET: SECRET });
let people: LjmPage[] = [];
let jibri: ScriptedJibri | null = null;
try {
  jibri = await startScriptedJibri({ edgeWs: world.edge.url.replace(/^http/, 'ws'), id: 'interop-jibri', secret: SECRET });
  people = await startCurrentLjmPages(world, 'ljm-rec', 2, { nicks: ['alice', 'bob'] });
  const [alice, bob] = people as [LjmPage, LjmPage];
  result.version = await ljm<string>(alice, 's.version');
  result.moderators = await Promise.all(people.map((p) => ljm<boolean>(p, 's.conference.isModerator()')));
  const ids = await Promise.all(people.map((p) => p.id()));

  result.bobStart = await bob.page.evaluate(() => (window as unknown as { ljmStartRecording(o: unknown): Promise<unknown> }).ljmStartRecording({ mode: 'file' }));
  const start = await alice.page.evaluate(() => (window as unknown as { ljmStartRecording(o: unknown): Promise<{ id?: string }> }).ljmStartRecording({ mode: 'file' }));
  result.aliceStart = start;
  result.sawOn = await untilInPage(alice, 's.events.some((e) => e.type === "recorder" && e.status === "on")', 20_000);
  result.bobSawOn = await untilInPage(bob, 's.events.some((e) => e.type === "recorder" && e.status === "on")', 10_000);
  // The recorder is in the room as a hidden occupant: not among the participants either counts.
  result.participantCounts = await Promise.all(people.map((p) => ljm<number>(p, 's.conference.getParticipants().filter((x) => !x.isHidden()).length')));
  result.hiddenSeen = await ljm<boolean>(alice, 's.conference.getParticipants().some((x) => x.isHidden())');
  result.stop = await alice.page.evaluate((id) => (window as unknown as { ljmStopRecording(id: string): Promise<unknown> }).ljmStopRecording(id), start.id ?? '');
  result.sawOff = await untilInPage(alice, 's.events.some((e) => e.type === "recorder" && e.status === "off")', 15_000);
  result.aliceEvents = await recorderEvents(alice);
  result.bobEvents = await recorderEvents(bob);
  result.aliceId = ids[0];
  result.jibriRequests = jibri.requests;
  result.pageErrors = people.map((p) => p.pageErrors);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await jibri?.stop();
  await world.stop();
}
console.log(JSON.stringify(result));
