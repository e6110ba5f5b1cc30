import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { seqOf, ssrcOf, timestampOf } from './rtp.ts';
import { LAYER_TIMEOUT_MS, LayerForwarder, VideoSource, chooseLayer } from './simulcast.ts';

const SIM = [101, 102, 103];
const RTX = [201, 202, 203];
const HEIGHTS = [180, 360, 720];

function source(): VideoSource {
  const v = VideoSource.fromColibri('alice', {
    type: 'video', id: 'alice-v0',
    sources: [...SIM, ...RTX].map((ssrc) => ({ ssrc })),
    groups: [{ semantics: 'SIM', ssrcs: SIM }, ...SIM.map((s, i) => ({ semantics: 'FID', ssrcs: [s, RTX[i]!] }))],
  });
  if (!v) throw new Error('no source');
  return v;
}

/** A VP8 packet of `layer`: keyframes carry the layer's height in their frame header. */
function vp8(layer: number, seq: number, ts: number, keyframe: boolean): Buffer {
  const frame = keyframe ? Buffer.from([0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0, 0]) : Buffer.from([0x01, 0, 0]);
  if (keyframe) frame.writeUInt16LE(HEIGHTS[layer]!, 8);
  const payload = Buffer.concat([Buffer.from([0x10]), frame]);
  return new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: ts, ssrc: SIM[layer]! }), payload).serialize();
}

/** Sends every layer's packet `n` through the source and a forwarder; returns what the receiver got. */
function tick(v: VideoSource, fw: LayerForwarder, n: number, now: number, keyframes: number[] = []) {
  const out: Array<{ ssrc: number; seq: number; ts: number; layer: number }> = [];
  for (let layer = 0; layer < 3; layer++) {
    const p = vp8(layer, 1000 * (layer + 1) + n, 90_000 * (layer + 1) + n * 3000, keyframes.includes(layer));
    const key = v.onPacket(layer, p, now);
    if (fw.forward(p, layer, key, now)) out.push({ ssrc: ssrcOf(p), seq: seqOf(p), ts: timestampOf(p), layer });
  }
  return out;
}

describe('VideoSource', () => {
  it('fromColibri() orders layers as the SIM group and pairs each with its RTX SSRC; a plain source has one layer', () => {
    const v = source();
    expect(v.layers.map((l) => [l.ssrc, l.rtx])).toEqual([[101, 201], [102, 202], [103, 203]]);
    expect([...v.refs()].find(([ssrc]) => ssrc === 202)?.[1]).toMatchObject({ layer: 1, rtx: true });
    const plain = VideoSource.fromColibri('bob', { type: 'video', id: 'bob-v0', sources: [{ ssrc: 7 }, { ssrc: 8 }], groups: [{ semantics: 'FID', ssrcs: [7, 8] }] });
    expect(plain?.layers.map((l) => [l.ssrc, l.rtx])).toEqual([[7, 8]]);
  });

  it('learns heights from keyframes and turns layers off when they go quiet', () => {
    const v = source();
    v.onPacket(2, vp8(2, 1, 1, true), 0);
    expect(v.layers[2]!.height).toBe(720);
    expect(v.isActive(2)).toBe(true);
    v.expireLayers(LAYER_TIMEOUT_MS + 1);
    expect(v.isActive(2)).toBe(false);
  });
});

describe('chooseLayer()', () => {
  it('picks the highest active layer that fits, else the lowest active one, none for 0', () => {
    const v = source();
    for (let l = 0; l < 3; l++) v.onPacket(l, vp8(l, 1, 1, true), 0);
    expect(chooseLayer(v, Infinity)).toBe(2);
    expect(chooseLayer(v, 360)).toBe(1);
    expect(chooseLayer(v, 200)).toBe(0);
    expect(chooseLayer(v, 90)).toBe(0);
    expect(chooseLayer(v, 0)).toBe(-1);
    v.expireLayers(5000);
    v.onPacket(0, vp8(0, 2, 2, false), 5000);
    expect(chooseLayer(v, Infinity)).toBe(0);
  });
});

describe('LayerForwarder', () => {
  it('starts at a keyframe of the chosen layer, rewrites it onto the first SSRC, asks for keyframes while it waits', () => {
    const v = source();
    const fw = new LayerForwarder(v);
    fw.setMaxHeight(360);
    expect(tick(v, fw, 0, 0)).toEqual([]);
    // Heights unknown yet: every layer fits, the top one is wanted first.
    expect(fw.keyframeNeeded(0)).toBe(103);
    expect(fw.keyframeNeeded(100)).toBeUndefined(); // rate-limited
    // Keyframes reveal the heights; 720 does not fit, 360 does.
    expect(tick(v, fw, 1, 20, [0, 2])).toEqual([]);
    expect(fw.target).toBe(1);
    const out = tick(v, fw, 2, 40, [1]);
    expect(out).toEqual([{ ssrc: 101, seq: 2002, ts: 180_000 + 6000, layer: 1 }]);
    expect(tick(v, fw, 3, 60)).toEqual([{ ssrc: 101, seq: 2003, ts: 180_000 + 9000, layer: 1 }]);
    expect(fw.keyframeNeeded(500)).toBeUndefined();
  });

  it('switches layers only at a keyframe, with no gap in sequence numbers and time moving on', () => {
    const v = source();
    const fw = new LayerForwarder(v);
    fw.setMaxHeight(180);
    tick(v, fw, 0, 0, [0, 1, 2]);
    expect(fw.current).toBe(0);
    const before = tick(v, fw, 1, 20);
    fw.setMaxHeight(720);
    // Until layer 2 sends a keyframe, layer 0 keeps flowing.
    const waiting = tick(v, fw, 2, 40);
    expect(waiting.map((p) => p.layer)).toEqual([0]);
    expect(fw.keyframeNeeded(40)).toBe(103);
    const switched = tick(v, fw, 3, 60, [2]);
    expect(switched.map((p) => p.layer)).toEqual([0, 2]);
    const last0 = switched[0]!;
    const first2 = switched[1]!;
    expect(first2.ssrc).toBe(101);
    expect(first2.seq).toBe((last0.seq + 1) & 0xffff);
    expect(first2.ts).toBeGreaterThan(last0.ts);
    expect(tick(v, fw, 4, 80)).toEqual([{ ssrc: 101, seq: first2.seq + 1, ts: first2.ts + 3000, layer: 2 }]);
    expect(before[0]!.seq + 1).toBe(waiting[0]!.seq);
  });

  it('a paused forwarder resumes at a keyframe, continuing the sequence; maxHeight 0 forwards nothing', () => {
    const v = source();
    const fw = new LayerForwarder(v);
    tick(v, fw, 0, 0, [0, 1, 2]);
    const last = tick(v, fw, 1, 20)[0]!;
    fw.pause();
    expect(tick(v, fw, 2, 40)).toEqual([]);
    const resumed = tick(v, fw, 3, 60, [2])[0]!;
    expect(resumed.seq).toBe(last.seq + 1);
    fw.setMaxHeight(0);
    expect(tick(v, fw, 4, 80, [0, 1, 2])).toEqual([]);
    expect(fw.keyframeNeeded(1000)).toBeUndefined();
  });

  it('forwardRtx() sends only the current layer\'s retransmissions, on the first RTX SSRC with the original sequence number mapped', () => {
    const v = source();
    const fw = new LayerForwarder(v);
    fw.setMaxHeight(180);
    tick(v, fw, 0, 0, [0, 1, 2]);
    const rtx = (layer: number, osn: number) => {
      const payload = Buffer.alloc(6);
      payload.writeUInt16BE(osn, 0);
      return new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: 9, timestamp: 90_000, ssrc: RTX[layer]! }), payload).serialize();
    };
    expect(fw.forwardRtx(rtx(1, 2000), 1)).toBe(false);
    const p = rtx(0, 1000);
    expect(fw.forwardRtx(p, 0)).toBe(true);
    expect(ssrcOf(p)).toBe(201);
    expect(p.readUInt16BE(12)).toBe(1000);
    expect(fw.originalSeq(1000)).toBe(1000);
  });
});
