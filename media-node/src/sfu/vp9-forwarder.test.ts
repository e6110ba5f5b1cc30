import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { Vp9Descriptor, readVp9Descriptor, seqOf } from './rtp.ts';
import { LAYER_TIMEOUT_MS, LayerForwarder, VideoSource, chooseLayer } from './simulcast.ts';
import { createVideoForwarder } from './forwarder-factory.ts';
import { Vp9Forwarder } from './vp9-forwarder.ts';
import { VP9_HEIGHTS, VP9_PT, VP9_RTX, VP9_SSRC, Vp9Stream, vp9Fields, vp9Packet } from './vp9-test-packets.ts';

function source(): VideoSource {
  const v = VideoSource.fromColibri('alice', {
    type: 'video', id: 'alice-v0', sources: [{ ssrc: VP9_SSRC }, { ssrc: VP9_RTX }], groups: [{ semantics: 'FID', ssrcs: [VP9_SSRC, VP9_RTX] }],
  });
  if (!v) throw new Error('no source');
  v.vp9PayloadType = VP9_PT;
  return v;
}

/** Runs the packets through the source and each forwarder, as the router does (restoring the original fields in between); what each got. */
function run(v: VideoSource, fws: Vp9Forwarder[], packets: Buffer[], now = 0): Array<Array<ReturnType<typeof vp9Fields>>> {
  const got = fws.map(() => [] as Array<ReturnType<typeof vp9Fields>>);
  for (const p of packets) {
    const key = v.onPacket(0, p, now);
    const original = Buffer.from(p);
    fws.forEach((fw, i) => {
      if (fw.forward(p, 0, key, now)) got[i]!.push(vp9Fields(p));
      original.copy(p);
    });
  }
  return got;
}

const seqs = (got: Array<{ seq: number }>) => got.map((g) => g.seq);
const continuous = (got: Array<{ seq: number }>) => got.every((g, i) => i === 0 || g.seq === ((got[i - 1]!.seq + 1) & 0xffff));

describe('readVp9Descriptor()', () => {
  it('reads picture id, layer indices, TL0PICIDX and the scalability structure (sizes, group of frames)', () => {
    const d = new Vp9Descriptor();
    const p = vp9Packet({ seq: 1, ts: 1, pid: 0x1234, tl0: 77, sid: 0, tid: 0, start: true, end: false, inter: false, ss: [90, 180, 360] });
    expect(readVp9Descriptor(p, d)).toBe(true);
    expect(d).toMatchObject({ pictureId: 0x1234, pictureIdBits: 15, tid: 0, sid: 0, switchingUp: true, interLayer: false, tl0PicIdx: 77, ssLayers: 3, start: true, end: false, interPicture: false });
    expect([...d.ssHeights.subarray(0, 3)]).toEqual([90, 180, 360]);
    expect(d.keyframeStart).toBe(true);
    expect(p.subarray(d.dataAt, d.dataAt + 2)).toEqual(Buffer.from([0xab, 0xab]));
    const delta = vp9Packet({ seq: 2, ts: 1, pid: 5, tl0: 78, sid: 2, tid: 2, start: false, end: true, inter: true, interLayer: true, notRef: true });
    expect(readVp9Descriptor(delta, d)).toBe(true);
    expect(d).toMatchObject({ sid: 2, tid: 2, interLayer: true, notUpperReference: true, ssLayers: 0, end: true, interPicture: true });
    expect(d.keyframeStart).toBe(false);
  });

  it('reads a 7-bit picture id and flexible mode (P_DIFFs, no TL0PICIDX)', () => {
    const d = new Vp9Descriptor();
    // I P L F B E: picture id 0x25, layer indices TID 1 SID 1, two P_DIFFs (N set on the first).
    const payload = Buffer.from([0x80 | 0x40 | 0x20 | 0x10 | 0x08, 0x25, (1 << 5) | (1 << 1), (1 << 1) | 1, 2 << 1, 0xee]);
    const p = new RtpPacket(new RtpHeader({ payloadType: VP9_PT, sequenceNumber: 1, timestamp: 1, ssrc: 1 }), payload).serialize();
    expect(readVp9Descriptor(p, d)).toBe(true);
    expect(d).toMatchObject({ pictureId: 0x25, pictureIdBits: 7, flexible: true, tid: 1, sid: 1, tl0PicIdx: -1 });
    expect(p[d.dataAt]).toBe(0xee);
  });

  it('rejects truncated packets and padding-only ones', () => {
    const d = new Vp9Descriptor();
    const full = vp9Packet({ seq: 1, ts: 1, pid: 1, tl0: 1, sid: 0, start: true, end: true, inter: false, ss: [90, 180, 360], size: 0 });
    expect(readVp9Descriptor(full.subarray(0, full.length - 3), d)).toBe(false);
    const padding = new RtpPacket(new RtpHeader({ payloadType: VP9_PT, sequenceNumber: 1, timestamp: 1, ssrc: 1, padding: true, paddingSize: 4 }), Buffer.alloc(0)).serialize();
    expect(readVp9Descriptor(padding, d)).toBe(false);
  });
});

describe('VideoSource (VP9)', () => {
  it('takes the codec from the payload type and its spatial layers (heights) from the scalability structure', () => {
    const v = source();
    expect(v.codec).toBe('vp8');
    const s = new Vp9Stream();
    for (const p of s.next({ key: true })) v.onPacket(0, p, 0);
    expect(v.codec).toBe('vp9');
    expect(v.choices.map((l) => l.height)).toEqual(VP9_HEIGHTS);
    expect([0, 1, 2].map((i) => v.isChoiceActive(i))).toEqual([true, true, true]);
    expect(chooseLayer(v, 180)).toBe(1);
    expect(chooseLayer(v, 1080)).toBe(2);
    // The sender drops to one spatial layer (a new keyframe with a one-layer structure).
    for (const p of s.next({ key: true, layers: 1 })) v.onPacket(0, p, 10);
    expect(v.choices).toHaveLength(1);
    expect(chooseLayer(v, 1080)).toBe(0);
    v.expireLayers(10 + LAYER_TIMEOUT_MS + 1);
    expect(v.isChoiceActive(0)).toBe(false);
  });

  it('costs a layer at what its receiver gets: k-SVC delta frames need only their own layer, full SVC also the layers below', () => {
    for (const ksvc of [true, false]) {
      const v = source();
      const s = new Vp9Stream();
      for (let i = 0; i < 30; i++) for (const p of s.next({ key: i === 0, ksvc })) v.onPacket(0, p, i * 33);
      v.sampleBitrates(1000);
      const [b0, b1, b2] = v.choices.map((l) => l.bitrate);
      const perLayer = 30 * 2 * vp9Packet({ seq: 1, ts: 1, pid: 1, tl0: 1, sid: 0, start: true, end: true, inter: true }).length * 8;
      // Keyframe bytes aside (one picture of 30), the three layers are the same size here.
      if (ksvc) {
        expect(b2! / perLayer).toBeGreaterThan(0.95);
        expect(b2! / perLayer).toBeLessThan(1.2);
      } else {
        expect(b2! / perLayer).toBeGreaterThan(2.9);
      }
      expect(b0).toBeLessThan(b1!);
    }
  });
});

describe('Vp9Forwarder', () => {
  it('gives each receiver the spatial layer its constraint allows, k-SVC: the keyframe climbs, delta pictures carry only that layer', () => {
    const v = source();
    const stage = new Vp9Forwarder(v);
    const thumb = new Vp9Forwarder(v);
    stage.setMaxHeight(720);
    thumb.setMaxHeight(90);
    const s = new Vp9Stream();
    const [toStage, toThumb] = run(v, [stage, thumb], [...s.next({ key: true }), ...s.next(), ...s.next()]);
    // Keyframe: all three layers to the stage; then S2 only.
    expect(toStage!.map((g) => g.sid)).toEqual([0, 0, 1, 1, 2, 2, 2, 2, 2, 2]);
    expect(toThumb!.map((g) => g.sid)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const got of [toStage!, toThumb!]) {
      expect(continuous(got)).toBe(true);
      expect(got.every((g) => g.ssrc === VP9_SSRC)).toBe(true);
      // The marker ends each picture, on the last packet of the top layer forwarded.
      expect(got.filter((g) => g.marker).length).toBe(3);
      expect(got.filter((g) => g.marker).every((g) => g.end)).toBe(true);
    }
    expect(stage.current).toBe(2);
    expect(thumb.current).toBe(0);
    expect(stage.keyframeNeeded(0)).toBeUndefined();
  });

  it('waits for a keyframe (and asks for one) before switching k-SVC layers, up or down', () => {
    const v = source();
    const fw = new Vp9Forwarder(v);
    fw.setMaxHeight(360);
    const s = new Vp9Stream();
    run(v, [fw], [...s.next({ key: true }), ...s.next()]);
    expect(fw.current).toBe(2);
    fw.setMaxHeight(180);
    let [got] = run(v, [fw], s.next(), 100);
    expect(got!.map((g) => g.sid)).toEqual([2, 2]);
    expect(fw.keyframeNeeded(100)).toBe(VP9_SSRC);
    expect(fw.keyframeNeeded(150)).toBeUndefined();
    [got] = run(v, [fw], [...s.next({ key: true }), ...s.next()], 200);
    expect(got!.map((g) => g.sid)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(fw.current).toBe(1);
    expect(fw.keyframeNeeded(1000)).toBeUndefined();
    // Up again: S2 delta frames cannot be decoded without its keyframe.
    fw.setMaxHeight(360);
    [got] = run(v, [fw], s.next(), 1100);
    expect(got!.map((g) => g.sid)).toEqual([1, 1]);
    expect(fw.keyframeNeeded(1100)).toBe(VP9_SSRC);
  });

  it('full SVC: switches down at once (the lower layer\'s chain is intact), up only at a keyframe', () => {
    const v = source();
    const fw = new Vp9Forwarder(v);
    fw.setMaxHeight(360);
    const s = new Vp9Stream();
    let [got] = run(v, [fw], [...s.next({ key: true, ksvc: false }), ...s.next({ ksvc: false })]);
    expect(got!.map((g) => g.sid)).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
    fw.setMaxHeight(90);
    [got] = run(v, [fw], s.next({ ksvc: false }), 100);
    expect(got!.map((g) => g.sid)).toEqual([0, 0]);
    expect(got!.at(-1)!.marker).toBe(true);
    expect(fw.keyframeNeeded(100)).toBeUndefined();
    fw.setMaxHeight(360);
    [got] = run(v, [fw], s.next({ ksvc: false }), 200);
    expect(got!.map((g) => g.sid)).toEqual([0, 0]);
    expect(fw.keyframeNeeded(200)).toBe(VP9_SSRC);
  });

  it('starts at a keyframe, asking for one; resumes after a pause at a keyframe without a sequence gap', () => {
    const v = source();
    const fw = new Vp9Forwarder(v);
    fw.setMaxHeight(180);
    const s = new Vp9Stream();
    let [got] = run(v, [fw], s.next());
    expect(got).toEqual([]);
    expect(fw.keyframeNeeded(0)).toBe(VP9_SSRC);
    [got] = run(v, [fw], [...s.next({ key: true }), ...s.next()]);
    expect(got!.length).toBe(6);
    const last = got!.at(-1)!.seq;
    fw.pause();
    expect(fw.currentSsrc).toBeUndefined();
    s.next();
    s.next();
    [got] = run(v, [fw], [...s.next(), ...s.next({ key: true })]);
    expect(got![0]!.seq).toBe(last + 1);
    expect(continuous(got!)).toBe(true);
    expect(got!.map((g) => g.sid)).toEqual([0, 0, 1, 1]);
  });

  it('maps NACKed sequence numbers back, resends only the receiver\'s own packets, and rewrites RTX', () => {
    const v = source();
    const fw = new Vp9Forwarder(v);
    fw.setMaxHeight(180);
    const s = new Vp9Stream(60000);
    const packets = [...s.next({ key: true }), ...s.next()];
    const originals = packets.map((p) => Buffer.from(p));
    const [got] = run(v, [fw], packets);
    // Delta picture: S1's two packets, the 9th and 10th sent (after the keyframe's six and S0's two).
    const outS1 = got!.at(-1)!;
    expect(fw.originalSeq(outS1.seq)).toBe(seqOf(originals[9]!));
    expect(fw.originalSeq((outS1.seq + 1) & 0xffff)).toBe(-1);
    const scratch = Buffer.alloc(1500);
    const again = fw.retransmission(originals[9]!, scratch)!;
    expect(vp9Fields(again)).toMatchObject({ seq: outS1.seq, ssrc: VP9_SSRC, marker: true, sid: 1 });
    // A packet of a layer it does not get (S2 of the keyframe) is not the receiver's.
    expect(fw.retransmission(originals[4]!, scratch)).toBeUndefined();
    const rtx = (of: Buffer) => {
      const osn = Buffer.alloc(2);
      osn.writeUInt16BE(seqOf(of));
      const r = RtpPacket.deSerialize(of);
      return new RtpPacket(new RtpHeader({ payloadType: 97, sequenceNumber: 7, timestamp: r.header.timestamp, ssrc: VP9_RTX, marker: r.header.marker }), Buffer.concat([osn, r.payload])).serialize();
    };
    const r1 = rtx(originals[9]!);
    expect(fw.forwardRtx(r1, 0)).toBe(true);
    expect(r1.readUInt16BE(12)).toBe(outS1.seq);
    expect(r1.readUInt32BE(8)).toBe(VP9_RTX);
    expect(fw.forwardRtx(rtx(originals[4]!), 0)).toBe(false);
  });

  it('keeps the place of a packet lost on the way in, fills it when it comes late, and drops late packets of other layers', () => {
    const v = source();
    const fw = new Vp9Forwarder(v);
    fw.setMaxHeight(720);
    const s = new Vp9Stream();
    const key = s.next({ key: true });
    const delta = s.next({ packetsPerLayer: 3 });
    // S2's middle packet of the delta picture and S0's first arrive late.
    const late = delta[7]!;
    const lateS0 = delta[0]!;
    const [got] = run(v, [fw], [...key, ...delta.filter((p) => p !== late && p !== lateS0)]);
    const s2 = got!.filter((g) => g.pid === delta.map(vp9Fields)[6]!.pid);
    expect(s2.map((g) => g.seq)).toEqual([s2[0]!.seq, s2[0]!.seq + 2]);
    const [filled] = run(v, [fw], [late, lateS0]);
    expect(seqs(filled!)).toEqual([s2[0]!.seq + 1]);
  });

  it('takes over from the VP8 forwarder when the sender switches codec, continuing sequence numbers and timestamps', () => {
    const v = source();
    const vp8 = new LayerForwarder(v);
    vp8.setMaxHeight(720);
    const vp8Packet = (seq: number, ts: number, key: boolean) => {
      const frame = key ? Buffer.from([0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]) : Buffer.from([0x01, 0, 0]);
      return new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: ts, ssrc: VP9_SSRC }), Buffer.concat([Buffer.from([0x10]), frame])).serialize();
    };
    let lastSeq = -1;
    let lastTs = -1;
    for (let i = 0; i < 3; i++) {
      const p = vp8Packet(40 + i, 1000 + i * 3000, i === 0);
      if (vp8.forward(p, 0, v.onPacket(0, p, i * 33), i * 33)) [lastSeq, lastTs] = [seqOf(p), p.readUInt32BE(4)];
    }
    expect(v.codec).toBe('vp8');
    const s = new Vp9Stream(30000);
    const first = s.next({ key: true });
    v.onPacket(0, first[0]!, 100);
    expect(v.codec).toBe('vp9');
    const fw = createVideoForwarder(v, vp8.handover());
    expect(fw).toBeInstanceOf(Vp9Forwarder);
    fw.setMaxHeight(720);
    expect(fw.forward(first[0]!, 0, true, 100)).toBe(true);
    expect(seqOf(first[0]!)).toBe(lastSeq + 1);
    expect(first[0]!.readUInt32BE(4)).toBe(lastTs + Math.round((100 - 66) * 90));
  });
});
