import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha1, aesCtrXor, aesEncryptBlock, aesKeySchedule } from './aes-sha1.ts';

const words = (b: Buffer) => Int32Array.from([0, 4, 8, 12], (i) => b.readInt32BE(i));

describe('AES-128', () => {
  it('matches the FIPS 197 example and OpenSSL on random keys and blocks', () => {
    const out = new Int32Array(4);
    const hex = (w: Int32Array) => [...w].map((x) => (x >>> 0).toString(16).padStart(8, '0')).join('');
    aesEncryptBlock(aesKeySchedule(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex')), words(Buffer.from('00112233445566778899aabbccddeeff', 'hex')), out);
    expect(hex(out)).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    for (let n = 0; n < 50; n++) {
      const key = randomBytes(16);
      const block = randomBytes(16);
      const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
      const expected = words(cipher.update(block));
      aesEncryptBlock(aesKeySchedule(key), words(block), out);
      expect([...out]).toEqual([...expected]);
    }
  });

  it('in counter mode matches OpenSSL\'s AES-CTR for any length', () => {
    for (const length of [0, 1, 15, 16, 17, 100, 1100, 1400]) {
      const key = randomBytes(16);
      const iv = Buffer.concat([randomBytes(14), Buffer.alloc(2)]);
      const data = randomBytes(length);
      const expected = createCipheriv('aes-128-ctr', key, iv).update(data);
      const mine = Buffer.concat([Buffer.from('head'), data]);
      aesCtrXor(aesKeySchedule(key), words(iv), mine, 4, mine.length);
      expect(mine.subarray(4).equals(expected)).toBe(true);
      expect(mine.subarray(0, 4).toString()).toBe('head');
    }
  });
});

describe('HMAC-SHA1', () => {
  it('matches OpenSSL for messages around every block boundary, with the 4-byte suffix', () => {
    const key = randomBytes(20);
    const hmac = new HmacSha1(key);
    const out = Buffer.alloc(12);
    for (let length = 0; length < 200; length++) {
      const data = randomBytes(length + 3);
      const suffix = randomBytes(4);
      hmac.sign(data, 3, data.length, suffix.readUInt32BE(0), out, 2, 10);
      const expected = createHmac('sha1', key).update(data.subarray(3)).update(suffix).digest();
      expect(out.subarray(2).toString('hex'), `length ${length}`).toBe(expected.subarray(0, 10).toString('hex'));
    }
  });
});
