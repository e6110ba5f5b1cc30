import { describe, expect, it } from 'vitest';
import { RtcpHeader, TransportWideCC } from 'werift';
import { TransportFeedback } from './transport-cc.ts';

/** Parses our feedback with werift's (independent) parser: base, count, per-packet received flag and arrival in ms. */
function parse(packet: Buffer) {
  expect(packet.length % 4).toBe(0);
  const header = RtcpHeader.deSerialize(packet);
  expect(header.type).toBe(205);
  expect(header.count).toBe(15);
  expect((header.length + 1) * 4).toBe(packet.length);
  const padding = header.padding ? packet[packet.length - 1]! : 0;
  const fb = TransportWideCC.deSerialize(packet.subarray(4, packet.length - padding), header);
  const symbols = fb.packetChunks.flatMap((c) => ('symbolList' in c ? c.symbolList : [])).slice(0, fb.packetStatusCount);
  let at = fb.referenceTime * 64;
  let d = 0;
  const packets = symbols.map((s, i) => {
    if (s === 0) return { seq: (fb.baseSequenceNumber + i) & 0xffff, received: false, atMs: -1 };
    at += fb.recvDeltas[d++]!.delta / 1000;
    return { seq: (fb.baseSequenceNumber + i) & 0xffff, received: true, atMs: at };
  });
  expect(d).toBe(fb.recvDeltas.length);
  return { fb, packets, padding };
}

describe('transport-wide congestion control feedback', () => {
  it('reports every packet with its arrival time, relative to a 64 ms reference time', () => {
    const t = new TransportFeedback();
    const arrivals: Array<[number, number]> = [[100, 1000], [101, 1001.5], [102, 1003], [103, 1003], [104, 1100]];
    for (const [seq, ms] of arrivals) t.onPacket(seq, ms);
    const [packet, more] = t.build(0x1111, 0x2222);
    expect(more).toBeUndefined();
    const { fb, packets } = parse(packet!);
    expect(fb.senderSsrc).toBe(0x1111);
    expect(fb.mediaSourceSsrc).toBe(0x2222);
    expect(fb.baseSequenceNumber).toBe(100);
    expect(fb.packetStatusCount).toBe(5);
    expect(fb.referenceTime).toBe(Math.floor(1000 / 64));
    expect(packets.map((p) => p.atMs)).toEqual(arrivals.map(([, ms]) => ms));
    // 97 ms after the one before does not fit a one-byte delta (≤ 63.75 ms).
    expect(fb.recvDeltas.map((r) => r.type)).toEqual([1, 1, 1, 1, 2]);
    expect(t.build(1, 2)).toEqual([]);
  });

  it('marks lost packets, takes reordered ones with a negative delta and numbers its feedbacks', () => {
    const t = new TransportFeedback();
    t.onPacket(10, 500);
    t.onPacket(12, 510);
    t.onPacket(13, 512);
    const first = parse(t.build(1, 2)[0]!);
    expect(first.packets.map((p) => p.received)).toEqual([true, false, true, true]);
    t.onPacket(15, 520);
    t.onPacket(14, 521);
    t.onPacket(11, 522); // already reported lost: too late
    const second = parse(t.build(1, 2)[0]!);
    expect(second.fb.baseSequenceNumber).toBe(14);
    expect(second.packets).toEqual([{ seq: 14, received: true, atMs: 521 }, { seq: 15, received: true, atMs: 520 }]);
    expect(second.fb.recvDeltas.map((r) => r.type)).toEqual([1, 2]);
    expect(second.fb.fbPktCount).toBe(first.fb.fbPktCount + 1);
  });

  it('follows the sequence number across its wrap and pads to 32 bits', () => {
    const t = new TransportFeedback();
    for (const [i, seq] of [65534, 65535, 0].entries()) t.onPacket(seq, 2000 + i);
    const { fb, packets, padding } = parse(t.build(1, 2)[0]!);
    expect(fb.baseSequenceNumber).toBe(65534);
    expect(packets.map((p) => p.seq)).toEqual([65534, 65535, 0]);
    // 20 header bytes + 2 chunk bytes + 3 one-byte deltas = 25 → 3 bytes of padding, counted in the last byte.
    expect(padding).toBe(3);
    t.onPacket(1, 2010);
    expect(parse(t.build(1, 2)[0]!).fb.baseSequenceNumber).toBe(1);
  });

  it('splits a long stretch into several feedback packets, losing none', () => {
    const t = new TransportFeedback();
    for (let i = 0; i < 1200; i++) if (i % 100 !== 7) t.onPacket(i, 3000 + i * 0.1);
    const packets = t.build(1, 2).map((p) => parse(p));
    expect(packets.length).toBe(3);
    const all = packets.flatMap((p) => p.packets);
    expect(all.map((p) => p.seq)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(all.filter((p) => !p.received).map((p) => p.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i * 100 + 7));
    for (const p of packets) expect(p.fb.packetChunks.length * 2 + 20).toBeLessThan(1200);
  });
});
