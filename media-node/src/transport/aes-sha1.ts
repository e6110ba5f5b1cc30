/**
 * AES-128 block encryption (FIPS 197, table-driven) and HMAC-SHA1 (RFC 2104, FIPS 180-4) working
 * on preallocated typed arrays, for the SRTP forwarding path: node:crypto can only hand back new
 * buffers and a new cipher object per packet, which is what this avoids. Slower per byte than
 * OpenSSL, but allocation-free; checked against node:crypto in aes-sha1.test.ts.
 * @module
 */

const SBOX = new Uint8Array(256);
// Int32 tables and words throughout: uint32 values above 2^30 would be boxed as heap numbers
// whenever they cross a call, which is an allocation per block.
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);

{
  // The S-box from the multiplicative inverse in GF(2^8) and the affine map, walking the field
  // with generator 3 (p) and its inverse (q).
  const rotl8 = (x: number, s: number) => ((x << s) | (x >>> (8 - s))) & 0xff;
  let p = 1;
  let q = 1;
  do {
    p = (p ^ ((p << 1) & 0xff) ^ ((p & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if ((q & 0x80) !== 0) q ^= 0x09;
    SBOX[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63;
  } while (p !== 1);
  SBOX[0] = 0x63;
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x]!;
    const s2 = ((s << 1) ^ ((s & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
    const t = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    TE0[x] = t;
    TE1[x] = (t >>> 8) | (t << 24);
    TE2[x] = (t >>> 16) | (t << 16);
    TE3[x] = (t >>> 24) | (t << 8);
  }
}

/** The 44-word AES-128 key schedule. */
export function aesKeySchedule(key: Uint8Array): Int32Array {
  if (key.length !== 16) throw new RangeError('AES-128 needs a 16-byte key');
  const w = new Int32Array(44);
  for (let i = 0; i < 4; i++) w[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
  let rcon = 1;
  for (let i = 4; i < 44; i++) {
    let t = w[i - 1]!;
    if (i % 4 === 0) {
      t = ((SBOX[(t >>> 16) & 0xff]! << 24) | (SBOX[(t >>> 8) & 0xff]! << 16) | (SBOX[t & 0xff]! << 8) | SBOX[t >>> 24]!) ^ (rcon << 24);
      rcon = ((rcon << 1) ^ ((rcon & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
    }
    w[i] = w[i - 4]! ^ t;
  }
  return w;
}

/** Encrypts the block in `input[0..3]` (big-endian words) with key schedule `rk`; the result goes to `out[0..3]`. */
export function aesEncryptBlock(rk: Int32Array, input: Int32Array, out: Int32Array): void {
  let s0 = input[0]! ^ rk[0]!;
  let s1 = input[1]! ^ rk[1]!;
  let s2 = input[2]! ^ rk[2]!;
  let s3 = input[3]! ^ rk[3]!;
  for (let r = 4; r < 40; r += 4) {
    const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ rk[r]!;
    const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ rk[r + 1]!;
    const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ rk[r + 2]!;
    const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ rk[r + 3]!;
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  out[0] = ((SBOX[s0 >>> 24]! << 24) | (SBOX[(s1 >>> 16) & 0xff]! << 16) | (SBOX[(s2 >>> 8) & 0xff]! << 8) | SBOX[s3 & 0xff]!) ^ rk[40]!;
  out[1] = ((SBOX[s1 >>> 24]! << 24) | (SBOX[(s2 >>> 16) & 0xff]! << 16) | (SBOX[(s3 >>> 8) & 0xff]! << 8) | SBOX[s0 & 0xff]!) ^ rk[41]!;
  out[2] = ((SBOX[s2 >>> 24]! << 24) | (SBOX[(s3 >>> 16) & 0xff]! << 16) | (SBOX[(s0 >>> 8) & 0xff]! << 8) | SBOX[s1 & 0xff]!) ^ rk[42]!;
  out[3] = ((SBOX[s3 >>> 24]! << 24) | (SBOX[(s0 >>> 16) & 0xff]! << 16) | (SBOX[(s1 >>> 8) & 0xff]! << 8) | SBOX[s2 & 0xff]!) ^ rk[43]!;
}

const BLOCK = new Int32Array(4);
const KS = new Int32Array(4);

/**
 * AES counter mode in place over `data[start..end)`: block j's input is the four words of `iv`
 * with j added to the last, the counter in its low 16 bits (SRTP's AES-CM, RFC 3711 §4.1.1).
 */
export function aesCtrXor(rk: Int32Array, iv: Int32Array, data: Uint8Array, start: number, end: number): void {
  BLOCK[0] = iv[0]!;
  BLOCK[1] = iv[1]!;
  BLOCK[2] = iv[2]!;
  let j = 0;
  for (let i = start; i < end; i += 16, j++) {
    BLOCK[3] = iv[3]! + j;
    aesEncryptBlock(rk, BLOCK, KS);
    const n = Math.min(16, end - i);
    for (let k = 0; k < n; k++) data[i + k]! ^= (KS[k >> 2]! >>> (24 - 8 * (k & 3))) & 0xff;
  }
}

const W = new Int32Array(80);

/** One SHA-1 compression of the 64 bytes at `data[at..]` into the five-word `state`. */
function sha1Block(state: Int32Array, data: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++, at += 4) W[t] = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!;
  for (let t = 0; t < 80; t++) {
    let f: number;
    let k: number;
    if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
    else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
    else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc | 0; }
    else { f = b ^ c ^ d; k = 0xca62c1d6 | 0; }
    const tmp = (((a << 5) | (a >>> 27)) + f + e + k + W[t]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = tmp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

const SHA1_IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

/** HMAC-SHA1 with a fixed key: the inner and outer states after the padded key are computed once. */
export class HmacSha1 {
  readonly #inner = new Int32Array(5);
  readonly #outer = new Int32Array(5);
  readonly #state = new Int32Array(5);
  readonly #tail = new Uint8Array(128);

  constructor(key: Uint8Array) {
    if (key.length > 64) throw new RangeError('HMAC keys longer than a block are not needed here');
    const pad = new Uint8Array(64);
    for (const [state, byte] of [[this.#inner, 0x36], [this.#outer, 0x5c]] as const) {
      pad.fill(byte);
      for (let i = 0; i < key.length; i++) pad[i] = key[i]! ^ byte;
      state.set(SHA1_IV);
      sha1Block(state, pad, 0);
    }
  }

  /**
   * HMAC of `data[start..end)` followed by the 32-bit big-endian `suffix` (SRTP's ROC), its first
   * `tagLength` bytes written to `out[outAt..]`.
   */
  sign(data: Uint8Array, start: number, end: number, suffix: number, out: Uint8Array, outAt: number, tagLength: number): void {
    const s = this.#state;
    s.set(this.#inner);
    let at = start;
    for (; at + 64 <= end; at += 64) sha1Block(s, data, at);
    const tail = this.#tail;
    let n = 0;
    for (; at < end; at++) tail[n++] = data[at]!;
    tail[n++] = suffix >>> 24; tail[n++] = (suffix >>> 16) & 0xff; tail[n++] = (suffix >>> 8) & 0xff; tail[n++] = suffix & 0xff;
    this.#finish(s, tail, n, 64 + (end - start) + 4);
    // Outer hash: the inner digest, one block.
    for (let i = 0; i < 5; i++) { const v = s[i]!; tail[4 * i] = v >>> 24; tail[4 * i + 1] = (v >>> 16) & 0xff; tail[4 * i + 2] = (v >>> 8) & 0xff; tail[4 * i + 3] = v & 0xff; }
    s.set(this.#outer);
    this.#finish(s, tail, 20, 64 + 20);
    for (let i = 0; i < tagLength; i++) out[outAt + i] = (s[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  }

  /** Pads the last `n` bytes (in `tail`) of a `total`-byte message and compresses them. */
  #finish(s: Int32Array, tail: Uint8Array, n: number, total: number): void {
    tail[n++] = 0x80;
    const blocks = n + 8 <= 64 ? 1 : 2;
    tail.fill(0, n, blocks * 64 - 4);
    const bits = total * 8;
    const end = blocks * 64;
    tail[end - 4] = bits >>> 24; tail[end - 3] = (bits >>> 16) & 0xff; tail[end - 2] = (bits >>> 8) & 0xff; tail[end - 1] = bits & 0xff;
    sha1Block(s, tail, 0);
    if (blocks === 2) sha1Block(s, tail, 64);
  }
}
