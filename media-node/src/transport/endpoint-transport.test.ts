import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { Faults } from '../faults.ts';
import { createLogger } from '../log.ts';
import { createDtlsIdentity, type DtlsIdentity } from './certificate.ts';
import { EndpointTransport } from './endpoint-transport.ts';
import { UdpMux } from './udp-mux.ts';

/** The offer the focus would make from our Colibri2 answer (one audio m-line, bridge ICE-lite). */
function offerFor(t: EndpointTransport, forwardSsrc: number, lite = true): string {
  const p = t.localParameters();
  const c = p.candidates[0]!;
  return [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', ...(lite ? ['a=ice-lite'] : []), 'a=msid-semantic: WMS *',
    `m=audio ${c.port} UDP/TLS/RTP/SAVPF 111`, 'c=IN IP4 127.0.0.1', 'a=mid:0', 'a=sendrecv',
    `a=ice-ufrag:${p.ufrag}`, `a=ice-pwd:${p.pwd}`, `a=fingerprint:sha-256 ${p.fingerprint.value}`, 'a=setup:actpass', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.ip} ${c.port} typ host generation 0`,
    `a=ssrc:${forwardSsrc} cname:bridge`, `a=ssrc:${forwardSsrc} msid:bridge audio-${forwardSsrc}`, '',
  ].join('\r\n');
}

const loopbackOnly = {
  iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' }, bundlePolicy: 'max-bundle' as const,
};

async function client(t: EndpointTransport, forwardSsrc: number, lite = true) {
  const pc = new RTCPeerConnection(loopbackOnly);
  const received: number[] = [];
  pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp.header.ssrc)));
  await pc.setRemoteDescription({ type: 'offer', sdp: offerFor(t, forwardSsrc, lite) });
  const track = new MediaStreamTrack({ kind: 'audio' });
  const transceiver = pc.getTransceivers()[0]!;
  transceiver.setDirection('sendrecv');
  await transceiver.sender.replaceTrack(track);
  await pc.setLocalDescription(await pc.createAnswer());
  const fp = /a=fingerprint:sha-256 ([0-9A-Fa-f:]+)/.exec(pc.localDescription!.sdp)?.[1];
  if (!fp) throw new Error('no fingerprint in answer');
  const ufrag = /a=ice-ufrag:(\S+)/.exec(pc.localDescription!.sdp)?.[1] ?? '';
  const pwd = /a=ice-pwd:(\S+)/.exec(pc.localDescription!.sdp)?.[1] ?? '';
  return { pc, track, received, fingerprint: fp, ufrag, pwd };
}

function opusPacket(seq: number): RtpPacket {
  return new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 1, marker: false }), Buffer.alloc(60, seq));
}

describe('EndpointTransport on one shared UDP port', () => {
  let mux: UdpMux;
  let identity: DtlsIdentity;
  beforeAll(async () => {
    mux = await UdpMux.bind('127.0.0.1', 0);
    identity = await createDtlsIdentity();
  });
  afterAll(async () => {
    await mux?.close();
  });

  it.each(['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as const)('two werift peers do ICE + DTLS-SRTP (%s) with one mux port; RTP from A, forwarded, decrypts at B', async (profile) => {
    const a = new EndpointTransport({ mux, identity, srtpProfiles: [profile] });
    const b = new EndpointTransport({ mux, identity, srtpProfiles: [profile] });
    const ca = await client(a, 4001);
    const cb = await client(b, 4002);
    a.setRemoteFingerprint('sha-256', ca.fingerprint);
    b.setRemoteFingerprint('sha-256', cb.fingerprint);
    await Promise.all([a, b].map((t) => new Promise<void>((resolve) => {
      if (t.state === 'connected') resolve();
      else t.onConnected.once(() => resolve());
    })));
    // The smallest forwarding loop: A's packets go to B with the SSRC B was told about.
    let fromA = 0;
    a.onRtp = (rtp) => {
      fromA += 1;
      const copy = Buffer.from(rtp);
      copy.writeUInt32BE(4002, 8);
      b.sendRtp(copy);
    };
    // Garbage on the shared port must not disturb anyone.
    const junk = createSocket('udp4');
    junk.send(Buffer.from('not a stun, dtls or rtp packet'), mux.address.port, '127.0.0.1');
    junk.send(Buffer.from([0x00, 0x01, 0x00, 0x00, 1, 2, 3]), mux.address.port, '127.0.0.1');
    for (let seq = 1; seq <= 50; seq++) {
      ca.track.writeRtp(opusPacket(seq));
      await new Promise((r) => setTimeout(r, 5));
    }
    await expect.poll(() => cb.received.length, { timeout: 5000 }).toBeGreaterThan(10);
    expect(fromA).toBeGreaterThan(10);
    expect(new Set(cb.received)).toEqual(new Set([4002]));
    expect([a.srtpProfile, b.srtpProfile]).toEqual([profile, profile]);
    expect(mux.counters.dropped).toBeGreaterThanOrEqual(2);
    junk.close();
    await Promise.all([ca.pc.close(), cb.pc.close()]);
    a.close();
    b.close();
    a.close();
  });

  it('a client that is not told ice-lite (as in Jingle) stays controlled; our nominating check completes ICE', async () => {
    const t = new EndpointTransport({ mux, identity });
    const c = await client(t, 6001, false);
    t.setRemoteFingerprint('sha-256', c.fingerprint);
    t.setRemoteIce(c.ufrag, c.pwd);
    await expect.poll(() => t.state, { timeout: 10_000 }).toBe('connected');
    await c.pc.close();
    t.close();
  });

  it('a controlled client whose checks all came before its ICE credentials reached the node still gets nominated (the credentials travel with session-accept)', async () => {
    const t = new EndpointTransport({ mux, identity });
    const c = await client(t, 6002, false);
    // The client checks and waits for a nomination; the node cannot send one without its credentials.
    await expect.poll(() => t.state, { timeout: 5_000 }).toBe('checking');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(t.state).toBe('checking');
    t.setRemoteFingerprint('sha-256', c.fingerprint);
    t.setRemoteIce(c.ufrag, c.pwd);
    await expect.poll(() => t.state, { timeout: 3_000 }).toBe('connected');
    await c.pc.close();
    t.close();
  }, 15_000);

  it('a fingerprint that arrives after the DTLS handshake is checked then (the Jingle → focus → Colibri2 race)', async () => {
    const t = new EndpointTransport({ mux, identity });
    const c = await client(t, 7001);
    const seen: Array<{ seq: number; at: number }> = [];
    t.onRtp = (rtp) => seen.push({ seq: rtp.readUInt16BE(2), at: t.arrivalMs });
    // The handshake can finish, but the transport must not count as connected without a verified fingerprint.
    await new Promise((r) => setTimeout(r, 1000));
    const sentAt = performance.now();
    for (let seq = 1; seq <= 5; seq++) c.track.writeRtp(opusPacket(seq));
    await new Promise((r) => setTimeout(r, 500));
    expect(t.state).toBe('checking');
    expect(seen).toEqual([]);
    t.setRemoteFingerprint('sha-256', c.fingerprint);
    await expect.poll(() => t.state, { timeout: 5000 }).toBe('connected');
    // What arrived meanwhile is handed on once verified, with the time it arrived (for transport-cc).
    expect(seen.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const p of seen) expect(p.at - sentAt).toBeLessThan(400);
    await c.pc.close();
    t.close();
  });

  it('a late fingerprint that does not match fails the endpoint', async () => {
    const t = new EndpointTransport({ mux, identity });
    const c = await client(t, 7002);
    await new Promise((r) => setTimeout(r, 1500));
    t.setRemoteFingerprint('sha-256', '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF');
    await expect.poll(() => t.state, { timeout: 5000 }).toBe('failed');
    expect(t.failureReason).toBe('fingerprint mismatch');
    await c.pc.close();
    t.close();
  });

  it('a DTLS client whose certificate does not match the signalled fingerprint fails only its endpoint', async () => {
    const good = new EndpointTransport({ mux, identity });
    const bad = new EndpointTransport({ mux, identity });
    const cg = await client(good, 5001);
    const cbad = await client(bad, 5002);
    good.setRemoteFingerprint('sha-256', cg.fingerprint);
    bad.setRemoteFingerprint('sha-256', '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF');
    await expect.poll(() => [good.state, bad.state], { timeout: 10_000 }).toEqual(['connected', 'failed']);
    await Promise.all([cg.pc.close(), cbad.pc.close()]);
    good.close();
    bad.close();
  });

  it('a routing exception is reported and counted as a fault, not dropped as bad SRTP; forged SRTP is only counted', async () => {
    const faults = new Faults(createLogger('error'));
    const t = new EndpointTransport({ mux, identity, faults });
    const c = await client(t, 8001);
    t.setRemoteFingerprint('sha-256', c.fingerprint);
    await expect.poll(() => t.state, { timeout: 10_000 }).toBe('connected');
    let calls = 0;
    t.onRtp = () => {
      calls += 1;
      throw new TypeError('routing bug');
    };
    for (let seq = 1; seq <= 5; seq++) c.track.writeRtp(opusPacket(seq));
    await expect.poll(() => faults.counts().routing, { timeout: 5000 }).toBe(5);
    expect(calls).toBe(5);
    const before = faults.rejected().srtp;
    // An SRTP packet with a wrong tag, from the client's own address: refused by authentication, counted.
    t.datagram(Buffer.from([0x80, 111, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, ...new Array(40).fill(7)]), 'media');
    expect(faults.rejected().srtp).toBe(before + 1);
    expect(faults.counts().routing).toBe(5);
    await c.pc.close();
    t.close();
  });

  it('setRemoteFingerprint() takes every RFC 8122 hash the protocol admits and refuses others with TypeError', () => {
    const t = new EndpointTransport({ mux, identity });
    for (const hash of ['sha-1', 'SHA-224', 'sha-256', 'sha-384', 'sha-512']) expect(() => t.setRemoteFingerprint(hash, 'AA:BB')).not.toThrow();
    for (const hash of ['zzz', 'md5', 'constructor', '__proto__']) expect(() => t.setRemoteFingerprint(hash, 'AA:BB')).toThrow(TypeError);
    t.close();
  });
});
