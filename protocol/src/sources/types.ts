/**
 * Sources grouped by endpoint (Jicofo's EndpointSourceSet / ConferenceSourceMap).
 * @module
 */
/** One SSRC as Jingle (XEP-0339) and Colibri2 carry it, with Jitsi's source name, videoType and owner. */
export interface SsrcSource { ssrc: number; name?: string; videoType?: 'camera' | 'desktop'; msid?: string; owner?: string; rid?: string }
export interface SsrcGroup { semantics: string; ssrcs: number[] }

/** All sources of one endpoint, per media type. */
export interface EndpointSources {
  audio: { sources: SsrcSource[]; groups: SsrcGroup[] };
  video: { sources: SsrcSource[]; groups: SsrcGroup[] };
}
/** owner (endpoint id, or 'jvb') → sources */
export type EndpointSourceMap = Record<string, EndpointSources>;
