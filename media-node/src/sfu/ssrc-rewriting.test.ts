import { describe, expect, it } from 'vitest';
import { GenericNack, RtcpTransportLayerFeedback, RtpHeader, RtpPacket } from 'werift';
import { SsrcRewriting, SsrcSlots, type RewritableSource, type SlotMapping } from './ssrc-rewriting.ts';

const packet = (ssrc: number, seq: number, ts: number, payload = Buffer.from([1, 2, 3])) =>
  new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: ts, ssrc }), payload).serialize();
const header = (b: Buffer) => RtpPacket.deSerialize(b).header;

function slots(size: number) {
  let next = 1000;
  const remaps: SlotMapping[][] = [];
  const s = new SsrcSlots({ size, nextSsrc: () => next++, onRemap: (m) => remaps.push([...m]) });
  return { s, remaps };
}

describe('SsrcSlots', () => {
  const alice: RewritableSource = { name: 'alice-a0', owner: 'alice', ssrc: 11 };
  const bob: RewritableSource = { name: 'bob-a0', owner: 'bob', ssrc: 22 };
  const carol: RewritableSource = { name: 'carol-a0', owner: 'carol', ssrc: 33 };

  it('puts each source on a slot of its own and announces it once', () => {
    const { s, remaps } = slots(2);
    const a = packet(11, 100, 5000);
    expect(s.rewriteRtp(a, alice)).toBe(true);
    expect(header(a)).toMatchObject({ ssrc: 1000, sequenceNumber: 100, timestamp: 5000 });
    const b = packet(22, 7, 9);
    expect(s.rewriteRtp(b, bob)).toBe(true);
    expect(header(b).ssrc).toBe(1002);
    s.rewriteRtp(packet(11, 101, 5960), alice);
    expect(remaps.map((m) => m.map((x) => [x.source.name, x.ssrc]))).toEqual([[['alice-a0', 1000]], [['bob-a0', 1002]]]);
    expect(s.mappings().map((m) => m.source.owner)).toEqual(['alice', 'bob']);
  });

  it('when full, gives the slot used longest ago to the newcomer, whose numbering continues the slot\'s stream', () => {
    const { s, remaps } = slots(2);
    s.rewriteRtp(packet(11, 100, 5000), alice);
    s.rewriteRtp(packet(22, 40_000, 1), bob);
    const last = packet(11, 101, 5960);
    s.rewriteRtp(last, alice); // alice used last: bob's slot goes
    const c = packet(33, 65_535, 4_294_967_000);
    expect(s.rewriteRtp(c, carol)).toBe(true);
    expect(header(c)).toMatchObject({ ssrc: 1002, sequenceNumber: 40_001, timestamp: 961 });
    const c2 = packet(33, 0, 4_294_967_000 + 960 - 4_294_967_296);
    s.rewriteRtp(c2, carol);
    expect(header(c2)).toMatchObject({ ssrc: 1002, sequenceNumber: 40_002, timestamp: 1921 });
    expect(remaps.at(-1)!.map((m) => [m.source.name, m.ssrc])).toEqual([['carol-a0', 1002]]);
    expect(s.remaps).toBe(1);
    // Bob's packets have no slot now: bob takes the eldest again (alice's), continuing it.
    const b = packet(22, 40_001, 961);
    expect(s.rewriteRtp(b, bob)).toBe(true);
    expect(header(b)).toMatchObject({ ssrc: 1000, sequenceNumber: 102 });
  });

  it('refuses a packet on an SSRC that is not the source\'s', () => {
    const { s } = slots(2);
    expect(s.rewriteRtp(packet(99, 1, 1), alice)).toBe(false);
    expect(s.size).toBe(0);
  });

  it('turns a NACK about a slot back into the source\'s SSRC and numbering, and an SR onto the slot', () => {
    const { s } = slots(1);
    s.rewriteRtp(packet(11, 100, 5000), alice);
    s.rewriteRtp(packet(22, 500, 80_000), bob); // bob takes the only slot: delta 101 - 500
    const nack = new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 7, mediaSourceSsrc: 1000, lost: [101, 103] }) }).serialize();
    expect(s.unmapFeedback(nack)).toBe(true);
    expect(nack.readUInt32BE(8)).toBe(22);
    expect(nack.readUInt16BE(12)).toBe(500);
    const other = new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 7, mediaSourceSsrc: 4242, lost: [1] }) }).serialize();
    expect(s.unmapFeedback(other)).toBe(false);
    const sr = Buffer.alloc(28);
    sr[0] = 0x80; sr[1] = 200; sr.writeUInt32BE(22, 4); sr.writeUInt32BE(80_000, 16);
    expect(s.rewriteSenderReport(sr, 22)).toBe(true);
    expect(sr.readUInt32BE(4)).toBe(1000);
    expect(sr.readUInt32BE(16)).toBe(5960); // 5000 + 960: bob's 80,000 is the slot's 5,960
    expect(s.rewriteSenderReport(Buffer.from(sr), 11)).toBe(false);
  });

  it('sends RTX on the slot\'s second SSRC with the original sequence number in the primary\'s numbering', () => {
    const { s } = slots(1);
    const video: RewritableSource = { name: 'alice-v0', owner: 'alice', ssrc: 11, rtx: 12 };
    s.rewriteRtp(packet(99, 1, 1), { name: 'x', owner: 'x', ssrc: 99 });
    s.rewriteRtp(packet(11, 300, 90_000), video); // takes x's slot: primary delta 2 - 300
    const rtx = packet(12, 7, 90_000, Buffer.from([0x01, 0x2c, 0xaa])); // OSN 300
    expect(s.rewriteRtp(rtx, video)).toBe(true);
    const h = header(rtx);
    expect(h.ssrc).toBe(1001);
    expect(rtx.readUInt16BE(12)).toBe(2);
  });

  it('forgets an owner\'s slots when it leaves, and gives their SSRCs to the next newcomer (the receiver knows them already)', () => {
    const { s, remaps } = slots(4);
    s.rewriteRtp(packet(11, 1, 1), alice);
    s.rewriteRtp(packet(22, 1, 1), bob);
    const last = packet(11, 2, 961);
    s.rewriteRtp(last, alice);
    s.removeOwner('alice');
    expect(s.mappings().map((m) => m.source.owner)).toEqual(['bob']);
    const c = packet(33, 500, 7000);
    s.rewriteRtp(c, carol);
    expect(header(c)).toMatchObject({ ssrc: 1000, sequenceNumber: 3, timestamp: 1921 });
    expect(remaps.at(-1)!.map((m) => [m.source.name, m.ssrc])).toEqual([['carol-a0', 1000]]);
    // Fresh SSRCs only once the freed ones are used.
    s.rewriteRtp(packet(44, 1, 1), { name: 'dave-a0', owner: 'dave', ssrc: 44 });
    expect(remaps.at(-1)![0]!.ssrc).toBe(1004);
  });
});

describe('SsrcRewriting', () => {
  it('announces audio and video slots in JVB\'s AudioSourcesMap / VideoSourcesMap, never on a conference SSRC', () => {
    const sent: unknown[] = [];
    const r = new SsrcRewriting({ audioSlots: 3, videoSlots: 3, send: (m) => sent.push(m), taken: () => false });
    r.audio.rewriteRtp(packet(11, 1, 1), { name: 'alice-a0', owner: 'alice', ssrc: 11 });
    r.video.rewriteRtp(packet(21, 1, 1), { name: 'alice-v0', owner: 'alice', ssrc: 21, rtx: 22, videoType: 'DESKTOP' });
    expect(sent).toEqual([
      { colibriClass: 'AudioSourcesMap', mappedSources: [{ source: 'alice-a0', owner: 'alice', ssrc: expect.any(Number) }] },
      { colibriClass: 'VideoSourcesMap', mappedSources: [{ source: 'alice-v0', owner: 'alice', ssrc: expect.any(Number), rtx: expect.any(Number), videoType: 'DESKTOP' }] },
    ]);
    expect(r.allMappings().map((m) => m.colibriClass)).toEqual(['AudioSourcesMap', 'VideoSourcesMap']);
    const ssrcs = new Set(r.allMappings().flatMap((m) => m.mappedSources.flatMap((x) => ('rtx' in x ? [x.ssrc, x.rtx] : [x.ssrc]))));
    expect(ssrcs.size).toBe(3);
  });
});
