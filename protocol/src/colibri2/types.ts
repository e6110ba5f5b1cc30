/**
 * Typed Colibri2 (`jitsi:colibri2`, jitsi-wire-protocol §5).
 * @module
 */
import type { HeaderExtension, IceUdpTransport, MediaType, PayloadType, SsrcGroup, SsrcSource } from '../jingle/types.ts';

export interface Colibri2Media { type: MediaType; payloadTypes: PayloadType[]; headerExtensions: HeaderExtension[]; extmapAllowMixed: boolean }
export interface Colibri2MediaSource { type: MediaType; id: string; sources: SsrcSource[]; groups: SsrcGroup[] }
export interface Colibri2Endpoint {
  id: string; create?: boolean; expire?: boolean; statsId?: string; mucRole?: string; medias?: Colibri2Media[];
  transport?: { iceControlling?: boolean; iceRestart?: boolean; sctp?: boolean; ice?: IceUdpTransport };
  /** undefined: not sent; []: clears */
  sources?: Colibri2MediaSource[]; capabilities: string[]; forceMute?: { audio?: boolean; video?: boolean }; initialLastN?: number;
}
export interface Colibri2ConferenceModify { meetingId: string; name?: string; create?: boolean; expire?: boolean; rtcstatsEnabled?: boolean; endpoints: Colibri2Endpoint[] }
export interface Colibri2EndpointResult { id: string; transport?: IceUdpTransport; sctp?: { port: number; role: string } }
export interface Colibri2ConferenceModified { endpoints: Colibri2EndpointResult[]; /** feedback sources on create */ sources?: Colibri2MediaSource[] }
export type Colibri2ErrorReason = 'conference_not_found' | 'conference_already_exists' | 'feature_not_implemented' | 'graceful_shutdown' | 'unknown_endpoint' | 'unspecified';

/** Colibri2 endpoint capabilities (jitsi-xmpp-extensions' Capability) the focus sends and the node reads. */
export const CAP_SOURCE_NAMES = 'source-names';
export const CAP_SSRC_REWRITING = 'ssrc-rewriting';
