/**
 * SRTP with AES_CM_128_HMAC_SHA1_80 (RFC 3711) for RTP, one direction per instance, without
 * allocating per packet: `protect` writes into a buffer the caller owns, `unprotect` decrypts in
 * place. Session keys come from the DTLS-exported master key and salt (§4.3, key derivation rate
 * 0). The rollover counter is tracked per SSRC with the index estimate of §3.3.1, on both sides.
 * No replay list: a replayed packet is forwarded again, as werift's SRTP (used before) did too.
 * RTCP stays with werift's SRTCP: it is not on the per-packet path.
 * @module
 */
import { HmacSha1, aesCtrXor, aesKeySchedule } from './aes-sha1.ts';

/** The authentication tag an SRTP packet carries after its payload (80 bits). */
export const TAG_BYTES = 10;
const MAX_SEQ_DISTANCE = 0x8000;
const SSRC_SLOTS = 32;

/** Rollover counter and highest sequence number of one SSRC. */
interface Rollover { roc: number; highest: number }

/** The session key, authentication key and salt for RTP (labels 0, 1, 2) from a master key and salt. */
function deriveRtpKeys(masterKey: Uint8Array, masterSalt: Uint8Array): { key: Uint8Array; auth: Uint8Array; salt: Uint8Array } {
  if (masterKey.length !== 16 || masterSalt.length !== 14) throw new RangeError('AES_CM_128 needs a 16-byte master key and a 14-byte master salt');
  const rk = aesKeySchedule(masterKey);
  const derive = (label: number, length: number) => {
    const x = new Uint8Array(16);
    x.set(masterSalt);
    x[7]! ^= label;
    const word = (i: number) => (x[i]! << 24) | (x[i + 1]! << 16) | (x[i + 2]! << 8) | x[i + 3]!;
    const out = new Uint8Array(length);
    aesCtrXor(rk, Int32Array.of(word(0), word(4), word(8), word(12)), out, 0, length);
    return out;
  };
  return { key: derive(0, 16), auth: derive(1, 20), salt: derive(2, 14) };
}

/** Length of an RTP header (fixed part, CSRCs, extension) within `length` bytes, or -1. */
function headerLength(rtp: Uint8Array, length: number): number {
  if (length < 12 || rtp[0]! >> 6 !== 2) return -1;
  let at = 12 + (rtp[0]! & 0x0f) * 4;
  if ((rtp[0]! & 0x10) !== 0) {
    if (length < at + 4) return -1;
    at += 4 + ((rtp[at + 2]! << 8) | rtp[at + 3]!) * 4;
  }
  return at <= length ? at : -1;
}

export class SrtpCmContext {
  readonly #rk: Int32Array;
  readonly #hmac: HmacSha1;
  readonly #salt: Int32Array;
  /** Rollover state per SSRC: a short list searched in order (a Map lookup would box SSRCs above 2^30), then a Map. */
  readonly #ssrcs = new Int32Array(SSRC_SLOTS);
  readonly #states: Rollover[] = [];
  readonly #more = new Map<number, Rollover>();
  readonly #tag = new Uint8Array(TAG_BYTES);
  readonly #iv = new Int32Array(4);

  constructor(masterKey: Uint8Array, masterSalt: Uint8Array) {
    const k = deriveRtpKeys(masterKey, masterSalt);
    this.#rk = aesKeySchedule(k.key);
    this.#hmac = new HmacSha1(k.auth);
    const s = k.salt;
    this.#salt = Int32Array.of((s[0]! << 24) | (s[1]! << 16) | (s[2]! << 8) | s[3]!, (s[4]! << 24) | (s[5]! << 16) | (s[6]! << 8) | s[7]!,
      (s[8]! << 24) | (s[9]! << 16) | (s[10]! << 8) | s[11]!, (s[12]! << 24) | (s[13]! << 16));
  }

  /** The SRTP packet for plain RTP `rtp`, written to `out` (at least rtp.length + 10 bytes); its length, or -1 if `rtp` is not RTP. */
  protect(rtp: Uint8Array, out: Uint8Array): number {
    const length = rtp.length;
    const header = headerLength(rtp, length);
    if (header < 0 || out.length < length + TAG_BYTES) return -1;
    out.set(rtp);
    const ssrc = this.#ssrc(out);
    const seq = (out[2]! << 8) | out[3]!;
    const state = this.#rollover(ssrc, seq);
    const roc = this.#estimate(state, seq);
    // Older than the first packet of this SSRC, across a wrap: the receiver could not place it.
    if (roc < 0) return -1;
    this.#commit(state, roc, seq);
    this.#crypt(out, header, length, ssrc, roc, seq);
    this.#hmac.sign(out, 0, length, roc, out, length, TAG_BYTES);
    return length + TAG_BYTES;
  }

  /** Authenticates and decrypts the SRTP packet in `packet` in place; the plain RTP length, or -1 if it does not authenticate. */
  unprotect(packet: Uint8Array): number {
    const length = packet.length - TAG_BYTES;
    const header = headerLength(packet, length);
    if (header < 0) return -1;
    const ssrc = this.#ssrc(packet);
    const seq = (packet[2]! << 8) | packet[3]!;
    const state = this.#rollover(ssrc, seq);
    const roc = this.#estimate(state, seq);
    if (roc < 0) return -1;
    const tag = this.#tag;
    this.#hmac.sign(packet, 0, length, roc, tag, 0, TAG_BYTES);
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= tag[i]! ^ packet[length + i]!;
    if (diff !== 0) return -1;
    this.#commit(state, roc, seq);
    this.#crypt(packet, header, length, ssrc, roc, seq);
    return length;
  }

  /** The SSRC as a signed 32-bit number. */
  #ssrc(rtp: Uint8Array): number {
    return (rtp[8]! << 24) | (rtp[9]! << 16) | (rtp[10]! << 8) | rtp[11]!;
  }

  #rollover(ssrc: number, seq: number): Rollover {
    const n = this.#states.length;
    for (let i = 0; i < n; i++) if (this.#ssrcs[i] === ssrc) return this.#states[i]!;
    if (n < SSRC_SLOTS) {
      this.#ssrcs[n] = ssrc;
      this.#states.push({ roc: 0, highest: seq });
      return this.#states[n]!;
    }
    let state = this.#more.get(ssrc);
    if (!state) this.#more.set(ssrc, state = { roc: 0, highest: seq });
    return state;
  }

  /** RFC 3711 §3.3.1: the rollover counter that puts `seq` closest to the highest sequence number seen. */
  #estimate(state: Rollover, seq: number): number {
    if (state.highest < MAX_SEQ_DISTANCE) return seq - state.highest > MAX_SEQ_DISTANCE ? state.roc - 1 : state.roc;
    return state.highest - MAX_SEQ_DISTANCE > seq ? state.roc + 1 : state.roc;
  }

  #commit(state: Rollover, roc: number, seq: number): void {
    if (roc > state.roc) {
      state.roc = roc;
      state.highest = seq;
    } else if (roc === state.roc && seq > state.highest) {
      state.highest = seq;
    }
  }

  /** AES-CM over the payload: IV = salt ⊕ SSRC·2^64 ⊕ index·2^16 (§4.1.1). */
  #crypt(data: Uint8Array, start: number, end: number, ssrc: number, roc: number, seq: number): void {
    const s = this.#salt;
    const iv = this.#iv;
    iv[0] = s[0]!;
    iv[1] = s[1]! ^ ssrc;
    iv[2] = s[2]! ^ roc;
    iv[3] = s[3]! ^ (seq << 16);
    aesCtrXor(this.#rk, iv, data, start, end);
  }
}
