// Internal: not exported from the package entry.
// Character classes of XML 1.0 (Fifth Edition) used by the scanner.

export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const SPACE = 32;
export const QUOT = 34;
export const AMP = 38;
export const APOS = 39;
export const SLASH = 47;
export const LT = 60;
export const EQ = 61;
export const GT = 62;
export const QUESTION = 63;
export const BANG = 33;
export const RBRACKET = 93;

/** ASCII lookup: 1 = NameStartChar, 2 = NameChar only (XML 1.0 §2.3). */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) ASCII_NAME[c] = 1;
  else if (/[0-9.-]/.test(ch)) ASCII_NAME[c] = 2;
}

export function isNameStart(c: number): boolean {
  if (c < 128) return ASCII_NAME[c] === 1;
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd) ||
    (c >= 0xd800 && c <= 0xdb7f) // high surrogate of #x10000-#xEFFFF
  );
}

export function isNameChar(c: number): boolean {
  if (c < 128) return ASCII_NAME[c] !== 0;
  return (
    isNameStart(c) ||
    c === 0xb7 ||
    (c >= 0x300 && c <= 0x36f) ||
    (c >= 0x203f && c <= 0x2040) ||
    (c >= 0xdc00 && c <= 0xdfff)
  );
}

/** XML 1.0 §2.2 `Char`, for a code point. */
export function isXmlChar(cp: number): boolean {
  return (
    cp === TAB ||
    cp === LF ||
    cp === CR ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** XML 1.0 §4.6 predefined entities. */
export const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** Named entities are at most `&quot;`; character references at most `&#x10FFFF;` (10). */
export const MAX_ENTITY_LENGTH = 10;
