/**
 * Source bookkeeping of the focus (Jicofo's ConferenceSourceMap): validation against SSRC
 * stealing, merging and removal for source-add/remove, simulcast stripping for what receivers are
 * told (they get the first SIM layer and its RTX; the bridge rewrites forwarded layers onto it),
 * and the Colibri2 form for the bridge (full groups).
 * @module
 */
import { AppError, validateEndpointSources } from '@edgemeet/protocol';
import type { Colibri2MediaSource, EndpointSources, MediaType, SsrcGroup, SsrcSource } from '@edgemeet/protocol';
import type { FocusConfig } from './config.ts';
import { emptySources, type ParticipantState } from './state.ts';

const MEDIA: readonly MediaType[] = ['audio', 'video'];

export function ssrcsOf(s: EndpointSources): number[] {
  return MEDIA.flatMap((m) => s[m].sources.map((x) => x.ssrc));
}

export function isEmpty(s: EndpointSources): boolean {
  return ssrcsOf(s).length === 0;
}

/** Checks `incoming` for `owner`: well-formed, within limits, and no SSRC owned by another participant. */
export function validateSources(
  owner: string, incoming: EndpointSources, others: Iterable<ParticipantState>, config: FocusConfig, reserved: readonly number[] = [],
): void {
  validateEndpointSources(owner, incoming, {
    maxSsrcsPerMedia: config.maxSsrcsPerMedia, maxGroupsPerMedia: config.maxGroupsPerMedia, requireNames: false,
  });
  const taken = new Map<number, string>();
  for (const p of others) if (p.endpointId !== owner) for (const ssrc of ssrcsOf(p.sources)) taken.set(ssrc, p.endpointId);
  for (const ssrc of reserved) taken.set(ssrc, 'jvb');
  for (const ssrc of ssrcsOf(incoming)) {
    const holder = taken.get(ssrc);
    if (holder !== undefined) throw new AppError('bad-request', `SSRC ${ssrc} already belongs to ${holder}`);
  }
}

/** `base` plus `added` (source-add); duplicate SSRCs within the endpoint are refused. */
export function mergeSources(base: EndpointSources, added: EndpointSources): EndpointSources {
  const out = emptySources();
  for (const m of MEDIA) {
    const have = new Set(base[m].sources.map((s) => s.ssrc));
    for (const s of added[m].sources) if (have.has(s.ssrc)) throw new AppError('bad-request', `SSRC ${s.ssrc} was already added`);
    out[m] = { sources: [...base[m].sources, ...added[m].sources], groups: [...base[m].groups, ...added[m].groups] };
  }
  return out;
}

/** `base` without the SSRCs in `removed` (source-remove), and without groups that referenced them. */
export function removeSources(base: EndpointSources, removed: EndpointSources): EndpointSources {
  const out = emptySources();
  for (const m of MEDIA) {
    const gone = new Set(removed[m].sources.map((s) => s.ssrc));
    for (const g of removed[m].groups) for (const ssrc of g.ssrcs) gone.add(ssrc);
    out[m] = {
      sources: base[m].sources.filter((s) => !gone.has(s.ssrc)),
      groups: base[m].groups.filter((g) => !g.ssrcs.some((ssrc) => gone.has(ssrc))),
    };
  }
  return out;
}

/** What receivers are told: per SIM group only the first layer and its FID (RTX) partner. */
export function stripSimulcast(s: EndpointSources): EndpointSources {
  const out = emptySources();
  for (const m of MEDIA) {
    const drop = new Set<number>();
    const sims = s[m].groups.filter((g) => g.semantics === 'SIM');
    for (const sim of sims) for (const ssrc of sim.ssrcs.slice(1)) drop.add(ssrc);
    const fids = s[m].groups.filter((g) => g.semantics === 'FID');
    for (const fid of fids) if (fid.ssrcs[0] !== undefined && drop.has(fid.ssrcs[0])) for (const x of fid.ssrcs) drop.add(x);
    out[m] = {
      sources: s[m].sources.filter((x) => !drop.has(x.ssrc)),
      groups: s[m].groups.filter((g) => g.semantics !== 'SIM' && !g.ssrcs.some((x) => drop.has(x))),
    };
  }
  return out;
}

/** Tags every source with its owner (`ssrc-info owner`), as receivers need it. */
export function withOwner(s: EndpointSources, owner: string): EndpointSources {
  const tag = (list: SsrcSource[]) => list.map((x) => ({ ...x, owner }));
  return { audio: { sources: tag(s.audio.sources), groups: s.audio.groups }, video: { sources: tag(s.video.sources), groups: s.video.groups } };
}

/** Colibri2 `<sources>`: one media-source per source name, with every group of its SSRCs. */
export function toColibriSources(owner: string, s: EndpointSources): Colibri2MediaSource[] {
  const out: Colibri2MediaSource[] = [];
  for (const type of MEDIA) {
    const byName = new Map<string, SsrcSource[]>();
    for (const src of s[type].sources) {
      const name = src.name ?? `${owner}-${type === 'audio' ? 'a' : 'v'}0`;
      byName.set(name, [...(byName.get(name) ?? []), { ...src, owner: undefined }]);
    }
    for (const [id, sources] of byName) {
      const ssrcs = new Set(sources.map((x) => x.ssrc));
      const groups: SsrcGroup[] = s[type].groups.filter((g) => g.ssrcs.every((x) => ssrcs.has(x)));
      out.push({ type, id, sources, groups });
    }
  }
  return out;
}

/** The stream id lib-jitsi-meet reserves for the bridge's own sources (RTCUtils.isUserStreamById). */
export const FEEDBACK_STREAM_ID = 'mixedmslabel';

/**
 * The bridge's feedback sources (`jvb-a0`, `jvb-v0`) from its Colibri2 answer, as participants are
 * told about them. Like Jicofo (`ConferenceModifiedIQ.parseSources`), every one gets the msid
 * `mixedmslabel mixedlabel<audio|video>0`: lib-jitsi-meet writes `a=ssrc` lines only for a source's
 * parameters, and recognises the bridge's streams by the stream id `mixedmslabel`
 * (`RTCUtils.isUserStreamById`). Without it the m-lines of these sources have no SSRC and no msid,
 * Chrome invents a stream for them, the library logs "No SSRC lines found", and a page whose
 * session-initiate had no other sources renegotiates on every `negotiationneeded` from then on.
 */
export function feedbackSourcesFrom(list: readonly Colibri2MediaSource[]): EndpointSources {
  const out = emptySources();
  for (const ms of list) {
    const msid = `${FEEDBACK_STREAM_ID} mixedlabel${ms.type}0`;
    out[ms.type].sources.push(...ms.sources.map((x) => ({ ...x, name: x.name ?? ms.id, msid })));
    out[ms.type].groups.push(...ms.groups);
  }
  return out;
}
