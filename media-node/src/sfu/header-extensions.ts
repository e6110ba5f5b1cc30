/**
 * The RTP header extensions the SFU reads (RFC 8285), by the ids the focus gave them in the
 * endpoint's Colibri2 `<media>` (`<rtp-hdrext id uri/>`, the same ids it offered the browser).
 * With BUNDLE an id means the same extension on every m-line (RFC 8843 §9.2), so one mapping per
 * endpoint serves audio and video. Ids the focus did not send fall back to the ones it has always
 * used (focus/src/jingle/offer-template.ts, Jicofo's numbering).
 * @module
 */
import { HDREXT_AUDIO_LEVEL, HDREXT_AV1_DEPENDENCY_DESCRIPTOR, HDREXT_TRANSPORT_CC, type Colibri2Media } from '@edgemeet/protocol';

export { HDREXT_AUDIO_LEVEL as AUDIO_LEVEL_URI, HDREXT_TRANSPORT_CC as TRANSPORT_CC_URI };

export interface HeaderExtensionIds {
  /** Read for dominant speaker detection; forwarded packets keep it. */
  readonly audioLevel: number;
  /** Read for transport-cc feedback. */
  readonly transportCc: number;
  /** AV1's dependency descriptor: read to select layers; forwarded packets keep it (receivers need it to decode SVC). */
  readonly av1DependencyDescriptor: number;
}

export const DEFAULT_HEADER_EXTENSION_IDS: HeaderExtensionIds = Object.freeze({ audioLevel: 1, transportCc: 5, av1DependencyDescriptor: 11 });

/** The ids in an endpoint's Colibri2 media descriptions, each defaulting when absent. */
export function headerExtensionIds(medias: readonly Colibri2Media[]): HeaderExtensionIds {
  const byUri = new Map<string, number>();
  for (const m of medias) for (const h of m.headerExtensions) if (!byUri.has(h.uri)) byUri.set(h.uri, h.id);
  return Object.freeze({
    audioLevel: byUri.get(HDREXT_AUDIO_LEVEL) ?? DEFAULT_HEADER_EXTENSION_IDS.audioLevel,
    transportCc: byUri.get(HDREXT_TRANSPORT_CC) ?? DEFAULT_HEADER_EXTENSION_IDS.transportCc,
    av1DependencyDescriptor: byUri.get(HDREXT_AV1_DEPENDENCY_DESCRIPTOR) ?? DEFAULT_HEADER_EXTENSION_IDS.av1DependencyDescriptor,
  });
}
