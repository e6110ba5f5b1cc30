import { describe, expect, it } from 'vitest';
import { RtcpPacketConverter, RtcpRrPacket } from 'werift';
import { ReceptionStats, receiverReport } from './receiver-reports.ts';

describe('receiver reports', () => {
  it('report loss (fraction per interval, cumulative), the extended highest sequence across a wrap, jitter and LSR/DLSR', () => {
    const s = new ReceptionStats(0xabc, 90_000);
    // 100 packets from 65500, wrapping past 65535, every 10th lost, arriving unevenly.
    let t = 0;
    for (let i = 0; i < 100; i++) {
      t += 33 + (i % 3) * 5;
      if (i % 10 === 9) continue;
      s.onPacket((65_500 + i) % 65_536, i * 2970, t);
    }
    s.onSenderReport(0x12345678, 1000);
    const [rr] = RtcpPacketConverter.deSerialize(receiverReport(0x999, [s], 1500)!) as RtcpRrPacket[];
    expect(rr).toBeInstanceOf(RtcpRrPacket);
    expect(rr!.ssrc).toBe(0x999);
    const block = rr!.reports[0]!;
    expect(block.ssrc).toBe(0xabc);
    // The last packet received is i = 98: sequence 62 after one wrap.
    expect(block.highestSequence).toBe(65_536 + 62);
    expect(block.packetsLost).toBe(9);
    expect(block.fractionLost).toBe(Math.floor((9 << 8) / 99));
    expect(block.jitter).toBeGreaterThan(0);
    expect(block.lsr).toBe(0x12345678);
    expect(block.dlsr).toBe(Math.round(0.5 * 65536));
    // Next interval: packets 100..109 arrive, so i = 99 is now known lost (1 of 11 expected).
    for (let i = 100; i < 110; i++) s.onPacket((65_500 + i) % 65_536, i * 2970, (t += 33));
    const [next] = RtcpPacketConverter.deSerialize(receiverReport(0x999, [s], 2000)!) as RtcpRrPacket[];
    expect(next!.reports[0]).toMatchObject({ fractionLost: Math.floor(256 / 11), packetsLost: 10 });
    // And an interval with nothing lost reports 0.
    for (let i = 110; i < 120; i++) s.onPacket((65_500 + i) % 65_536, i * 2970, (t += 33));
    const [third] = RtcpPacketConverter.deSerialize(receiverReport(0x999, [s], 2500)!) as RtcpRrPacket[];
    expect(third!.reports[0]).toMatchObject({ fractionLost: 0, packetsLost: 10 });
  });

  it('has nothing to report before the first packet', () => {
    expect(receiverReport(1, [new ReceptionStats(2, 48_000)], 0)).toBeNull();
  });
});
