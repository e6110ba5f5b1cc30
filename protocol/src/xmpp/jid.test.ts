import { describe, it, expect } from 'vitest';
import { bareJid, escapeLocal, Jid, jid, JidError, parseJid, resourceOf, tryParseJid, unescapeLocal } from './jid.ts';

describe('parseJid()', () => {
  it('parseJid() with a full JID splits the three parts', () => {
    const j = parseJid('alice@example.com/phone');
    expect([j.local, j.domain, j.resource]).toEqual(['alice', 'example.com', 'phone']);
    expect(j.isBare()).toBe(false);
    expect(j.toString()).toBe('alice@example.com/phone');
  });

  it('parseJid() with a domain only has empty local and resource', () => {
    const j = parseJid('conference.example.com');
    expect([j.local, j.domain, j.resource]).toEqual(['', 'conference.example.com', '']);
    expect(j.isBare()).toBe(true);
    expect(String(j)).toBe('conference.example.com');
  });

  it('parseJid() with domain and resource keeps the resource', () => {
    expect(parseJid('example.com/res').toString()).toBe('example.com/res');
  });

  it('parseJid() splits the resource at the first slash and keeps the rest verbatim', () => {
    const j = parseJid('room@conference.example.com/Nick/With@Slash And Space');
    expect(j.resource).toBe('Nick/With@Slash And Space');
  });

  it('parseJid() lower-cases local and domain but not the resource', () => {
    const j = parseJid('Alice@Example.COM/Phone');
    expect(j.toString()).toBe('alice@example.com/Phone');
  });

  it('parseJid() strips one trailing dot from the domain', () => {
    expect(parseJid('a@example.com.').domain).toBe('example.com');
  });

  it('parseJid() applies NFC normalization', () => {
    expect(parseJid('cafe\u0301@example.com').local).toBe('caf\u00e9');
  });

  it('parseJid() accepts an IPv6 literal domain', () => {
    expect(parseJid('a@[::1]/r').domain).toBe('[::1]');
  });

  const invalid: Array<[string, string]> = [
    ['an empty string', ''],
    ['an empty localpart', '@example.com'],
    ['an empty domainpart', 'alice@'],
    ['an empty resourcepart', 'alice@example.com/'],
    ['only a resource', '/res'],
    ['two @ signs', 'a@b@example.com'],
    ['a space in the localpart', 'al ice@example.com'],
    ['a quote in the localpart', 'a"b@example.com'],
    ['an ampersand in the localpart', 'a&b@example.com'],
    ['an apostrophe in the localpart', "d'artagnan@example.com"],
    ['a colon in the localpart', 'a:b@example.com'],
    ['angle brackets in the localpart', '<a>@example.com'],
    ['a control character in the localpart', 'a\u0001@example.com'],
    ['a control character in the resource', 'a@example.com/r\u0000'],
    ['a space in the domain', 'a@exa mple.com'],
    ['an empty domain label', 'a@example..com'],
    ['a port in the domain', 'a@example.com:5222'],
    ['a bad IP literal', 'a@[::1'],
    ['a localpart over 1023 bytes', `${'a'.repeat(1024)}@example.com`],
    ['a localpart over 1023 UTF-8 bytes', `${'é'.repeat(512)}@example.com`],
    ['a domain over 1023 bytes', `a@${'a'.repeat(1024)}`],
    ['a resource over 1023 bytes', `a@example.com/${'r'.repeat(1024)}`],
  ];
  for (const [label, input] of invalid) {
    it(`parseJid() with ${label} throws JidError`, () => {
      expect(() => parseJid(input)).toThrow(JidError);
    });
  }

  it('parseJid() accepts parts of exactly 1023 bytes', () => {
    const j = parseJid(`${'a'.repeat(1023)}@example.com/${'r'.repeat(1023)}`);
    expect(j.local).toHaveLength(1023);
    expect(j.resource).toHaveLength(1023);
  });

  it('JidError is a TypeError named JidError', () => {
    const err = (() => {
      try {
        parseJid('');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).name).toBe('JidError');
  });
});

describe('tryParseJid()', () => {
  it('tryParseJid() with invalid or absent input returns undefined', () => {
    expect(tryParseJid(undefined)).toBeUndefined();
    expect(tryParseJid(null)).toBeUndefined();
    expect(tryParseJid('a@')).toBeUndefined();
    expect(tryParseJid('a@b')?.toString()).toBe('a@b');
  });
});

describe('Jid', () => {
  it('jid() builds and validates from parts', () => {
    expect(jid('Focus', 'Auth.Example.com', 'focus').toString()).toBe('focus@auth.example.com/focus');
    expect(jid('', 'example.com').toString()).toBe('example.com');
    expect(() => jid('a@b', 'example.com')).toThrow(JidError);
    expect(() => new Jid('a', '')).toThrow(JidError);
  });

  it('Jid.bare() drops the resource and returns itself when already bare', () => {
    const full = parseJid('a@example.com/r');
    const bare = full.bare();
    expect(bare.toString()).toBe('a@example.com');
    expect(bare).toBeInstanceOf(Jid);
    expect(bare.bare()).toBe(bare);
  });

  it('Jid.withResource() replaces the resource and validates it', () => {
    const j = parseJid('a@example.com/r1').withResource('r2');
    expect(j.toString()).toBe('a@example.com/r2');
    expect(j.withResource('').isBare()).toBe(true);
    expect(() => j.withResource('x\u0000')).toThrow(JidError);
  });

  it('Jid.equals() compares normalized parts', () => {
    expect(parseJid('A@EXAMPLE.com/R').equals(parseJid('a@example.com/R'))).toBe(true);
    expect(parseJid('a@example.com/R').equals(parseJid('a@example.com/r'))).toBe(false);
    expect(parseJid('a@example.com').equals(parseJid('a@example.com/r').bare())).toBe(true);
  });
});

describe('XEP-0106 escaping', () => {
  // XEP-0106 §5 examples.
  const examples: Array<[string, string]> = [
    ['space cadet', 'space\\20cadet'],
    ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
    ['at&t guy', 'at\\26t\\20guy'],
    ["d'artagnan", 'd\\27artagnan'],
    ['/.fanboy', '\\2f.fanboy'],
    ['::foo::', '\\3a\\3afoo\\3a\\3a'],
    ['<foo>', '\\3cfoo\\3e'],
    ['user@host', 'user\\40host'],
    ['c:\\net', 'c\\3a\\net'],
    ['c:\\\\net', 'c\\3a\\\\net'],
    ['c:\\cool stuff', 'c\\3a\\cool\\20stuff'],
    ['c:\\5commas', 'c\\3a\\5c5commas'],
  ];
  for (const [raw, escaped] of examples) {
    it(`escapeLocal() of ${JSON.stringify(raw)} gives ${JSON.stringify(escaped)} and back`, () => {
      expect(escapeLocal(raw)).toBe(escaped);
      expect(unescapeLocal(escaped)).toBe(raw);
    });
  }

  it('escapeLocal() output is a valid localpart', () => {
    for (const [raw] of examples) {
      expect(parseJid(`${escapeLocal(raw)}@example.com`).local).toBe(escapeLocal(raw).toLowerCase());
    }
  });

  it('escapeLocal() with a leading or trailing space throws JidError', () => {
    expect(() => escapeLocal(' x')).toThrow(JidError);
    expect(() => escapeLocal('x ')).toThrow(JidError);
  });

  it('escapeLocal() with nothing to escape returns the input', () => {
    expect(escapeLocal('alice')).toBe('alice');
    expect(escapeLocal('')).toBe('');
  });

  it('unescapeLocal() leaves unknown and upper-case sequences alone', () => {
    expect(unescapeLocal('a\\zzb')).toBe('a\\zzb');
    expect(unescapeLocal('a\\2Fb')).toBe('a\\2Fb');
    expect(unescapeLocal('trailing\\')).toBe('trailing\\');
  });
});

describe('bareJid() and resourceOf()', () => {
  it('bareJid() of a full JID drops the resource, of a bare JID returns it', () => {
    expect(bareJid('r1@conference.meet.jitsi/alice')).toBe('r1@conference.meet.jitsi');
    expect(bareJid('focus@auth.meet.jitsi')).toBe('focus@auth.meet.jitsi');
  });

  it('bareJid() and resourceOf() split at the first slash, as parseJid() does', () => {
    expect(bareJid('a@b/c/d')).toBe('a@b');
    expect(resourceOf('a@b/c/d')).toBe('c/d');
    expect(resourceOf('a@b/c/d')).toBe(parseJid('a@b/c/d').resource);
  });

  it('resourceOf() of a bare JID is empty', () => {
    expect(resourceOf('meet.jitsi')).toBe('');
  });
});
