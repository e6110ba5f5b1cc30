/**
 * Sources grouped by endpoint (Jicofo's EndpointSourceSet / ConferenceSourceMap).
 * @module
 */
import type { SsrcGroup, SsrcSource } from '../jingle/types.ts';

/** All sources of one endpoint, per media type. */
export interface EndpointSources {
  audio: { sources: SsrcSource[]; groups: SsrcGroup[] };
  video: { sources: SsrcSource[]; groups: SsrcGroup[] };
}
/** owner (endpoint id, or 'jvb') → sources */
export type EndpointSourceMap = Record<string, EndpointSources>;
