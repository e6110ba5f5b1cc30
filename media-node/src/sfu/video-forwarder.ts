/**
 * One receiver's view of one sender's video source, whatever the codec: what the router
 * (forwarding, keyframe requests), the receiver feedback (NACKs, PLIs, SRs mapped to what the
 * receiver knows) and the bandwidth allocator need of it. VP8 (simulcast or a single stream) gets
 * simulcast.ts's LayerForwarder; VP9 SVC (spatial layers inside one SSRC, chosen from the
 * payload descriptor) gets vp9-forwarder.ts's Vp9Forwarder (forwarder-factory.ts picks). The codec is the source's, from
 * the payload type of its packets; when it changes (lib-jitsi-meet switches codecs as participants
 * come and go) the endpoint makes the other forwarder, which continues the receiver's stream.
 * @module
 */
import type { VideoCodec, VideoSource } from './simulcast.ts';

/** Where a receiver's stream stood: the last packet's sequence number and timestamp as it saw them, and when. */
export interface ForwarderState { readonly seq: number; readonly ts: number; readonly at: number }

export interface VideoForwarder {
  readonly codec: VideoCodec;
  readonly source: VideoSource;
  /** The layer being forwarded, an index into `source.choices` (-1: none). */
  readonly current: number;
  /** The encoding (SSRC of `source.layers`) being forwarded (-1: none). */
  readonly currentEncoding: number;
  /** The SSRC of the encoding being forwarded (what the receiver's PLIs and NACKs are about), if any. */
  readonly currentSsrc: number | undefined;
  /** Maps the sender's RTP timestamp of the current encoding to the receiver's (for sender reports). */
  readonly timestampOffset: number;
  /** The tallest video this receiver may get from the source now. */
  setMaxHeight(maxHeight: number): void;
  /** Whether a media packet of encoding `layer` goes to the receiver; if so it was rewritten in place. */
  forward(rtp: Buffer, layer: number, keyframe: boolean, now: number): boolean;
  /** The same for an RTX packet of `layer`. */
  forwardRtx(rtp: Buffer, layer: number): boolean;
  /** The receiver stops getting the source (last-N); it resumes at a keyframe. */
  pause(): void;
  /** The SSRC to ask a keyframe of now, or undefined. */
  keyframeNeeded(now: number): number | undefined;
  /** A cached packet of the current encoding as the receiver knows it, copied into `scratch`; undefined if it is not the receiver's. */
  retransmission(kept: Buffer, scratch: Buffer): Buffer | undefined;
  /** A sequence number the receiver saw, mapped back to the current encoding's (-1: the receiver never had it). */
  originalSeq(seq: number): number;
  /** Where the receiver's stream stands, for a forwarder that takes over (undefined: nothing sent yet). */
  handover(): ForwarderState | undefined;
}
