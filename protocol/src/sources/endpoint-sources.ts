/**
 * Sources per endpoint: extraction from Jingle contents, and the validation the focus applies to
 * what a participant announces (Jicofo's ValidatingConferenceSourceMap).
 * @module
 */
import { AppError } from '../errors.ts';
import type { JingleContent, MediaType } from '../jingle/types.ts';
import { emptyEndpointSources } from './json-sources.ts';
import type { EndpointSourceMap, EndpointSources } from './types.ts';

/** Sources in `<content>` descriptions, by owner (`ssrc-info owner`, else `defaultOwner`). */
export function sourcesFromContents(contents: readonly JingleContent[], defaultOwner = ''): EndpointSourceMap {
  const out: EndpointSourceMap = Object.create(null) as EndpointSourceMap;
  for (const c of contents) {
    const d = c.description;
    if (!d || (d.media !== 'audio' && d.media !== 'video')) continue;
    const media: MediaType = d.media;
    for (const s of d.sources) {
      const owner = s.owner ?? defaultOwner;
      out[owner] ??= emptyEndpointSources();
      out[owner][media].sources.push(s);
    }
    for (const g of d.groups) {
      const owner = d.sources.find((s) => s.ssrc === g.ssrcs[0])?.owner ?? defaultOwner;
      out[owner] ??= emptyEndpointSources();
      out[owner][media].groups.push(g);
    }
  }
  return out;
}

export interface SourceLimits {
  maxSsrcsPerMedia: number;
  maxGroupsPerMedia: number;
  /** Every source must carry a name (Jitsi's source-names capability). */
  requireNames?: boolean;
}

/**
 * Checks one endpoint's sources; throws `AppError('bad-request')` for: too many SSRCs or groups,
 * an SSRC listed twice, a group naming an unknown SSRC, a SIM group of more than 3 layers, a FID
 * group that is not exactly a pair, a missing name when names are required.
 */
export function validateEndpointSources(endpointId: string, sources: EndpointSources, limits: SourceLimits): void {
  const fail = (message: string): never => { throw new AppError('bad-request', `sources of ${endpointId}: ${message}`); };
  const seen = new Set<number>();
  for (const media of ['audio', 'video'] as const) {
    const { sources: list, groups } = sources[media];
    if (list.length > limits.maxSsrcsPerMedia) fail(`more than ${limits.maxSsrcsPerMedia} ${media} SSRCs`);
    if (groups.length > limits.maxGroupsPerMedia) fail(`more than ${limits.maxGroupsPerMedia} ${media} groups`);
    const own = new Set<number>();
    for (const s of list) {
      if (seen.has(s.ssrc)) fail(`SSRC ${s.ssrc} is listed twice`);
      seen.add(s.ssrc);
      own.add(s.ssrc);
      if (limits.requireNames && !s.name) fail(`SSRC ${s.ssrc} has no name`);
    }
    for (const g of groups) {
      for (const ssrc of g.ssrcs) if (!own.has(ssrc)) fail(`group ${g.semantics} names unknown SSRC ${ssrc}`);
      if (g.semantics === 'SIM' && g.ssrcs.length > 3) fail('a SIM group has at most 3 layers');
      if (g.semantics === 'FID' && g.ssrcs.length !== 2) fail('a FID group is a pair');
    }
  }
}
