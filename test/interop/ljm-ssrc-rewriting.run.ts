/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet with SSRC rewriting (jitsi-meet's default) against the real edge and a
 * real media node, inside a network namespace with only loopback (ljm-ssrc-rewriting.test.ts
 * starts it): alice, bob and carol stay; dave joins and leaves, then erin joins. Each stayer's
 * bridge connection renegotiates for dave (the node maps his sources onto new SSRCs) but not for
 * erin, who gets the SSRCs dave left; everyone decodes erin under her own name. Prints one JSON line.
 */
import { flowOver, startCurrentLjmPages, startWorld, untilInPage, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
const stock = { ssrcRewriting: true, conferenceOptions: {} };
const renegotiations = async (pages: LjmPage[]) => Promise.all(pages.map(async (p) => (await p.negotiation()).jvb?.remoteDescriptions ?? -1));

/**
 * Whether `p` decodes video and audio from the participant named `name`, on the SSRCs the library
 * gave that participant's tracks (its TRACK_ADDED events: a track the bridge re-mapped to a new
 * owner is announced again with that owner; the library does not move it between participants'
 * `getTracks()`), polled in 1 s windows for up to 20 s.
 */
async function decodes(p: LjmPage, name: string): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  do {
    const ssrcs = await ljm<number[]>(p, `(() => { const x = s.conference.getParticipants().find((q) => q.getDisplayName() === ${JSON.stringify(name)});
      return x ? s.remoteTracks.filter((t) => t.owner === x.getId()).map((t) => t.ssrc) : []; })()`);
    const stats = () => p.page.evaluate(() => (window as unknown as { ljmStats(): Promise<{ inbound: Array<{ kind: string; ssrc: number; framesDecoded: number; samples: number }> }> }).ljmStats());
    const a = await stats();
    await new Promise((r) => setTimeout(r, 1000));
    const b = await stats();
    const grew = (kind: string) => b.inbound.some((x) => x.kind === kind && ssrcs.includes(x.ssrc)
      && (kind === 'video' ? x.framesDecoded : x.samples) > ((a.inbound.find((y) => y.ssrc === x.ssrc) ?? { framesDecoded: 0, samples: 0 })[kind === 'video' ? 'framesDecoded' : 'samples']));
    if (grew('video') && grew('audio')) return true;
  } while (Date.now() < deadline);
  return false;
}

const result: Record<string, unknown> = {};
const world = await startWorld();
let people: LjmPage[] = [];
try {
  people = await startCurrentLjmPages(world, 'ljm-rewrite', 3, { nicks: ['alice', 'bob', 'carol'], ...stock });
  result.version = await ljm<string>(people[0]!, 's.version');
  for (const p of people) await flowOver(p, 1500);
  result.settled = await renegotiations(people);
  const [dave] = await startCurrentLjmPages(world, 'ljm-rewrite', 4, { nicks: ['dave'], ...stock });
  result.daveDecoded = await Promise.all(people.map((p) => decodes(p, 'dave')));
  result.withDave = await renegotiations(people);
  await dave!.leave();
  result.daveLeftSeen = await Promise.all(people.map((p) => untilInPage(p, 's.conference.getParticipants().length === 2', 15_000)));
  const [erin] = await startCurrentLjmPages(world, 'ljm-rewrite', 4, { nicks: ['erin'], ...stock });
  result.erinDecoded = await Promise.all(people.map((p) => decodes(p, 'erin')));
  result.withErin = await renegotiations(people);
  result.erinTracks = await Promise.all(people.map((p) => ljm<unknown[]>(p, 's.remoteTracks')));
  people.push(erin!);
  result.pageErrors = people.map((p) => p.pageErrors);
  result.libraryErrors = people.map((p) => p.libraryErrors);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
  result.console = people.map((p) => p.console.slice(-30));
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
