/**
 * The XML element model (ltx) plus a builder and a serializer, in the style of `@xmpp/xml`.
 *
 * `Element` is imported from ltx's own module file rather than the package root: the root also
 * loads ltx's `Parser`, which imports Node's `events`, and this package must run in workerd
 * without `nodejs_compat`. It is the same class (and the same type) as `import { Element } from 'ltx'`.
 * @module
 */
import Element from 'ltx/src/Element.js';

export { Element };

/** Attribute values accepted by {@link xml}; `null`/`undefined` drop the attribute. */
export type XmlAttrs = Record<string, string | number | boolean | null | undefined>;

/** Children accepted by {@link xml}; `null`/`undefined`/`false` are skipped, arrays are flattened. */
export type XmlChild =
  | Element
  | string
  | number
  | null
  | undefined
  | false
  | Array<Element | string | null | undefined | false>;

/**
 * Builds an element. Attributes whose value is `null` or `undefined` are omitted, numbers and
 * booleans are stringified; falsy-absent children are skipped so conditional parts read inline.
 *
 * @example
 * xml('iq', { type: 'get', id: 'p1', to: undefined }, xml('ping', { xmlns: NS_PING }));
 * // <iq type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>
 */
export function xml(name: string, attrs?: XmlAttrs | null, ...children: XmlChild[]): Element {
  const el = new Element(name);
  if (attrs) {
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value !== null && value !== undefined) el.attrs[key] = String(value);
    }
  }
  for (const child of children) appendChild(el, child);
  return el;
}

function appendChild(el: Element, child: XmlChild): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) appendChild(el, c);
  } else if (typeof child === 'object') {
    el.cnode(child);
  } else {
    el.children.push(String(child));
  }
}

/**
 * Serializes an element to XML text. Compatible with ltx's `toString()`, but additionally escapes
 * TAB/LF/CR in attribute values and CR in text as character references, so that a conforming
 * parser's attribute-value and line-end normalization (XML 1.0 §3.3.3, §2.11) does not alter them.
 *
 * @example
 * serialize(xml('body', null, 'a < b')); // '<body>a &lt; b</body>'
 */
export function serialize(el: Element): string {
  let out = '<' + el.name;
  const attrs = el.attrs as Record<string, unknown>;
  for (const key in attrs) {
    const value = attrs[key];
    if (value === null || value === undefined) continue;
    out += ' ' + key + '="' + escapeAttr(String(value)) + '"';
  }
  const { children } = el;
  if (children.length === 0) return out + '/>';
  out += '>';
  for (const child of children) {
    if (child === null || child === undefined) continue;
    out += typeof child === 'object' ? serialize(child) : escapeText(String(child));
  }
  return out + '</' + el.name + '>';
}

const ATTR_SPECIAL = /[&<>"'\t\n\r]/;
const ATTR_SPECIAL_G = /[&<>"'\t\n\r]/g;
const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_G = /[&<>\r]/g;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

const replaceEscape = (ch: string): string => ESCAPES[ch] ?? ch;

function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, replaceEscape) : s;
}

function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, replaceEscape) : s;
}
