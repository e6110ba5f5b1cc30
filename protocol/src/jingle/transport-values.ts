/**
 * What an ICE-UDP transport's values may be (XEP-0176, XEP-0320, RFC 8839 §5.4, RFC 8122 §5,
 * RFC 4145 §4), checked where a transport enters: a hostile client's `transport-info` with
 * `hash="zzz"` or a 5 KB fingerprint is refused as bad-request before it reaches a media node.
 * @module
 */
// Internal: not exported from the package entry (the index re-exports the named limits).
import { AppError } from '../errors.ts';

/** Hash functions a DTLS fingerprint may use, with their digest length in bytes (RFC 8122 §5). */
export const FINGERPRINT_HASHES: Readonly<Record<string, number>> = Object.freeze({
  'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64,
});
/** RFC 4145 §4 / RFC 5763 §5 roles (`holdconn` has no use in a call). */
export const DTLS_SETUPS: readonly string[] = ['actpass', 'active', 'passive'];

/** Bounds on one transport element: more than any browser sends. */
export const TRANSPORT_LIMITS = Object.freeze({
  maxCandidates: 64, maxFingerprints: 4, maxWebSockets: 4, maxUrlChars: 2048, maxAddressChars: 255,
});

const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const HEX_PAIRS = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*$/;
/** IPv4, IPv6 or a host name (mDNS candidates use `<uuid>.local`). */
const ADDRESS = /^[0-9A-Za-z.:\-[\]%]+$/;
const CANDIDATE_TYPES = ['host', 'srflx', 'prflx', 'relay'];
const PROTOCOLS = ['udp', 'tcp', 'ssltcp'];
const TCP_TYPES = ['active', 'passive', 'so'];

function bad(message: string): never {
  throw new AppError('bad-request', `transport: ${message}`);
}

/** RFC 8839 §5.4: `ice-ufrag` is 4–256 ice-chars, `ice-pwd` 22–256. */
export function checkIceCredential(kind: 'ufrag' | 'pwd', value: string): string {
  const min = kind === 'ufrag' ? 4 : 22;
  if (value.length < min || value.length > 256 || !ICE_CHARS.test(value)) bad(`${kind} must be ${min} to 256 of A-Z a-z 0-9 + /`);
  return value;
}

/** The hash name, lower-cased; throws unless it is one of {@link FINGERPRINT_HASHES}. */
export function checkFingerprintHash(hash: string): string {
  const lower = hash.toLowerCase();
  if (!Object.hasOwn(FINGERPRINT_HASHES, lower)) bad(`fingerprint hash must be one of ${Object.keys(FINGERPRINT_HASHES).join(', ')}`);
  return lower;
}

/** Colon-separated hex pairs, as many as the hash's digest has bytes. */
export function checkFingerprintValue(hash: string, value: string): string {
  const bytes = FINGERPRINT_HASHES[hash]!;
  if (value.length !== bytes * 3 - 1 || !HEX_PAIRS.test(value)) bad(`a ${hash} fingerprint is ${bytes} hex pairs separated by colons`);
  return value;
}

export function checkSetup(setup: string): string {
  if (!DTLS_SETUPS.includes(setup)) bad(`setup must be one of ${DTLS_SETUPS.join(', ')}`);
  return setup;
}

export function checkCount(what: string, n: number, max: number): void {
  if (n > max) bad(`more than ${max} ${what}`);
}

/** Candidate attributes that are names from a fixed set, and addresses. */
export function checkCandidateValues(c: { foundation: string; protocol: string; type: string; ip: string; relAddr?: string; tcptype?: string; id?: string }): void {
  if (c.foundation.length > 32 || !ICE_CHARS.test(c.foundation)) bad('candidate foundation must be 1 to 32 ice-chars');
  if (!PROTOCOLS.includes(c.protocol)) bad(`candidate protocol must be one of ${PROTOCOLS.join(', ')}`);
  if (!CANDIDATE_TYPES.includes(c.type)) bad(`candidate type must be one of ${CANDIDATE_TYPES.join(', ')}`);
  for (const address of [c.ip, c.relAddr]) {
    if (address !== undefined && (address.length > TRANSPORT_LIMITS.maxAddressChars || !ADDRESS.test(address))) bad('candidate address is not an address');
  }
  if (c.tcptype !== undefined && !TCP_TYPES.includes(c.tcptype)) bad(`candidate tcptype must be one of ${TCP_TYPES.join(', ')}`);
  if (c.id !== undefined && c.id.length > 64) bad('candidate id longer than 64');
}

export function checkWebSocketUrl(url: string): string {
  if (url.length > TRANSPORT_LIMITS.maxUrlChars || !/^wss?:\/\/[^\s]+$/.test(url)) bad('web-socket url must be a ws:// or wss:// URL');
  return url;
}
