import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, RtpPacket, SrtpSession } from 'werift';
import { SrtpCmContext } from './srtp-cm.ts';

/** Our context for one direction and werift's session (an independent implementation) for the other end. */
function pair() {
  const key = randomBytes(16);
  const salt = randomBytes(14);
  const otherKey = randomBytes(16);
  const otherSalt = randomBytes(14);
  const werift = new SrtpSession({
    profile: ProtectionProfileAes128CmHmacSha1_80,
    keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: otherKey, remoteMasterSalt: otherSalt },
  });
  return { werift, fromWerift: new SrtpCmContext(key, salt), toWerift: new SrtpCmContext(otherKey, otherSalt) };
}

const rtp = (seq: number, ssrc: number, payload: Buffer, extension = false) => new RtpPacket(new RtpHeader({
  payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc, marker: seq % 3 === 0,
  ...(extension ? { extension: true, extensionProfile: 0xbede, extensions: [{ id: 1, payload: Buffer.from([0x85]) }] } : {}),
}), payload).serialize();

describe('SRTP AES_CM_128_HMAC_SHA1_80 without per-packet allocation', () => {
  it('decrypts what werift encrypts and the reverse, across the sequence-number wrap (rollover counter)', () => {
    const { werift, fromWerift, toWerift } = pair();
    const out = Buffer.alloc(1500);
    for (let i = 0; i < 400; i++) {
      const seq = (65_400 + i) & 0xffff;
      const plain = rtp(seq, 0xcafe, randomBytes(1 + ((i * 37) % 1200)), i % 2 === 0);
      // werift → us
      const header = RtpHeader.deSerialize(plain);
      const encrypted = Buffer.from(werift.encrypt(plain.subarray(header.payloadOffset), header));
      const n = fromWerift.unprotect(encrypted);
      expect(n).toBe(plain.length);
      expect(encrypted.subarray(0, n).equals(plain)).toBe(true);
      // us → werift
      const m = toWerift.protect(plain, out);
      expect(m).toBe(plain.length + 10);
      expect(werift.decrypt(out.subarray(0, m)).equals(plain)).toBe(true);
    }
  });

  it('keeps SSRCs apart, takes a late packet from before the wrap, and refuses tampered or truncated packets', () => {
    const { fromWerift } = pair();
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const a = new SrtpCmContext(key, salt);
    const b = new SrtpCmContext(key, salt);
    const out = Buffer.alloc(1500);
    const seal = (plain: Buffer) => Buffer.from(out.subarray(0, a.protect(plain, out)));
    const before = rtp(65_535, 1, Buffer.from('before the wrap'));
    const packets = [rtp(65_534, 1, Buffer.from('x')), rtp(0, 1, Buffer.from('after')), rtp(7, 2, Buffer.from('other ssrc'))].map(seal);
    const late = seal(before);
    for (const p of [...packets, late]) expect(b.unprotect(p)).toBeGreaterThan(0);
    expect(late.subarray(0, before.length).equals(before)).toBe(true);
    const tampered = seal(rtp(1, 1, Buffer.from('payload')));
    tampered[14]! ^= 1;
    expect(b.unprotect(tampered)).toBe(-1);
    expect(b.unprotect(seal(rtp(2, 1, Buffer.from('payload'))).subarray(0, 20))).toBe(-1);
    expect(fromWerift.unprotect(seal(rtp(3, 1, Buffer.from('wrong keys'))))).toBe(-1);
    expect(a.protect(Buffer.from('not rtp at all'), out)).toBe(-1);
    expect(b.unprotect(Buffer.alloc(30))).toBe(-1);
  });
});
