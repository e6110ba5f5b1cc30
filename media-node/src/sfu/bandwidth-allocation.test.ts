import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { allocateBandwidth } from './bandwidth-allocation.ts';
import { VideoSource } from './simulcast.ts';

/** A simulcast source whose layers are on, with the given keyframe heights and bitrates (kbit/s). */
function source(id: string, layers: Array<[height: number, kbps: number]>): VideoSource {
  const v = new VideoSource(id, `${id}-v0`, layers.map((_, i) => ({ ssrc: 100 * (id.charCodeAt(0)) + i })));
  layers.forEach(([height, kbps], i) => {
    const frame = Buffer.from([0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, height & 0xff, height >> 8]);
    v.onPacket(i, new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: 1, timestamp: 1, ssrc: v.layers[i]!.ssrc }), frame).serialize(), 0);
    v.layers[i]!.bitrate = kbps * 1000;
  });
  return v;
}

describe('bandwidth allocation', () => {
  const stage = source('a', [[180, 150], [360, 500], [720, 1500]]);
  const tile = source('b', [[180, 150], [360, 500], [720, 1500]]);
  const constraints = new Map([[stage, 720], [tile, 180]]);
  const limit = (s: VideoSource) => constraints.get(s) ?? 0;

  it('leaves the constraints alone when everything fits', () => {
    const caps = allocateBandwidth([tile, stage], limit, 3_000_000);
    expect([caps.get(stage), caps.get(tile)]).toEqual([720, 180]);
  });

  it('gives everyone the lowest layer, then upgrades the source on stage as far as the rest of the estimate goes', () => {
    const caps = allocateBandwidth([tile, stage], limit, 1_000_000);
    expect([caps.get(stage), caps.get(tile)]).toEqual([360, 180]);
  });

  it('keeps the lowest layers when even they do not fit, rather than blank tiles', () => {
    const caps = allocateBandwidth([tile, stage], limit, 200_000);
    expect([caps.get(stage), caps.get(tile)]).toEqual([180, 180]);
  });

  it('serves equal constraints in the order given (speaker order) and skips sources nobody wants', () => {
    const first = source('c', [[180, 150], [360, 500]]);
    const second = source('d', [[180, 150], [360, 500]]);
    const caps = allocateBandwidth([first, second, stage], (s) => (s === stage ? 0 : 360), 1_000_000);
    expect([caps.get(first), caps.get(second), caps.has(stage)]).toEqual([360, 180, false]);
  });
});
