import { describe, expect, it } from 'vitest';
import { colibriMedia, offerDescription } from './offer-template.ts';

describe('offer template', () => {
  it('offers VP8 and VP9 with RTX in Jicofo\'s numbering and order, no codec the node cannot forward, and tells the node the same', () => {
    const video = offerDescription('video').payloadTypes;
    expect(video.map((pt) => [pt.id, pt.name, pt.parameters.find((p) => p.name === 'apt')?.value])).toEqual([
      [100, 'VP8', undefined], [101, 'VP9', undefined], [96, 'rtx', '100'], [97, 'rtx', '101'],
    ]);
    expect(video.find((pt) => pt.name === 'VP9')!.rtcpFeedback).toEqual(video.find((pt) => pt.name === 'VP8')!.rtcpFeedback);
    expect(video.some((pt) => /^(AV1|H264)$/i.test(pt.name))).toBe(false);
    expect(colibriMedia().find((m) => m.type === 'video')!.payloadTypes).toEqual(video);
  });
});
