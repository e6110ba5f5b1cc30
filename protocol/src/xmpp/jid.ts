/**
 * JIDs (RFC 7622) and JID escaping (XEP-0106).
 *
 * Normalization is the subset that matters for routing: NFC everywhere, lower-cased localpart
 * and domainpart, one trailing dot stripped from the domain (RFC 7622 §3.2). Full PRECIS
 * (RFC 8264) and IDNA2008 checks are out of scope.
 * @module
 */
import { utf8Length } from '../utf8.ts';

/** A string is not a valid JID or JID part. */
export class JidError extends TypeError {
  override readonly name: string = 'JidError';
}

/** RFC 7622 §3.2–3.4: each part is 1 to 1023 octets. */
const MAX_PART_BYTES = 1023;

/** RFC 7622 §3.3.1 forbids `"&'/:<>@`; PRECIS IdentifierClass forbids spaces and controls. */
const LOCAL_FORBIDDEN = /[\s"&'/:<>@\u0000-\u001f\u007f-\u009f]/;
const DOMAIN_FORBIDDEN = /[\s"&'/:<>@\\[\]\u0000-\u001f\u007f-\u009f]/;
const IP_LITERAL = /^\[[0-9a-f:.]+\]$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NON_ASCII = /[^\u0000-\u007f]/;

function nfc(s: string): string {
  return NON_ASCII.test(s) ? s.normalize('NFC') : s;
}

function checkLength(part: string, what: string): void {
  if (utf8Length(part, MAX_PART_BYTES) > MAX_PART_BYTES) {
    throw new JidError(`${what} is longer than ${MAX_PART_BYTES} bytes`);
  }
}

function normalizeLocal(local: string): string {
  if (local === '') return '';
  const out = nfc(local.toLowerCase());
  if (LOCAL_FORBIDDEN.test(out)) {
    throw new JidError(`invalid character in localpart ${JSON.stringify(local)}`);
  }
  checkLength(out, 'localpart');
  return out;
}

function normalizeDomain(domain: string): string {
  let out = nfc(domain.toLowerCase());
  if (out.endsWith('.')) out = out.slice(0, -1);
  if (out === '') throw new JidError('domainpart is empty');
  if (out.startsWith('[')) {
    if (!IP_LITERAL.test(out)) throw new JidError(`invalid IP literal ${JSON.stringify(domain)}`);
    return out;
  }
  if (DOMAIN_FORBIDDEN.test(out)) {
    throw new JidError(`invalid character in domainpart ${JSON.stringify(domain)}`);
  }
  if (out.startsWith('.') || out.includes('..')) {
    throw new JidError(`empty label in domainpart ${JSON.stringify(domain)}`);
  }
  checkLength(out, 'domainpart');
  return out;
}

function normalizeResource(resource: string): string {
  if (resource === '') return '';
  const out = nfc(resource);
  if (CONTROL.test(out)) throw new JidError('invalid character in resourcepart');
  checkLength(out, 'resourcepart');
  return out;
}

/** Builds a Jid from parts that are already normalized. */
function trusted(local: string, domain: string, resource: string): Jid {
  const j = Object.create(Jid.prototype) as { local: string; domain: string; resource: string };
  j.local = local;
  j.domain = domain;
  j.resource = resource;
  return j as Jid;
}

/**
 * An immutable, normalized JID. An empty string means the part is absent.
 *
 * @example
 * const occupant = new Jid('room1', 'conference.example.com', 'alice');
 * occupant.bare().toString(); // 'room1@conference.example.com'
 */
export class Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;

  /** Validates and normalizes the parts; throws {@link JidError}. */
  constructor(local: string, domain: string, resource = '') {
    this.local = normalizeLocal(local);
    this.domain = normalizeDomain(domain);
    this.resource = normalizeResource(resource);
  }

  /** The JID without its resourcepart (`this` when already bare). */
  bare(): Jid {
    return this.resource === '' ? this : trusted(this.local, this.domain, '');
  }

  /** The same bare JID with resourcepart `r` (`''` gives the bare JID). */
  withResource(r: string): Jid {
    return trusted(this.local, this.domain, normalizeResource(r));
  }

  isBare(): boolean {
    return this.resource === '';
  }

  toString(): string {
    const head = this.local === '' ? this.domain : `${this.local}@${this.domain}`;
    return this.resource === '' ? head : `${head}/${this.resource}`;
  }

  equals(other: Jid): boolean {
    return (
      this.local === other.local && this.domain === other.domain && this.resource === other.resource
    );
  }
}

/**
 * Parses a JID (RFC 7622 §3.1): the resourcepart starts at the first `/`, the localpart ends at
 * the last `@` before it. Throws {@link JidError}.
 *
 * @example
 * parseJid('Alice@Example.COM/phone'); // alice@example.com/phone
 */
export function parseJid(s: string): Jid {
  const slash = s.indexOf('/');
  const head = slash === -1 ? s : s.slice(0, slash);
  const resource = slash === -1 ? '' : s.slice(slash + 1);
  if (slash !== -1 && resource === '') {
    throw new JidError(`empty resourcepart in ${JSON.stringify(s)}`);
  }
  const at = head.lastIndexOf('@');
  if (at === 0) throw new JidError(`empty localpart in ${JSON.stringify(s)}`);
  return new Jid(at === -1 ? '' : head.slice(0, at), head.slice(at + 1), resource);
}

/**
 * {@link parseJid} for untrusted input: `undefined` instead of throwing.
 *
 * @example
 * tryParseJid(iq.attrs.from) ?? session.jid;
 */
export function tryParseJid(s: string | undefined | null): Jid | undefined {
  if (typeof s !== 'string') return undefined;
  try {
    return parseJid(s);
  } catch (err) {
    if (err instanceof JidError) return undefined;
    throw err;
  }
}

/**
 * Builds a JID from its parts (validated like {@link parseJid}).
 *
 * @example
 * jid('focus', 'auth.example.com', 'focus').toString(); // 'focus@auth.example.com/focus'
 */
export function jid(local: string, domain: string, resource?: string): Jid {
  return new Jid(local, domain, resource);
}

/**
 * The bare part of a JID string, `local@domain` (RFC 7622 §3.1: the resourcepart starts at the
 * first `/`), without validating or normalizing it: for JIDs the server itself stamped or stored.
 *
 * @example
 * bareJid('r1@conference.meet.jitsi/alice'); // 'r1@conference.meet.jitsi'
 */
export function bareJid(s: string): string {
  const slash = s.indexOf('/');
  return slash === -1 ? s : s.slice(0, slash);
}

/**
 * The resourcepart of a JID string (`''` when it is bare), like {@link bareJid} without validating.
 *
 * @example
 * resourceOf('r1@conference.meet.jitsi/alice'); // 'alice'
 */
export function resourceOf(s: string): string {
  const slash = s.indexOf('/');
  return slash === -1 ? '' : s.slice(slash + 1);
}

/** XEP-0106 §3: the ten characters that have escape sequences. */
const ESCAPES: Readonly<Record<string, string>> = {
  ' ': '\\20',
  '"': '\\22',
  '&': '\\26',
  "'": '\\27',
  '/': '\\2f',
  ':': '\\3a',
  '<': '\\3c',
  '>': '\\3e',
  '@': '\\40',
  '\\': '\\5c',
};

const UNESCAPES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ESCAPES).map(([ch, seq]) => [seq.slice(1), ch]),
);

const ESCAPABLE = /[ "&'/:<>@\\]/g;
const ESCAPE_SEQUENCE = /\\(20|22|26|27|2f|3a|3c|3e|40|5c)/g;

function startsEscapeSequence(s: string, i: number): boolean {
  return Object.hasOwn(UNESCAPES, s.slice(i + 1, i + 3));
}

/**
 * Escapes a string for use as a localpart (XEP-0106 §4). A `\` is escaped only where it would
 * otherwise be read as the start of an escape sequence. Leading or trailing spaces are refused:
 * `\20` must not begin or end an escaped localpart (XEP-0106 §4.3).
 *
 * @example
 * escapeLocal('c:\\cool stuff'); // 'c\\3a\\cool\\20stuff'
 */
export function escapeLocal(s: string): string {
  if (s.startsWith(' ') || s.endsWith(' ')) {
    throw new JidError('a localpart cannot start or end with a space (XEP-0106 §4.3)');
  }
  return s.replace(ESCAPABLE, (ch, offset: number) =>
    ch === '\\' && !startsEscapeSequence(s, offset) ? ch : (ESCAPES[ch] ?? ch),
  );
}

/**
 * Reverses {@link escapeLocal} (XEP-0106 §4): only the ten lower-case sequences are
 * unescaped, any other `\` is kept.
 *
 * @example
 * unescapeLocal('d\\27artagnan'); // "d'artagnan"
 */
export function unescapeLocal(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(ESCAPE_SEQUENCE, (seq, hex: string) => UNESCAPES[hex] ?? seq);
}
