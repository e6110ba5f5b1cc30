import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenericNack, PictureLossIndication, RtcpPacketConverter, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, RtpHeader, RtpPacket } from 'werift';
import { parseJingle, parseXml, sourcesFromContents, type Colibri2MediaSource } from '@edgemeet/protocol';
import { ManualClock, type Clock } from '../clock.ts';
import { Faults } from '../faults.ts';
import { createLogger } from '../log.ts';
import { createDtlsIdentity } from '../transport/certificate.ts';
import { UdpMux } from '../transport/udp-mux.ts';
import { SfuConference } from './conference.ts';
import type { SfuEndpoint } from './endpoint.ts';
import { pli } from './rtp.ts';
import { LAYER_TIMEOUT_MS } from './simulcast.ts';
import { VP9_PT, VP9_RTX, VP9_SSRC, Vp9Stream, vp9Fields } from './vp9-test-packets.ts';

/** Runs `fn` with a fresh conference on a loopback UDP socket, closed afterwards. */
async function withConference(fn: (conference: SfuConference) => Promise<void> | void, clock?: Clock): Promise<void> {
  const mux = await UdpMux.bind('127.0.0.1', 0);
  const conference = new SfuConference(`meeting-${Math.random()}`, undefined, { mux, identity: await createDtlsIdentity(), publicIp: '127.0.0.1', log: createLogger('error'), faults: new Faults(createLogger('error')), clock });
  try {
    await fn(conference);
  } finally {
    conference.close();
    await mux.close();
  }
}

describe('pli()', () => {
  it('builds a PLI that an RTCP parser reads back with the media SSRC', () => {
    const [packet] = RtcpPacketConverter.deSerialize(pli(0xdeadbeef));
    expect(packet).toBeInstanceOf(RtcpPayloadSpecificFeedback);
    const feedback = (packet as RtcpPayloadSpecificFeedback).feedback;
    expect(feedback).toBeInstanceOf(PictureLossIndication);
    expect((feedback as PictureLossIndication).mediaSsrc).toBe(0xdeadbeef);
  });
});

describe('SfuConference', () => {
  let mux: UdpMux;
  let conference: SfuConference;
  beforeAll(async () => {
    mux = await UdpMux.bind('127.0.0.1', 0);
    conference = new SfuConference('meeting-1', undefined, { mux, identity: await createDtlsIdentity(), publicIp: '127.0.0.1', log: createLogger('error'), faults: new Faults(createLogger('error')) });
  });
  afterAll(async () => {
    conference.close();
    await mux.close();
  });

  const channel = (ep: SfuEndpoint) => {
    const sent: Array<Record<string, unknown>> = [];
    ep.attachChannel({ send: (text) => sent.push(JSON.parse(text) as Record<string, unknown>), close() {} });
    return sent;
  };

  it('builds simulcast layers from the sources lib-jitsi-meet 2.6726.2 accepted with (regression: every layer was forwarded)', () => {
    const jingle = parseJingle(parseXml(readFileSync(new URL('../../../test/fixtures/stanzas/ljm-2021-session-accept.xml', import.meta.url), 'utf8').trim()));
    const sources = sourcesFromContents(jingle.contents, 'cf30b05c').cf30b05c!;
    const alice = conference.createEndpoint('cf30b05c') as SfuEndpoint;
    const media: Colibri2MediaSource[] = [
      { type: 'audio', id: 'cf30b05c-a0', ...sources.audio }, { type: 'video', id: 'cf30b05c-v0', ...sources.video },
    ];
    alice.setSources(media);
    expect(alice.videoSources).toHaveLength(1);
    expect(alice.videoSources[0]!.layers.map((l) => [l.ssrc, l.rtx])).toEqual([[2508665466, 3177387444], [1385683815, 1482720262], [647545298, 135555940]]);
    // Same SSRCs again (a source-add of audio elsewhere): the layers keep their state.
    const before = alice.videoSources[0];
    alice.setSources([...media]);
    expect(alice.videoSources[0]).toBe(before);
  });

  it('forwards VP9 SVC on the first SSRC of the SIM group today\'s lib-jitsi-meet signals with VP9 (fixture of its session-accept)', async () => {
    await withConference((conference) => {
      const jingle = parseJingle(parseXml(readFileSync(new URL('../../../test/fixtures/stanzas/ljm-current-vp9-session-accept.xml', import.meta.url), 'utf8').trim()));
      const video = jingle.contents.find((c) => c.name === 'video')!.description!;
      expect(video.payloadTypes.map((pt) => [pt.id, pt.name])).toEqual([[101, 'VP9'], [97, 'rtx'], [100, 'VP8'], [96, 'rtx']]);
      const sources = sourcesFromContents(jingle.contents, '7ddbaad9')['7ddbaad9']!;
      const dave = conference.createEndpoint('7ddbaad9') as SfuEndpoint;
      const erin = conference.createEndpoint('erin') as SfuEndpoint;
      dave.setMedia([{ type: 'video', payloadTypes: video.payloadTypes, headerExtensions: video.headerExtensions, extmapAllowMixed: true }]);
      dave.setSources([{ type: 'video', id: '7ddbaad9-v0', ...sources.video }]);
      const source = dave.videoSources[0]!;
      expect(source.layers.map((l) => l.ssrc)).toEqual([3189098014, 1830543941, 914328357]);
      const toErin: Buffer[] = [];
      for (const ep of [dave, erin]) Object.defineProperty(ep.transport, 'state', { get: () => 'connected', configurable: true });
      (erin.transport as unknown as Record<string, unknown>).sendRtp = (b: Buffer) => toErin.push(Buffer.from(b));
      (erin.transport as unknown as Record<string, unknown>).sendRtcp = () => undefined;
      (dave.transport as unknown as Record<string, unknown>).sendRtcp = () => undefined;
      conference.setConstraints(erin, new Map([['7ddbaad9-v0', 180]]), 180);
      // L2T3_KEY as it sent it: two spatial layers, 90 and 180 lines here (the stream helper's heights).
      const s = new Vp9Stream();
      const onFirst = (p: Buffer) => { p.writeUInt32BE(3189098014, 8); return p; };
      for (const p of [...s.next({ key: true, layers: 2 }), ...s.next({ layers: 2 })]) conference.routeRtp(dave, onFirst(p));
      expect(source.codec).toBe('vp9');
      expect(toErin.map(vp9Fields).map((f) => [f.ssrc, f.sid])).toEqual([[3189098014, 0], [3189098014, 0], [3189098014, 1], [3189098014, 1], [3189098014, 1], [3189098014, 1]]);
    });
  });

  it('tells a receiver its last-N selection both as ForwardedSources and as LastNEndpointsChangeEvent (regression: older lib-jitsi-meet never heard)', () => {
    const bob = conference.createEndpoint('bob') as SfuEndpoint;
    bob.setSources([{ type: 'video', id: 'bob-v0', sources: [{ ssrc: 4242 }], groups: [] }]);
    const carol = conference.createEndpoint('carol') as SfuEndpoint;
    const sent = channel(carol);
    conference.setLastN(carol, 1);
    expect(sent.map((m) => m.colibriClass)).toEqual(['ForwardedSources', 'LastNEndpointsChangeEvent']);
    expect(sent[1]!.lastNEndpoints).toHaveLength(1);
    expect(sent[0]!.forwardedSources).toEqual(conference.endpoint((sent[1]!.lastNEndpoints as string[])[0]!)?.sources.filter((s) => s.type === 'video').map((s) => s.id) ?? []);
    conference.setLastN(carol, -1);
    expect(sent.at(-1)).toMatchObject({ colibriClass: 'LastNEndpointsChangeEvent', lastNEndpoints: ['cf30b05c', 'bob'] });
  });

  it('strips every header extension but the audio level from what it forwards (regression: a forwarded mid made Chrome refuse the next source-add)', () => {
    const bob = conference.endpoint('bob')!;
    const packet = new RtpPacket(new RtpHeader({
      payloadType: 100, sequenceNumber: 1, timestamp: 1, ssrc: 4242, extension: true, extensionProfile: 0xbede,
      extensions: [{ id: 10, payload: Buffer.from('1') }, { id: 3, payload: Buffer.from([1, 2, 3]) }],
    }), Buffer.from([0x10, 0x01, 0, 0])).serialize();
    conference.routeRtp(bob, packet);
    expect(RtpPacket.deSerialize(packet).header.extensions).toEqual([]);
    const audio = new RtpPacket(new RtpHeader({
      payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 2393582909, extension: true, extensionProfile: 0xbede,
      extensions: [{ id: 1, payload: Buffer.from([0x85]) }, { id: 10, payload: Buffer.from('0') }],
    }), Buffer.from('opus')).serialize();
    conference.routeRtp(conference.endpoint('cf30b05c')!, audio);
    expect(RtpPacket.deSerialize(audio).header.extensions.map((e) => e.id)).toEqual([1]);
  });
});

describe('sender constraints', () => {
  it('tell a sender the tallest video its receivers want from each source (source-name and endpoint forms), when it changes', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      const sent: Array<Record<string, unknown>> = [];
      alice.attachChannel({ send: (t) => sent.push(JSON.parse(t) as Record<string, unknown>), close() {} });
      alice.setSources([{ type: 'video', id: 'alice-v0', sources: [{ ssrc: 1 }, { ssrc: 2 }, { ssrc: 3 }], groups: [{ semantics: 'SIM', ssrcs: [1, 2, 3] }] }]);
      // Nobody receives yet.
      expect(sent.at(-1)).toEqual({ colibriClass: 'SenderVideoConstraints', videoConstraints: { idealHeight: 0 } });
      const bob = conference.createEndpoint('bob') as SfuEndpoint;
      conference.setConstraints(bob, new Map(), 180);
      expect(sent.slice(-2)).toEqual([
        { colibriClass: 'SenderSourceConstraints', sourceName: 'alice-v0', maxHeight: 180 },
        { colibriClass: 'SenderVideoConstraints', videoConstraints: { idealHeight: 180 } },
      ]);
      const before = sent.length;
      conference.setConstraints(bob, new Map(), 180);
      expect(sent.length).toBe(before);
      // Another receiver wants alice on stage (by endpoint id, as lib-jitsi-meet 2021 says it).
      const carol = conference.createEndpoint('carol') as SfuEndpoint;
      conference.setConstraints(carol, new Map([['alice', 720]]), 180);
      expect(sent.at(-2)).toEqual({ colibriClass: 'SenderSourceConstraints', sourceName: 'alice-v0', maxHeight: 720 });
      conference.expireEndpoint('carol');
      expect(sent.at(-2)).toEqual({ colibriClass: 'SenderSourceConstraints', sourceName: 'alice-v0', maxHeight: 180 });
    });
  });
});

describe('a newly opened bridge channel', () => {
  it('hears who the dominant speaker is now (a stable speaker sends no new event)', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      alice.setSources([{ type: 'audio', id: 'alice-a0', sources: [{ ssrc: 5 }], groups: [] }]);
      const loud = new RtpPacket(new RtpHeader({
        payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 5, extension: true, extensionProfile: 0xbede, extensions: [{ id: 1, payload: Buffer.from([10]) }],
      }), Buffer.from('opus')).serialize();
      for (let i = 0; i < 20; i++) conference.routeRtp(alice, Buffer.from(loud));
      const bob = conference.createEndpoint('bob') as SfuEndpoint;
      const sent: Array<Record<string, unknown>> = [];
      bob.attachChannel({ send: (t) => sent.push(JSON.parse(t) as Record<string, unknown>), close() {} });
      conference.greetChannel(bob);
      expect(sent).toContainEqual(expect.objectContaining({ colibriClass: 'DominantSpeakerEndpointChangeEvent', dominantSpeakerEndpoint: 'alice' }));
    });
  });
});

describe('NACKs', () => {
  it('are answered from the node\'s cache of the layer the receiver gets; only what is not there goes on to the sender', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      const bob = conference.createEndpoint('bob') as SfuEndpoint;
      alice.setSources([{ type: 'video', id: 'alice-v0', sources: [{ ssrc: 101 }, { ssrc: 102 }], groups: [{ semantics: 'SIM', ssrcs: [101, 102] }] }]);
      const toBob: Buffer[] = [];
      const toAlice: Buffer[] = [];
      for (const [ep, sink, kind] of [[bob, toBob, 'sendRtp'], [alice, toAlice, 'sendRtcp']] as const) {
        Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
        (ep.transport as unknown as Record<string, unknown>)[kind] = (b: Buffer) => sink.push(Buffer.from(b));
      }
      (alice.transport as unknown as Record<string, unknown>).sendRtp = () => undefined;
      (bob.transport as unknown as Record<string, unknown>).sendRtcp = () => undefined;
      // Layer 1 (the top one) of alice's camera, starting with a keyframe of 360 lines.
      const vp8 = (seq: number, key: boolean) => {
        const frame = key ? Buffer.from([0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]) : Buffer.from([0x01, 0, 0]);
        return new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 102 }), Buffer.concat([Buffer.from([0x10]), frame])).serialize();
      };
      for (let seq = 500; seq < 510; seq++) conference.routeRtp(alice, vp8(seq, seq === 500));
      expect(toBob.map((p) => RtpPacket.deSerialize(p).header.ssrc)).toEqual(Array(10).fill(101));
      const seen = toBob.map((p) => RtpPacket.deSerialize(p).header.sequenceNumber);
      toBob.length = 0;
      // Bob lost two packets: the node sends them again, as bob knows them (ssrc 101, his sequence numbers).
      const nack = (lost: number[]) => new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 7, mediaSourceSsrc: 101, lost }) }).serialize();
      conference.routeRtcp(bob, nack([seen[3]!, seen[4]!]));
      expect(toBob.map((p) => [RtpPacket.deSerialize(p).header.ssrc, RtpPacket.deSerialize(p).header.sequenceNumber])).toEqual([[101, seen[3]], [101, seen[4]]]);
      expect(toAlice).toEqual([]);
      expect(conference.retransmitted).toBe(2);
      // A packet the node never had goes to the sender, about the layer's own SSRC.
      conference.routeRtcp(bob, nack([(seen[0]! - 50) & 0xffff]));
      expect(toAlice).toHaveLength(1);
      expect(toAlice[0]!.readUInt32BE(8)).toBe(102);
      expect(conference.nacksForwarded).toBe(1);
    });
  });
});

describe('transport-cc feedback', () => {
  it('reports the arrival of every packet a sender numbered (signalled or not) back to that sender, and strips the number before forwarding', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      const bob = conference.createEndpoint('bob') as SfuEndpoint;
      alice.setSources([{ type: 'audio', id: 'alice-a0', sources: [{ ssrc: 77 }], groups: [] }]);
      const toAlice: Buffer[] = [];
      const toBob: Buffer[] = [];
      for (const [ep, sink] of [[alice, toAlice], [bob, toBob]] as const) {
        Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
        Object.defineProperty(ep.transport, 'keyed', { get: () => true });
        (ep.transport as unknown as Record<string, unknown>).sendRtcp = (b: Buffer) => sink.push(Buffer.from(b));
        (ep.transport as unknown as Record<string, unknown>).sendRtp = (b: Buffer) => sink.push(Buffer.from(b));
      }
      const numbered = (ssrc: number, twcc: number) => new RtpPacket(new RtpHeader({
        payloadType: 111, sequenceNumber: twcc, timestamp: 1, ssrc, extension: true, extensionProfile: 0xbede,
        extensions: [{ id: 1, payload: Buffer.from([0x30]) }, { id: 5, payload: Buffer.from([twcc >> 8, twcc & 0xff]) }],
      }), Buffer.from('opus')).serialize();
      conference.routeRtp(alice, numbered(77, 300));
      conference.routeRtp(alice, numbered(78, 301)); // a probe on an SSRC nobody signalled: counted, not forwarded
      conference.routeRtp(alice, numbered(77, 303));
      expect(toBob).toHaveLength(2);
      for (const p of toBob) expect(RtpPacket.deSerialize(p).header.extensions.map((e) => e.id)).toEqual([1]);
      conference.periodic.sendTransportFeedback();
      expect(toBob).toHaveLength(2);
      expect(toAlice).toHaveLength(1);
      const [feedback] = RtcpPacketConverter.deSerialize(toAlice[0]!);
      expect(feedback).toBeInstanceOf(RtcpTransportLayerFeedback);
      const twcc = (feedback as RtcpTransportLayerFeedback).feedback as unknown as { baseSequenceNumber: number; packetStatusCount: number; mediaSourceSsrc: number };
      expect([twcc.baseSequenceNumber, twcc.packetStatusCount, twcc.mediaSourceSsrc]).toEqual([300, 4, 77]);
      conference.periodic.sendTransportFeedback();
      expect(toAlice).toHaveLength(1);
    });
  });
});

describe('bandwidth allocation in the conference', () => {
  it('moves a receiver whose browser estimates less downlink (REMB) than it gets to the layer that fits, and back when the estimate grows or the hold ends', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      const bob = conference.createEndpoint('bob') as SfuEndpoint;
      alice.setSources([{ type: 'video', id: 'alice-v0', sources: [{ ssrc: 201 }, { ssrc: 202 }], groups: [{ semantics: 'SIM', ssrcs: [201, 202] }] }]);
      for (const ep of [alice, bob]) {
        Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
        (ep.transport as unknown as Record<string, unknown>).sendRtp = () => undefined;
        (ep.transport as unknown as Record<string, unknown>).sendRtcp = () => undefined;
      }
      // One second of both layers: 180 lines at ~100 kbit/s, 360 lines at ~800 kbit/s (30 packets each, keyframe first).
      const vp8 = (ssrc: number, seq: number, height: number, bytes: number, key: boolean) => {
        const frame = key ? Buffer.from([0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, height & 0xff, height >> 8]) : Buffer.from([0x01, 0, 0]);
        return new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc }), Buffer.concat([Buffer.from([0x10]), frame, Buffer.alloc(bytes)])).serialize();
      };
      // REMB (draft-alvestrand-rmcat-remb) by hand: werift's serializer ignores a bitrate given this way.
      const remb = (bps: number) => {
        let exp = 0;
        while (bps / 2 ** exp >= 1 << 18) exp++;
        const b = Buffer.alloc(24);
        b[0] = 0x8f; b[1] = 206; b.writeUInt16BE(5, 2); b.writeUInt32BE(9, 4); b.write('REMB', 12, 'latin1');
        b.writeUInt32BE(((1 << 24) | (exp << 18) | Math.floor(bps / 2 ** exp)) >>> 0, 16);
        b.writeUInt32BE(202, 20);
        return b;
      };
      // Each second: both layers, a keyframe first; the allocation runs after it.
      let second = 0;
      const start = performance.now();
      conference.periodic.allocateBandwidth(start);
      const oneSecond = () => {
        for (let i = 0; i < 30; i++) {
          conference.routeRtp(alice, vp8(201, second * 30 + i, 180, 400, i === 0));
          conference.routeRtp(alice, vp8(202, second * 30 + i, 360, 3300, i === 0));
        }
        second++;
        conference.periodic.allocateBandwidth(start + second * 1000);
      };
      const forwarder = () => bob.forwarderOf(alice.videoSources[0]!)!;
      /** The height bob may get now, and the layer he got during the last second. */
      const state = () => [bob.effectiveMaxHeight(alice.videoSources[0]!), forwarder().current];
      oneSecond();
      expect(state()).toEqual([Infinity, 1]);
      // Bob's browser can take less than the ~800 kbit/s it gets: the small layer.
      conference.routeRtcp(bob, remb(300_000));
      expect(bob.downlinkBps).toBe(300_000);
      oneSecond();
      expect(state()).toEqual([180, 1]);
      oneSecond();
      expect(state()).toEqual([180, 0]);
      // Its estimate grows past everything: the cap goes.
      conference.routeRtcp(bob, remb(3_000_000));
      oneSecond();
      oneSecond();
      expect(state()).toEqual([Infinity, 1]);
      // Congested again; an estimate above what then arrives but short of the top layer keeps the cap until the hold ends.
      conference.routeRtcp(bob, remb(200_000));
      oneSecond();
      oneSecond();
      expect(state()).toEqual([180, 0]);
      // The estimate is now above what arrives (~100 kbit/s) but short of the top layer: the cap
      // holds for a while, then is lifted to try the top layer again.
      conference.routeRtcp(bob, remb(250_000));
      const heights: number[] = [];
      for (let i = 0; i < 12; i++) {
        oneSecond();
        heights.push(state()[0]!);
      }
      expect(heights.slice(0, 6)).toEqual(Array(6).fill(180));
      expect(heights).toContain(Infinity);
    });
  });
});

describe('the conference clock', () => {
  it('drives layer expiry: a receiver moves to the layer still sending once the other was quiet for LAYER_TIMEOUT_MS, with no waiting', async () => {
    const clock = new ManualClock(5_000);
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice');
      const bob = conference.createEndpoint('bob');
      alice.setSources([{ type: 'video', id: 'alice-v0', sources: [{ ssrc: 301 }, { ssrc: 302 }], groups: [{ semantics: 'SIM', ssrcs: [301, 302] }] }]);
      for (const ep of [alice, bob]) {
        Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
        (ep.transport as unknown as Record<string, unknown>).sendRtp = () => undefined;
        (ep.transport as unknown as Record<string, unknown>).sendRtcp = () => undefined;
      }
      const vp8 = (ssrc: number, seq: number, height: number, key: boolean) => {
        const frame = key ? Buffer.from([0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, height & 0xff, height >> 8]) : Buffer.from([0x01, 0, 0]);
        return new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc }), Buffer.concat([Buffer.from([0x10]), frame])).serialize();
      };
      const current = () => bob.forwarderOf(alice.videoSources[0]!)?.current;
      conference.routeRtp(alice, vp8(301, 1, 180, true));
      conference.routeRtp(alice, vp8(302, 1, 360, true));
      expect(current()).toBe(1);
      clock.advance(LAYER_TIMEOUT_MS / 2);
      conference.routeRtp(alice, vp8(301, 2, 180, false));
      conference.routeRtp(alice, vp8(302, 2, 360, false));
      expect(current()).toBe(1);
      // The top layer stops; the next keyframe of the small one, past the timeout, is where bob switches.
      clock.advance(LAYER_TIMEOUT_MS + 1);
      conference.routeRtp(alice, vp8(301, 3, 180, true));
      expect(current()).toBe(0);
    }, clock);
  });
});

describe('header-extension ids from Colibri2', () => {
  it('reads the audio level (dominant speaker) and keeps it on forwarded packets by the id the sender\'s media gave, stripping the old default id', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice');
      const bob = conference.createEndpoint('bob');
      alice.setMedia([{ type: 'audio', payloadTypes: [], extmapAllowMixed: true, headerExtensions: [{ id: 7, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' }] }]);
      alice.setSources([{ type: 'audio', id: 'alice-a0', sources: [{ ssrc: 9 }], groups: [] }]);
      const toBob: Buffer[] = [];
      Object.defineProperty(bob.transport, 'state', { get: () => 'connected' });
      (bob.transport as unknown as Record<string, unknown>).sendRtp = (b: Buffer) => toBob.push(Buffer.from(b));
      const loud = () => new RtpPacket(new RtpHeader({
        payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 9, extension: true, extensionProfile: 0xbede,
        extensions: [{ id: 7, payload: Buffer.from([10]) }, { id: 1, payload: Buffer.from([10]) }],
      }), Buffer.from('opus')).serialize();
      for (let i = 0; i < 20; i++) conference.routeRtp(alice, loud());
      expect(conference.speakerOrder[0]).toBe('alice');
      expect(RtpPacket.deSerialize(toBob[0]!).header.extensions.map((e) => e.id)).toEqual([7]);
    });
  });
});

describe('VP9 SVC in the conference', () => {
  it('gives two receivers the spatial layers their constraints ask for from one SSRC, asks the sender for a keyframe for a newcomer, and answers NACKs with the receiver\'s own packets', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      const bob = conference.createEndpoint('bob') as SfuEndpoint;
      const carol = conference.createEndpoint('carol') as SfuEndpoint;
      alice.setMedia([{ type: 'video', extmapAllowMixed: true, headerExtensions: [], payloadTypes: [
        { id: 100, name: 'VP8', clockrate: 90000, parameters: [], rtcpFeedback: [] },
        { id: VP9_PT, name: 'VP9', clockrate: 90000, parameters: [], rtcpFeedback: [] },
      ] }]);
      alice.setSources([{ type: 'video', id: 'alice-v0', sources: [{ ssrc: VP9_SSRC }, { ssrc: VP9_RTX }], groups: [{ semantics: 'FID', ssrcs: [VP9_SSRC, VP9_RTX] }] }]);
      const got = new Map<SfuEndpoint, Buffer[]>([[bob, []], [carol, []]]);
      const toAlice: Buffer[] = [];
      for (const ep of [alice, bob, carol]) {
        Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
        (ep.transport as unknown as Record<string, unknown>).sendRtp = (b: Buffer) => got.get(ep)?.push(Buffer.from(b));
        (ep.transport as unknown as Record<string, unknown>).sendRtcp = (b: Buffer) => { if (ep === alice) toAlice.push(Buffer.from(b)); };
      }
      conference.setConstraints(bob, new Map([['alice-v0', 720]]), 180);
      conference.setConstraints(carol, new Map([['alice-v0', 180]]), 180);
      const s = new Vp9Stream();
      // A delta picture first: nobody can decode it; both ask for a keyframe (one PLI each, for alice's SSRC).
      for (const p of s.next()) conference.routeRtp(alice, p);
      expect(got.get(bob)).toEqual([]);
      expect(toAlice.map((b) => [b[1], b.readUInt32BE(8)])).toEqual([[206, VP9_SSRC], [206, VP9_SSRC]]);
      for (const p of [...s.next({ key: true }), ...s.next(), ...s.next()]) conference.routeRtp(alice, p);
      const bobs = got.get(bob)!.map(vp9Fields);
      const carols = got.get(carol)!.map(vp9Fields);
      expect(bobs.map((f) => f.sid)).toEqual([0, 0, 1, 1, 2, 2, 2, 2, 2, 2]);
      expect(carols.map((f) => f.sid)).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
      expect(carols.map((f) => f.seq)).toEqual(carols.map((_, i) => carols[0]!.seq + i));
      expect(carols.filter((f) => f.marker)).toHaveLength(3);
      // Carol lost her last two packets (S1 of the last picture): sent again from the cache as she knows them.
      got.get(carol)!.length = 0;
      const lost = carols.slice(-2).map((f) => f.seq);
      conference.routeRtcp(carol, new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 7, mediaSourceSsrc: VP9_SSRC, lost }) }).serialize());
      expect(got.get(carol)!.map(vp9Fields).map((f) => [f.seq, f.sid, f.marker])).toEqual([[lost[0], 1, false], [lost[1], 1, true]]);
    });
  });
});

describe('SSRC rewriting (Colibri2 capability ssrc-rewriting)', () => {
  it('a receiver gets audio and video on the node\'s SSRCs, hears which source each carries, and its NACKs and PLIs reach the right stream', async () => {
    await withConference((conference) => {
      const alice = conference.createEndpoint('alice') as SfuEndpoint;
      const bob = conference.createEndpoint('bob', { ssrcRewriting: true }) as SfuEndpoint;
      const carol = conference.createEndpoint('carol') as SfuEndpoint;
      alice.setSources([
        { type: 'audio', id: 'alice-a0', sources: [{ ssrc: 91, name: 'alice-a0' }], groups: [] },
        { type: 'video', id: 'alice-v0', sources: [{ ssrc: 101 }, { ssrc: 102 }], groups: [{ semantics: 'SIM', ssrcs: [101, 102] }] },
      ]);
      const toBob: Buffer[] = [];
      const toCarol: Buffer[] = [];
      const toAlice: Buffer[] = [];
      for (const [ep, sink, kind] of [[bob, toBob, 'sendRtp'], [carol, toCarol, 'sendRtp'], [alice, toAlice, 'sendRtcp']] as const) {
        Object.defineProperty(ep.transport, 'state', { get: () => 'connected' });
        (ep.transport as unknown as Record<string, unknown>)[kind] = (b: Buffer) => sink.push(Buffer.from(b));
      }
      (alice.transport as unknown as Record<string, unknown>).sendRtp = () => undefined;
      for (const ep of [bob, carol]) (ep.transport as unknown as Record<string, unknown>).sendRtcp = () => undefined;
      const channel: Array<Record<string, unknown>> = [];
      bob.attachChannel({ send: (t) => channel.push(JSON.parse(t)), close: () => undefined });

      const vp8 = (seq: number, key: boolean) => {
        const frame = key ? Buffer.from([0x00, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]) : Buffer.from([0x01, 0, 0]);
        return new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 102 }), Buffer.concat([Buffer.from([0x10]), frame])).serialize();
      };
      const opus = (seq: number) => new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 91 }), Buffer.from([0xfc, 1, 2])).serialize();
      for (let seq = 500; seq < 510; seq++) conference.routeRtp(alice, vp8(seq, seq === 500));
      for (let seq = 1; seq <= 3; seq++) conference.routeRtp(alice, opus(seq));

      const videoMap = channel.find((m) => m.colibriClass === 'VideoSourcesMap') as { mappedSources: Array<{ source: string; owner: string; ssrc: number; rtx: number; videoType: string }> };
      const audioMap = channel.find((m) => m.colibriClass === 'AudioSourcesMap') as { mappedSources: Array<{ source: string; owner: string; ssrc: number }> };
      expect(videoMap.mappedSources).toEqual([{ source: 'alice-v0', owner: 'alice', ssrc: expect.any(Number), rtx: expect.any(Number), videoType: 'CAMERA' }]);
      expect(audioMap.mappedSources).toEqual([{ source: 'alice-a0', owner: 'alice', ssrc: expect.any(Number) }]);
      const vSlot = videoMap.mappedSources[0]!.ssrc;
      const aSlot = audioMap.mappedSources[0]!.ssrc;
      for (const s of [vSlot, aSlot]) expect([91, 101, 102]).not.toContain(s);
      const bobHeaders = toBob.map((p) => RtpPacket.deSerialize(p).header);
      expect(bobHeaders.map((h) => h.ssrc)).toEqual([...Array(10).fill(vSlot), aSlot, aSlot, aSlot]);
      // Carol (no rewriting) still gets the signalled SSRCs, from the same buffers.
      expect(toCarol.map((p) => RtpPacket.deSerialize(p).header.ssrc)).toEqual([...Array(10).fill(101), 91, 91, 91]);
      const seen = bobHeaders.slice(0, 10).map((h) => h.sequenceNumber);
      toBob.length = 0;

      // Bob's NACK names the slot: answered from the cache, on the slot, with bob's numbers.
      const nack = new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 7, mediaSourceSsrc: vSlot, lost: [seen[2]!] }) }).serialize();
      conference.routeRtcp(bob, nack);
      expect(toBob.map((p) => [RtpPacket.deSerialize(p).header.ssrc, RtpPacket.deSerialize(p).header.sequenceNumber])).toEqual([[vSlot, seen[2]]]);
      // Bob's PLI on the slot reaches alice about the layer bob gets.
      conference.routeRtcp(bob, pli(vSlot));
      expect(toAlice.map((p) => p.readUInt32BE(8))).toEqual([102]);

      // A bridge channel opened again hears every mapping; alice leaving frees her slots.
      const again: Array<Record<string, unknown>> = [];
      bob.attachChannel({ send: (t) => again.push(JSON.parse(t)), close: () => undefined });
      expect(again.map((m) => m.colibriClass)).toEqual(['AudioSourcesMap', 'VideoSourcesMap']);
      conference.expireEndpoint('alice');
      expect(bob.rewriting!.allMappings()).toEqual([]);
    });
  });
});
