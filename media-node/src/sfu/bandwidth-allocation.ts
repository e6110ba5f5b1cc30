/**
 * Per-receiver bandwidth allocation (JVB's BandwidthAllocator, simplified): the video a receiver
 * gets must fit the downlink its browser estimated (its REMB). Sources are served in priority
 * order (the tallest constraint first, i.e. the one on stage, then the order given, which is the
 * speaker order); each first gets its lowest active layer, then, in the same order, the tallest
 * layer its constraint allows that still fits what is left (layers: simulcast encodings, or VP9
 * spatial layers, as {@link VideoSource.choices}). The result is a height cap per source
 * that the layer forwarder applies on top of the receiver's constraints. Pure.
 * @module
 */
import { chooseLayer, type VideoSource } from './simulcast.ts';

/** Part of the estimate given to video: audio and the estimate's own error need room too. */
export const VIDEO_SHARE = 0.85;

/**
 * Height caps for `sources` (in speaker order) so that their layers' bitrates fit `downlinkBps`;
 * `maxHeight(source)` is the receiver's constraint. A source whose constraint is 0 gets nothing;
 * one that fits entirely is capped at its constraint.
 */
export function allocateBandwidth(sources: readonly VideoSource[], maxHeight: (s: VideoSource) => number, downlinkBps: number): Map<VideoSource, number> {
  const caps = new Map<VideoSource, number>();
  const ordered = sources
    .map((source, order) => ({ source, order, limit: maxHeight(source) }))
    .filter((s) => s.limit > 0)
    .sort((a, b) => b.limit - a.limit || a.order - b.order);
  let budget = downlinkBps * VIDEO_SHARE;
  const chosen = new Map<VideoSource, number>();
  // Everyone's lowest layer first: a tile with a small picture beats a blank one.
  for (const { source } of ordered) {
    const lowest = source.choices.findIndex((_, i) => source.isChoiceActive(i));
    if (lowest < 0) continue;
    chosen.set(source, lowest);
    budget -= source.choices[lowest]!.bitrate;
  }
  // Then upgrades in priority order, each to the tallest layer within the constraint that fits.
  for (const { source, limit } of ordered) {
    const base = chosen.get(source);
    if (base === undefined) continue;
    const best = chooseLayer(source, limit);
    let pick = base;
    for (let layer = best; layer > base; layer--) {
      if (!source.isChoiceActive(layer)) continue;
      const extra = source.choices[layer]!.bitrate - source.choices[base]!.bitrate;
      if (extra <= budget) {
        pick = layer;
        budget -= extra;
        break;
      }
    }
    caps.set(source, pick === best ? limit : Math.max(1, source.choices[pick]!.height));
  }
  return caps;
}
