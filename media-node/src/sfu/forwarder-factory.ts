/**
 * Picks the video forwarder for a source's codec (see video-forwarder.ts): VP9 SVC gets the
 * Vp9Forwarder, VP8 the simulcast LayerForwarder.
 * @module
 */
import { LayerForwarder, isSimulcastCodec, type VideoSource } from './simulcast.ts';
import type { ForwarderState, VideoForwarder } from './video-forwarder.ts';
import { Vp9Forwarder } from './vp9-forwarder.ts';

/** The forwarder for `source`'s codec; `from`: the state of the one it replaces. */
export function createVideoForwarder(source: VideoSource, from?: ForwarderState): VideoForwarder {
  return isSimulcastCodec(source.codec) ? new LayerForwarder(source, from, source.codec) : new Vp9Forwarder(source, from, source.codec);
}
