/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet against the room-feature components, through the library's own API, in
 * one call (alice, bob, then carol late) through the real edge and a real media node, inside a
 * network namespace with only loopback (ljm-room-features.test.ts starts it): the meeting's start
 * (CONFERENCE_CREATED_TIMESTAMP), room metadata (getMetadataHandler().setMetadata, METADATA_UPDATED,
 * a latecomer's getMetadata()), speaker stats (the dominant speaker's time in a latecomer's
 * getSpeakerStats(), which only the component can have told it), end for all (conference.end():
 * refused for a participant, for the moderator everyone's CONFERENCE_FAILED with
 * CONFERENCE_DESTROYED and Jitsi's reason, the bridge conference gone), polls (getPolls():
 * createPoll, answerPoll, POLL_RECEIVED and POLL_ANSWER_RECEIVED, a latecomer's history) and the
 * start-muted policy (setStartMutedPolicy by the moderator; the latecomer's
 * START_MUTED_POLICY_CHANGED before it joined). Prints one JSON line.
 */
import { CURRENT_CONFERENCE_DEFAULTS, openLjm, startCurrentLjmPages, startWorld, untilInPage, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Event = { type: string; [k: string]: unknown };
const events = (p: LjmPage, type: string) => ljm<Event[]>(p, `s.events.filter((e) => e.type === ${JSON.stringify(type)})`);

const result: Record<string, unknown> = {};
const world = await startWorld();
const health = async () => (await (await fetch(`${world.node.httpUrl}/about/health`)).json()) as { conferences: number; endpoints: number };
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-features', 2, { nicks: ['alice', 'bob'] });
  const [alice, bob] = people as [LjmPage, LjmPage];
  result.version = await ljm<string>(alice, 's.version');
  const ids = await Promise.all(people.map((p) => p.id()));
  result.moderators = await Promise.all(people.map((p) => ljm<boolean>(p, 's.conference.isModerator()')));
  result.supported = await Promise.all(people.map((p) => ljm<{ end: boolean; metadata: boolean; polls: boolean }>(p,
    '({ end: s.conference.isEndConferenceSupported(), metadata: s.conference.getMetadataHandler().isSupported(), polls: s.conference.getPolls().isSupported() })')));

  // The meeting's start, as each page was told it.
  await Promise.all(people.map((p) => untilInPage(p, 's.events.some((e) => e.type === "created-timestamp")', 10_000)));
  const stamps = async (p: LjmPage) => (await events(p, 'created-timestamp')).map((e) => e.ts as string);
  result.createdTimestamps = [await stamps(alice), await stamps(bob)];

  // Room metadata: the moderator sets a key, the other hears it.
  await ljm(alice, 's.conference.getMetadataHandler().setMetadata("topic", { title: "Interop" })');
  result.metadataSeen = await untilInPage(bob, 's.events.some((e) => e.type === "metadata" && e.metadata.topic && e.metadata.topic.title === "Interop")', 5000);
  // A participant cannot (the component refuses; nobody hears it).
  await ljm(bob, 's.conference.getMetadataHandler().setMetadata("topic", { title: "Hijack" })');

  // Polls: the participant asks, the moderator answers; both hear both. The moderator sets the start-muted policy.
  await ljm(bob, 's.conference.getPolls().createPoll("ljm-poll", "Interop?", [{ name: "Yes" }, { name: "No" }])');
  result.pollHeard = await Promise.all(people.map((p) => untilInPage(p, 's.events.some((e) => e.type === "poll" && e.poll.pollId === "ljm-poll")', 5000)));
  await ljm(alice, 's.conference.getPolls().answerPoll("ljm-poll", [false, true])');
  result.answerHeard = await Promise.all(people.map((p) => untilInPage(p, 's.events.some((e) => e.type === "poll-answer")', 5000)));
  result.polls = { poll: (await events(alice, 'poll')).map((e) => e.poll), answers: (await events(bob, 'poll-answer')).map((e) => e.answer) };
  await ljm(alice, 's.conference.setStartMutedPolicy({ audio: true, video: false })');
  await untilInPage(bob, 's.events.some((e) => e.type === "metadata" && e.metadata.startMuted)', 5000);

  // Speaker stats: the bridge names a dominant speaker; that page reports it to the component.
  await untilInPage(alice, 's.events.some((e) => e.type === "dominant-speaker")', 15_000);
  const dominant = (await events(alice, 'dominant-speaker')).at(-1)?.id as string;
  result.dominantIsParticipant = ids.includes(dominant);
  await sleep(3000);
  const dominantNow = (await events(alice, 'dominant-speaker')).at(-1)?.id as string;
  result.dominantStayed = dominantNow === dominant;

  // Carol joins late.
  const carol = await openLjm(world, { room: 'ljm-features', nick: 'carol', build: 'current', p2p: false, conferenceOptions: CURRENT_CONFERENCE_DEFAULTS });
  people.push(carol);
  result.carolJoined = await untilInPage(carol, 's.joinedAt > 0 && s.conference.getParticipants().length === 2', 20_000);
  // What carol's stats hold for the dominant speaker, and how long carol has been in the meeting:
  // more than carol could have measured herself means the component told her.
  await untilInPage(carol, `(() => { const x = s.conference.getSpeakerStats()[${JSON.stringify(dominant)}]; return x && x.getTotalDominantSpeakerTime() > 0; })()`, 5000);
  result.carolSpeakerStats = await ljm<{ total: number; inMeetingMs: number; users: string[] }>(carol,
    `({ total: s.conference.getSpeakerStats()[${JSON.stringify(dominant)}]?.getTotalDominantSpeakerTime() ?? 0, inMeetingMs: performance.now() - s.joinedAt, users: Object.keys(s.conference.getSpeakerStats()).sort() })`);
  result.carolMetadata = await ljm<unknown>(carol, 's.conference.getMetadataHandler().getMetadata()');
  await untilInPage(carol, 's.events.some((e) => e.type === "created-timestamp")', 10_000);
  result.carolCreatedTimestamps = await stamps(carol);
  result.bobMetadataEvents = (await events(bob, 'metadata')).map((e) => e.metadata);
  // Carol's polls came with the history, Alice's vote in them; the policy reached her before she joined.
  result.carolPolls = (await events(carol, 'poll')).map((e) => e.poll);
  result.carolStartMuted = { events: (await events(carol, 'start-muted-policy')).map((e) => e.policy), policy: await ljm<unknown>(carol, 's.conference.getStartMutedPolicy()') };
  result.ids = ids;

  // End for all: the participant is refused and nothing happens; then the moderator.
  result.bridgeBefore = await health();
  await ljm(bob, 's.conference.end()');
  await sleep(1500);
  result.failedAfterParticipantEnd = await Promise.all(people.map(async (p) => (await events(p, 'failed')).length));
  await ljm(alice, 's.conference.end()');
  const ended = await Promise.all(people.map((p) => untilInPage(p, 's.events.some((e) => e.type === "failed")', 10_000)));
  result.ended = ended;
  result.failed = await Promise.all(people.map(async (p) => (await events(p, 'failed')).map((e) => ({ e: e.e, params: e.params }))));
  const deadline = Date.now() + 10_000;
  let after = await health();
  while (after.conferences > 0 && Date.now() < deadline) {
    await sleep(200);
    after = await health();
  }
  result.bridgeAfter = after;
  result.pageErrors = people.map((p) => p.pageErrors);
  result.libraryErrors = people.map((p) => p.libraryErrors);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
