import { describe, expect, it } from 'vitest';
import { colibriMedia, offerDescription } from './offer-template.ts';

describe('offer template', () => {
  it('offers VP8, VP9, AV1 and H.264 with RTX in Jicofo\'s numbering (VP8 first), AV1\'s dependency descriptor, and tells the node the same', () => {
    const video = offerDescription('video').payloadTypes;
    expect(video.map((pt) => [pt.id, pt.name, pt.parameters.find((p) => p.name === 'apt')?.value])).toEqual([
      [100, 'VP8', undefined], [101, 'VP9', undefined], [41, 'AV1', undefined], [107, 'H264', undefined], [96, 'rtx', '100'], [97, 'rtx', '101'], [42, 'rtx', '41'], [99, 'rtx', '107'],
    ]);
    expect(offerDescription('video').headerExtensions.find((h) => h.id === 11)?.uri).toBe('https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension');
    expect(video.find((pt) => pt.name === 'VP9')!.rtcpFeedback).toEqual(video.find((pt) => pt.name === 'VP8')!.rtcpFeedback);
    expect(video.find((pt) => pt.name === 'H264')!.parameters.map((p) => `${p.name}=${p.value}`)).toEqual(['profile-level-id=42e01f', 'level-asymmetry-allowed=1', 'packetization-mode=1']);
    expect(colibriMedia().find((m) => m.type === 'video')!.payloadTypes).toEqual(video);
  });
});
