/**
 * What the control plane may ask of the SFU: the conferences and endpoints that Colibri2
 * (control/colibri2-handler.ts) creates, changes and expires. The SFU defines these and
 * implements them (conference-directory.ts, conference.ts, endpoint.ts); control depends on
 * them, never the SFU on control.
 * @module
 */
import type { Colibri2Media, Colibri2MediaSource, IceUdpTransport } from '@edgemeet/protocol';

/** An endpoint of a conference, as the control plane sees it. */
export interface EndpointControl {
  readonly id: string;
  /** Our side of the transport: ICE ufrag/pwd, DTLS fingerprint, candidates, colibri-ws URL. */
  localTransport(): IceUdpTransport;
  setRemoteTransport(transport: IceUdpTransport): void;
  /** The endpoint's media descriptions (payload types, RTP header extensions), as the focus offered them. */
  setMedia(medias: readonly Colibri2Media[]): void;
  setSources(sources: readonly Colibri2MediaSource[]): void;
  forceMute(audio: boolean | undefined, video: boolean | undefined): void;
}

export interface ConferenceControl {
  readonly meetingId: string;
  endpoint(id: string): EndpointControl | undefined;
  /** `ssrcRewriting`: the Colibri2 capability `ssrc-rewriting` (the receiver gets media on the node's SSRCs, announced over the bridge channel). */
  createEndpoint(id: string, options: { statsId?: string; ssrcRewriting?: boolean }): EndpointControl;
  expireEndpoint(id: string): void;
  /** The bridge's own sources (`jvb-a0`, `jvb-v0`), announced when the conference is created. */
  feedbackSources(): Colibri2MediaSource[];
}

export interface ConferenceDirectory {
  /** Whether new conferences are refused (drain or graceful shutdown). */
  readonly refusingNew: boolean;
  get(meetingId: string): ConferenceControl | undefined;
  create(meetingId: string, name: string | undefined): ConferenceControl;
  expire(meetingId: string): void;
}
