/**
 * Parsing of one framed XML element (RFC 7395 §3.3.3: each WebSocket message is exactly one
 * complete element), strictly, as RFC 6120 §11 requires.
 * @module
 */
import type { Element } from './element.ts';
import { NS_XML } from './namespaces.ts';
import { XmlParseError } from './parse-error.ts';
import { MAX_XML_DEPTH, Scanner } from './scanner.ts';
import { utf8Length } from '../utf8.ts';

export { XmlParseError, MAX_XML_DEPTH };
export type { XmlParseErrorCondition } from './parse-error.ts';

export interface ParseXmlOptions {
  /** Reject input whose UTF-8 encoding is longer than this (policy-violation). */
  maxBytes?: number;
}

/**
 * Parses exactly one complete top-level element.
 *
 * Rejects with `not-well-formed` (malformed or incomplete XML, several roots, text outside the
 * root, undeclared prefixes), `restricted-xml` (comments, processing instructions including the
 * XML declaration, DTDs; RFC 6120 §11.1), or `policy-violation` (over `maxBytes`, or nested deeper
 * than {@link MAX_XML_DEPTH}). CDATA sections become text.
 *
 * @example
 * const iq = parseXml('<iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>');
 * iq.getChild('ping', NS_PING); // Element
 */
export function parseXml(text: string, options?: ParseXmlOptions): Element {
  const maxBytes = options?.maxBytes;
  if (maxBytes !== undefined && text.length * 3 > maxBytes) {
    if (text.length > maxBytes || utf8Length(text, maxBytes) > maxBytes) {
      throw new XmlParseError('policy-violation', `XML exceeds ${maxBytes} bytes`);
    }
  }
  return new Scanner(text).document();
}

/**
 * The namespace of `el`: its prefix's binding or default `xmlns`, inherited from its ancestors.
 *
 * @example
 * getNamespace(parseXml('<a xmlns="urn:x"><b/></a>').getChild('b')!); // 'urn:x'
 */
export function getNamespace(el: Element): string | undefined {
  const colon = el.name.indexOf(':');
  const prefix = colon === -1 ? '' : el.name.slice(0, colon);
  if (prefix === 'xml') return NS_XML;
  const key = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  for (let node: Element | null = el; node; node = node.parent) {
    const attrs = node.attrs as Record<string, unknown>;
    if (Object.hasOwn(attrs, key)) {
      const ns = attrs[key];
      return typeof ns === 'string' && ns !== '' ? ns : undefined;
    }
  }
  return undefined;
}
