/**
 * Typed Jingle (XEP-0166/0167/0176/0320/0339) as Jicofo and lib-jitsi-meet use it.
 * @module
 */
import type { EndpointSourceMap, SsrcGroup, SsrcSource } from '../sources/types.ts';

export type { SsrcGroup, SsrcSource } from '../sources/types.ts';

export type MediaType = 'audio' | 'video';
export interface PayloadParameter { name?: string; value: string }
export interface RtcpFeedback { type: string; subtype?: string }
export interface PayloadType { id: number; name: string; clockrate: number; channels?: number; parameters: PayloadParameter[]; rtcpFeedback: RtcpFeedback[] }
export interface HeaderExtension { id: number; uri: string; senders?: string }
export interface RtpDescription {
  media: MediaType | 'application'; payloadTypes: PayloadType[]; headerExtensions: HeaderExtension[]; rtcpMux: boolean;
  extmapAllowMixed: boolean; maxptime?: number; sources: SsrcSource[]; groups: SsrcGroup[]; rtcpFeedback: RtcpFeedback[];
}
export interface Fingerprint { hash: string; value: string; setup?: string; required?: boolean; cryptex?: boolean }
export interface IceCandidate {
  foundation: string; component: number; protocol: string; priority: number; ip: string; port: number; type: string;
  generation: number; network?: number; id?: string; relAddr?: string; relPort?: number; tcptype?: string;
}
export interface IceUdpTransport {
  ufrag?: string; pwd?: string; fingerprints: Fingerprint[]; candidates: IceCandidate[]; rtcpMux: boolean; webSocketUrls: string[];
  iceGeneration?: number; sctp?: { port: number; protocol: string; streams: number };
}
export interface JingleContent {
  creator: 'initiator' | 'responder'; name: string; senders?: 'both' | 'initiator' | 'responder' | 'none' | 'rejected';
  description?: RtpDescription; transport?: IceUdpTransport;
}
export interface BridgeSession { id: string; region?: string; restart?: boolean; iceRestart?: boolean }
export interface JingleReason { condition: string; text?: string }
export type JingleAction = 'session-initiate' | 'session-accept' | 'session-terminate' | 'session-info' | 'transport-info'
  | 'transport-accept' | 'transport-reject' | 'transport-replace' | 'source-add' | 'source-remove' | 'content-modify'
  | 'addsource' | 'removesource';
export interface Jingle {
  action: JingleAction; sid: string; initiator?: string; responder?: string; contents: JingleContent[];
  groups: Array<{ semantics: string; contents: string[] }>; bridgeSession?: BridgeSession; reason?: JingleReason;
  /** Jitsi compact JSON sources (`<json-message>{"sources":…}`) when present. */
  jsonSources?: EndpointSourceMap; startMuted?: { audio: boolean; video: boolean }; iceState?: string;
}
