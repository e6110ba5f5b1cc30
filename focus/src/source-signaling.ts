/**
 * What each participant's Jingle session has been told about the others' sources, and what it
 * must be told next (Jicofo's per-participant SourceSignaling): the focus keeps, per session, the
 * source map it has signalled; after any change it compares that with what the session should
 * know now and sends the difference, removals first, then additions. Changes that happen while
 * the session is not yet accepted are not sent one by one: they are folded into the difference
 * sent once it is (so a participant who is offered a session while others are moving sees one
 * consistent update, not a remove/add pair per mover).
 * @module
 */
import type { EndpointSourceMap, MediaType, SsrcGroup } from '@edgemeet/protocol';
import { isEmpty, stripSimulcast, withOwner } from './sources.ts';
import { emptySources, type ParticipantState } from './state.ts';

const MEDIA: readonly MediaType[] = ['audio', 'video'];

/** The owner id of the bridge's own (feedback) sources: part of the offer, never diffed. */
export const BRIDGE_OWNER = 'jvb';

export interface SourceUpdate {
  readonly remove: EndpointSourceMap;
  readonly add: EndpointSourceMap;
}

/**
 * What `p`'s session should know now: every other participant's announced sources, stripped of
 * simulcast layers (receivers get the first layer; the bridge rewrites onto it) and tagged with
 * their owner.
 */
export function sourcesFor(p: ParticipantState, participants: Iterable<ParticipantState>): EndpointSourceMap {
  const out: EndpointSourceMap = {};
  // With SSRC rewriting the bridge tells it (AudioSourcesMap / VideoSourcesMap), as with Jicofo.
  if (p.ssrcRewriting) return out;
  for (const other of participants) {
    if (other.endpointId === p.endpointId || isEmpty(other.sources)) continue;
    out[other.endpointId] = withOwner(stripSimulcast(other.sources), other.endpointId);
  }
  return out;
}

const groupKey = (g: SsrcGroup) => `${g.semantics}:${g.ssrcs.join(',')}`;

/** `a` without what `b` has (by SSRC, and groups by semantics and members), per owner. */
function minus(a: EndpointSourceMap, b: EndpointSourceMap): EndpointSourceMap {
  const out: EndpointSourceMap = {};
  for (const [owner, mine] of Object.entries(a)) {
    if (owner === BRIDGE_OWNER) continue;
    const theirs = b[owner] ?? emptySources();
    const left = emptySources();
    for (const m of MEDIA) {
      const ssrcs = new Set(theirs[m].sources.map((s) => s.ssrc));
      const groups = new Set(theirs[m].groups.map(groupKey));
      left[m] = {
        sources: mine[m].sources.filter((s) => !ssrcs.has(s.ssrc)),
        groups: mine[m].groups.filter((g) => !groups.has(groupKey(g))),
      };
    }
    if (left.audio.sources.length + left.audio.groups.length + left.video.sources.length + left.video.groups.length > 0) out[owner] = left;
  }
  return out;
}

/** The update that takes a session from `signaled` to `desired`: removals, then additions. */
export function diffSources(signaled: EndpointSourceMap, desired: EndpointSourceMap): SourceUpdate {
  return { remove: minus(signaled, desired), add: minus(desired, signaled) };
}

export function isEmptyUpdate(u: SourceUpdate): boolean {
  return Object.keys(u.remove).length === 0 && Object.keys(u.add).length === 0;
}

/** A copy safe to keep in the participant's state after the map it came from changes. */
export function snapshot(map: EndpointSourceMap): EndpointSourceMap {
  return JSON.parse(JSON.stringify(map)) as EndpointSourceMap;
}
