// Internal: not exported from the package entry.
/**
 * The scanner behind `parseXml()`: one forward pass over the string, building ltx
 * `Element`s directly. ltx's own `parse()` (and its SAX parser) accept mismatched end tags,
 * bare `&`, `<` in attribute values and comments, all of which RFC 6120 requires us to reject.
 * @module
 */
import { Element } from './element.ts';
import { XmlParseError } from './parse-error.ts';
import {
  AMP,
  APOS,
  BANG,
  CR,
  EQ,
  GT,
  isNameChar,
  isNameStart,
  isXmlChar,
  LF,
  LT,
  MAX_ENTITY_LENGTH,
  NAMED_ENTITIES,
  QUESTION,
  QUOT,
  RBRACKET,
  SLASH,
  SPACE,
  TAB,
} from './xml-chars.ts';

/** Maximum element nesting; deeper input is rejected as a policy-violation. */
export const MAX_XML_DEPTH = 64;

const DTD_KEYWORDS = ['DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION'];

function notWellFormed(message: string): XmlParseError {
  return new XmlParseError('not-well-formed', message);
}

function restricted(message: string): XmlParseError {
  return new XmlParseError('restricted-xml', message);
}

/** Scans one framed document; `parseXml()` documents what it accepts and rejects. */
export class Scanner {
  readonly #s: string;
  #pos = 0;
  readonly #stack: Element[] = [];

  constructor(source: string) {
    this.#s = source;
  }

  document(): Element {
    const s = this.#s;
    const stack = this.#stack;
    let root: Element | undefined;
    while (this.#pos < s.length) {
      const c = s.charCodeAt(this.#pos);
      const top = stack[stack.length - 1];
      if (c === LT) {
        const next = s.charCodeAt(this.#pos + 1);
        if (next === SLASH) {
          this.#endTag();
        } else if (next === BANG) {
          if (!s.startsWith('<![CDATA[', this.#pos)) throw this.#markupDeclaration();
          if (!top) throw notWellFormed('CDATA section outside the root element');
          this.#cdata(top);
        } else if (next === QUESTION) {
          throw restricted('processing instructions are not allowed (RFC 6120 §11.1)');
        } else {
          if (root && !top) throw notWellFormed('more than one root element');
          const el = this.#startTag(top);
          root ??= el;
        }
      } else if (top) {
        this.#text(top);
      } else if (c === SPACE || c === LF || c === CR || c === TAB) {
        this.#pos++;
      } else {
        throw notWellFormed('text outside the root element');
      }
    }
    if (!root) throw notWellFormed('no root element');
    const open = stack[stack.length - 1];
    if (open) throw notWellFormed(`incomplete document: <${open.name}> is not closed`);
    return root;
  }

  #markupDeclaration(): XmlParseError {
    const s = this.#s;
    const at = this.#pos + 2;
    if (s.startsWith('--', at)) return restricted('comments are not allowed (RFC 6120 §11.1)');
    for (const keyword of DTD_KEYWORDS) {
      if (s.startsWith(keyword, at)) return restricted('DTDs are not allowed (RFC 6120 §11.1)');
    }
    return notWellFormed("invalid markup after '<!'");
  }

  #startTag(parent: Element | undefined): Element {
    const s = this.#s;
    if (this.#stack.length >= MAX_XML_DEPTH) {
      throw new XmlParseError('policy-violation', `elements nested deeper than ${MAX_XML_DEPTH}`);
    }
    this.#pos++;
    const el = new Element(this.#name());
    const attrs: Record<string, string> = {};
    el.attrs = attrs;
    let selfClosing = false;
    for (;;) {
      const spaced = this.#skipWhitespace();
      const c = s.charCodeAt(this.#pos);
      if (c === GT) {
        this.#pos++;
        break;
      }
      if (c === SLASH && s.charCodeAt(this.#pos + 1) === GT) {
        this.#pos += 2;
        selfClosing = true;
        break;
      }
      if (Number.isNaN(c)) throw notWellFormed(`unterminated tag <${el.name}>`);
      if (!spaced) throw notWellFormed(`whitespace required before attribute in <${el.name}>`);
      this.#attribute(el.name, attrs);
    }
    this.#checkPrefixes(el.name, attrs);
    if (parent) {
      parent.children.push(el);
      el.parent = parent;
    }
    if (!selfClosing) this.#stack.push(el);
    return el;
  }

  #attribute(elementName: string, attrs: Record<string, string>): void {
    const s = this.#s;
    const name = this.#name();
    this.#skipWhitespace();
    if (s.charCodeAt(this.#pos) !== EQ) throw notWellFormed(`attribute ${name} has no value`);
    this.#pos++;
    this.#skipWhitespace();
    const quote = s.charCodeAt(this.#pos);
    if (quote !== QUOT && quote !== APOS) throw notWellFormed(`attribute ${name} is not quoted`);
    this.#pos++;
    const value = this.#attributeValue(quote);
    if (Object.hasOwn(attrs, name)) {
      throw notWellFormed(`duplicate attribute ${name} in <${elementName}>`);
    }
    if (name === '__proto__') throw new XmlParseError('policy-violation', 'reserved attribute name');
    if (value === '' && name.startsWith('xmlns:')) {
      throw notWellFormed(`empty namespace for prefix in ${name}`);
    }
    attrs[name] = value;
  }

  #attributeValue(quote: number): string {
    const s = this.#s;
    const start = this.#pos;
    let i = start;
    let plain = true;
    for (;; i++) {
      if (i >= s.length) throw notWellFormed('unterminated attribute value');
      const c = s.charCodeAt(i);
      if (c === quote) break;
      if (c === LT) throw notWellFormed("'<' in attribute value");
      if (c < SPACE || c === AMP) {
        if (c !== AMP && c !== TAB && c !== LF && c !== CR) this.#badChar(c, i);
        plain = false;
      } else if (c >= 0xfffe) {
        this.#badChar(c, i);
      }
    }
    this.#pos = i + 1;
    return plain ? s.slice(start, i) : this.#decode(start, i, true);
  }

  #text(parent: Element): void {
    const s = this.#s;
    const start = this.#pos;
    let i = start;
    let plain = true;
    for (;; i++) {
      const c = s.charCodeAt(i);
      if (c === LT || Number.isNaN(c)) break;
      if (c < SPACE || c === AMP) {
        if (c !== AMP && c !== TAB && c !== LF && c !== CR) this.#badChar(c, i);
        if (c !== TAB && c !== LF) plain = false;
      } else if (c === GT) {
        if (i - start >= 2 && s.charCodeAt(i - 1) === RBRACKET && s.charCodeAt(i - 2) === RBRACKET) {
          throw notWellFormed("']]>' in character data");
        }
      } else if (c >= 0xfffe) {
        this.#badChar(c, i);
      }
    }
    this.#pos = i;
    appendText(parent, plain ? s.slice(start, i) : this.#decode(start, i, false));
  }

  #cdata(parent: Element): void {
    const s = this.#s;
    const start = this.#pos + 9;
    const end = s.indexOf(']]>', start);
    if (end === -1) throw notWellFormed('unterminated CDATA section');
    let plain = true;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < SPACE && c !== TAB && c !== LF) {
        if (c !== CR) this.#badChar(c, i);
        plain = false;
      } else if (c >= 0xfffe) {
        this.#badChar(c, i);
      }
    }
    this.#pos = end + 3;
    const text = s.slice(start, end);
    appendText(parent, plain ? text : text.replace(/\r\n?/g, '\n'));
  }

  #endTag(): void {
    const s = this.#s;
    this.#pos += 2;
    const name = this.#name();
    this.#skipWhitespace();
    if (s.charCodeAt(this.#pos) !== GT) throw notWellFormed(`unterminated end tag </${name}>`);
    this.#pos++;
    const open = this.#stack.pop();
    if (!open) throw notWellFormed(`end tag </${name}> without a start tag`);
    if (open.name !== name) throw notWellFormed(`end tag </${name}> does not match <${open.name}>`);
  }

  /** A QName (Namespaces in XML 1.0 §4): an XML Name with at most one inner colon. */
  #name(): string {
    const s = this.#s;
    const start = this.#pos;
    if (!isNameStart(s.charCodeAt(start))) throw notWellFormed(`invalid name at offset ${start}`);
    let i = start + 1;
    while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
    this.#pos = i;
    const name = s.slice(start, i);
    const colon = name.indexOf(':');
    if (colon !== -1 && (colon === 0 || colon === name.length - 1 || name.includes(':', colon + 1))) {
      throw notWellFormed(`invalid qualified name ${name}`);
    }
    return name;
  }

  /** Namespaces in XML 1.0 §5: every prefix used must be declared in scope. */
  #checkPrefixes(name: string, attrs: Record<string, string>): void {
    const colon = name.indexOf(':');
    if (colon !== -1) this.#requirePrefix(name.slice(0, colon), attrs);
    for (const key in attrs) {
      const c = key.indexOf(':');
      if (c !== -1 && !key.startsWith('xmlns:')) this.#requirePrefix(key.slice(0, c), attrs);
    }
  }

  #requirePrefix(prefix: string, attrs: Record<string, string>): void {
    if (prefix === 'xml') return;
    const key = `xmlns:${prefix}`;
    if (Object.hasOwn(attrs, key)) return;
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      if (Object.hasOwn(this.#stack[i]!.attrs, key)) return;
    }
    if (prefix === 'xmlns') throw notWellFormed("the 'xmlns' prefix cannot be used on elements");
    throw notWellFormed(`undeclared namespace prefix ${prefix}`);
  }

  /** Resolves references and applies line-end (XML 1.0 §2.11) and attribute (§3.3.3) normalization. */
  #decode(start: number, end: number, attribute: boolean): string {
    const s = this.#s;
    let out = '';
    let segment = start;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === AMP) {
        const semi = s.indexOf(';', i + 1);
        if (semi === -1 || semi >= end || semi - i > MAX_ENTITY_LENGTH) {
          throw notWellFormed(`unterminated entity reference at offset ${i}`);
        }
        out += s.slice(segment, i) + this.#reference(s.slice(i + 1, semi));
        i = semi;
        segment = semi + 1;
      } else if (c === CR) {
        out += s.slice(segment, i) + (attribute ? ' ' : '\n');
        if (s.charCodeAt(i + 1) === LF && i + 1 < end) i++;
        segment = i + 1;
      } else if (attribute && (c === TAB || c === LF)) {
        out += s.slice(segment, i) + ' ';
        segment = i + 1;
      }
    }
    return out + s.slice(segment, end);
  }

  #reference(body: string): string {
    if (body.charCodeAt(0) !== 35 /* # */) {
      const named = Object.hasOwn(NAMED_ENTITIES, body) ? NAMED_ENTITIES[body] : undefined;
      if (named === undefined) throw notWellFormed(`undefined entity &${body};`);
      return named;
    }
    const hex = body.charCodeAt(1) === 120; /* x */
    const digits = body.slice(hex ? 2 : 1);
    const valid = hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/;
    if (!valid.test(digits)) throw notWellFormed(`invalid character reference &${body};`);
    const cp = Number.parseInt(digits, hex ? 16 : 10);
    if (!isXmlChar(cp)) throw notWellFormed(`character reference &${body}; is not an XML Char`);
    return String.fromCodePoint(cp);
  }

  #skipWhitespace(): boolean {
    const s = this.#s;
    const start = this.#pos;
    let c = s.charCodeAt(this.#pos);
    while (c === SPACE || c === LF || c === TAB || c === CR) c = s.charCodeAt(++this.#pos);
    return this.#pos > start;
  }

  #badChar(c: number, at: number): never {
    throw notWellFormed(`invalid character U+${c.toString(16).padStart(4, '0')} at offset ${at}`);
  }
}

function appendText(parent: Element, text: string): void {
  if (text === '') return;
  const { children } = parent;
  const last = children[children.length - 1];
  if (typeof last === 'string') children[children.length - 1] = last + text;
  else children.push(text);
}
