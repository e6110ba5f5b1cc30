/**
 * One receiver's view of one sender's video source, whatever the codec: what the router
 * (forwarding, keyframe requests), the receiver feedback (NACKs, PLIs, SRs mapped to what the
 * receiver knows) and the bandwidth allocator need of it. Today every source is VP8 (simulcast or
 * a single stream) and gets simulcast.ts's {@link LayerForwarder}; H.264 simulcast can reuse it
 * once the source recognises H.264 keyframes. A VP9/AV1 SVC forwarder (layers inside one SSRC,
 * chosen from the payload descriptor or the dependency descriptor) is another implementation,
 * returned here for sources of that codec.
 * @module
 */
import { LayerForwarder, type VideoSource } from './simulcast.ts';

export interface VideoForwarder {
  readonly source: VideoSource;
  /** The layer being forwarded (-1: none). */
  readonly current: number;
  /** The SSRC of the layer being forwarded (what the receiver's PLIs and NACKs are about), if any. */
  readonly currentSsrc: number | undefined;
  /** Maps the sender's RTP timestamp of the current layer to the receiver's (for sender reports). */
  readonly timestampOffset: number;
  /** The tallest video this receiver may get from the source now. */
  setMaxHeight(maxHeight: number): void;
  /** Whether a media packet of `layer` goes to the receiver; if so it was rewritten in place. */
  forward(rtp: Buffer, layer: number, keyframe: boolean, now: number): boolean;
  /** The same for an RTX packet of `layer`. */
  forwardRtx(rtp: Buffer, layer: number): boolean;
  /** The receiver stops getting the source (last-N); it resumes at a keyframe. */
  pause(): void;
  /** The SSRC to ask a keyframe of now, or undefined. */
  keyframeNeeded(now: number): number | undefined;
  /** A cached packet of the current layer as the receiver knows it, copied into `scratch`. */
  retransmission(kept: Buffer, scratch: Buffer): Buffer;
  /** A sequence number the receiver saw, mapped back to the current layer's. */
  originalSeq(seq: number): number;
}

/** The forwarder for `source` (VP8 simulcast, or a single VP8 stream, for now). */
export function createVideoForwarder(source: VideoSource): VideoForwarder {
  return new LayerForwarder(source);
}
