import { describe, expect, it } from 'vitest';
import { GenericNack, RtpHeader, RtpPacket } from 'werift';
import { PacketCache, nackedSequences } from './packet-cache.ts';

const rtp = (seq: number, bytes = 100) => new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 9 }), Buffer.alloc(bytes - 12, seq & 0xff)).serialize();

describe('PacketCache', () => {
  it('gives back a kept packet by sequence number until its slot is reused or it is too old', () => {
    const c = new PacketCache({ slots: 4, maxAgeMs: 1000 });
    c.put(rtp(10), 10, 0);
    expect(c.get(10, 500)).toEqual(rtp(10));
    expect(c.get(11, 500)).toBeUndefined();
    expect(c.get(10, 1500)).toBeUndefined();
    c.put(rtp(14), 14, 600); // same slot as 10
    expect(c.get(10, 700)).toBeUndefined();
    expect(c.get(14, 700)).toEqual(rtp(14));
  });

  it('does not keep packets larger than its MTU', () => {
    const c = new PacketCache({ slots: 4, mtu: 200 });
    c.put(rtp(1, 300), 1, 0);
    expect(c.get(1, 0)).toBeUndefined();
  });
});

describe('nackedSequences()', () => {
  it('reads every PID and the bits of its BLP, across the wrap', () => {
    const nack = new GenericNack({ senderSsrc: 1, mediaSourceSsrc: 2, lost: [65_534, 65_535, 0, 3, 100] }).serialize();
    expect(nackedSequences(nack).sort((a, b) => a - b)).toEqual([0, 3, 100, 65_534, 65_535]);
  });
});
