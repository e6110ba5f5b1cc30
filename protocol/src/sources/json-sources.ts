/**
 * Jitsi's compact JSON source encoding (jitsi-wire-protocol §4.2):
 * `{"sources":{owner:[videoSources[], videoGroups[], audioSources[], audioGroups[]?]}}`, a source
 * `{"s":ssrc,"n":name,"m":msid?,"v":"d"?}`, a group `["f"|"s", ssrc, …]`.
 * @module
 */
import { AppError } from '../errors.ts';
import { parseBoundedJson, type JsonLimits } from '../json/bounded-json.ts';
import type { SsrcGroup, SsrcSource } from '../jingle/types.ts';
import type { EndpointSourceMap, EndpointSources } from './types.ts';

const SEMANTICS: Record<string, string> = { f: 'FID', s: 'SIM' };
const SHORT: Record<string, string> = { FID: 'f', SIM: 's' };

function bad(message: string): never {
  throw new AppError('bad-request', `json sources: ${message}`);
}

function ssrcOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) bad('an ssrc must be an integer from 1 to 2^32-1');
  return v;
}

function decodeSource(v: unknown, owner: string): SsrcSource {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('a source must be an object');
  const o = v as Record<string, unknown>;
  const s: SsrcSource = { ssrc: ssrcOf(o.s), owner };
  if (o.n !== undefined) s.name = typeof o.n === 'string' ? o.n : bad('n must be a string');
  if (o.m !== undefined) s.msid = typeof o.m === 'string' ? o.m : bad('m must be a string');
  if (o.v === 'd') s.videoType = 'desktop';
  return s;
}

function decodeGroup(v: unknown): SsrcGroup {
  if (!Array.isArray(v) || v.length < 2) bad('a group must be ["f"|"s", ssrc, …]');
  const [kind, ...ssrcs] = v as unknown[];
  const semantics = typeof kind === 'string' ? SEMANTICS[kind] : undefined;
  if (!semantics) bad(`unknown group kind ${String(kind)}`);
  return { semantics, ssrcs: ssrcs.map(ssrcOf) };
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) bad(`${what} must be an array`);
  return v;
}

/**
 * Bounds on a `<json-sources>` text: the format is 5 levels deep (sources → owner → list → source
 * → field); a participant's own announcement is a handful of owners and sources.
 */
export const JSON_SOURCES_LIMITS: JsonLimits = Object.freeze({
  maxChars: 131_072, maxDepth: 6, maxEntries: 256, maxTotalEntries: 4096, maxStringChars: 256,
});

/** Decodes the JSON text of a `<json-message/>`; throws `AppError('bad-request')` on anything malformed or over {@link JSON_SOURCES_LIMITS}. */
export function decodeJsonSources(json: string): EndpointSourceMap {
  let parsed: unknown;
  try {
    parsed = parseBoundedJson(json, JSON_SOURCES_LIMITS);
  } catch (err) {
    bad(err instanceof Error ? err.message : 'not JSON');
  }
  const sources = (parsed as { sources?: unknown } | null)?.sources;
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) bad('expected {"sources":{…}}');
  const out: EndpointSourceMap = Object.create(null) as EndpointSourceMap;
  for (const [owner, value] of Object.entries(sources)) {
    if (!Array.isArray(value)) bad(`sources of ${owner} must be an array`);
    const [vs, vg, as, ag] = value as unknown[];
    out[owner] = {
      video: { sources: list(vs, 'video sources').map((s) => decodeSource(s, owner)), groups: list(vg, 'video groups').map(decodeGroup) },
      audio: { sources: list(as, 'audio sources').map((s) => decodeSource(s, owner)), groups: list(ag, 'audio groups').map(decodeGroup) },
    };
  }
  return out;
}

function encodeSource(s: SsrcSource): Record<string, unknown> {
  return { s: s.ssrc, ...(s.name !== undefined ? { n: s.name } : {}), ...(s.msid !== undefined ? { m: s.msid } : {}), ...(s.videoType === 'desktop' ? { v: 'd' } : {}) };
}

function encodeGroup(g: SsrcGroup): unknown[] {
  return [SHORT[g.semantics] ?? g.semantics.toLowerCase(), ...g.ssrcs];
}

export function encodeJsonSources(map: EndpointSourceMap): string {
  const sources: Record<string, unknown[]> = {};
  for (const [owner, s] of Object.entries(map)) {
    sources[owner] = [s.video.sources.map(encodeSource), s.video.groups.map(encodeGroup), s.audio.sources.map(encodeSource), s.audio.groups.map(encodeGroup)];
  }
  return JSON.stringify({ sources });
}

export function emptyEndpointSources(): EndpointSources {
  return { audio: { sources: [], groups: [] }, video: { sources: [], groups: [] } };
}
