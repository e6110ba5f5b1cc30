import { describe, it, expect } from 'vitest';
import { getNamespace, MAX_XML_DEPTH, parseXml, XmlParseError } from './parse.ts';
import type { XmlParseErrorCondition } from './parse.ts';
import { NS_CLIENT, NS_STREAMS, NS_XML } from './namespaces.ts';

function conditionOf(input: string, options?: { maxBytes?: number }): XmlParseErrorCondition | 'ok' {
  try {
    parseXml(input, options);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(XmlParseError);
    expect((err as XmlParseError).name).toBe('XmlParseError');
    return (err as XmlParseError).condition;
  }
}

describe('parseXml() accepts', () => {
  it('parseXml() with a stanza returns the element tree', () => {
    const iq = parseXml(
      `<iq xmlns='jabber:client' type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`,
    );
    expect(iq.name).toBe('iq');
    expect(iq.attrs).toEqual({ xmlns: NS_CLIENT, type: 'get', id: 'p1', to: 'example.com' });
    expect(iq.getChild('ping', 'urn:xmpp:ping')?.parent).toBe(iq);
  });

  it('parseXml() with surrounding whitespace and spaces inside tags succeeds', () => {
    const el = parseXml(` \r\n\t<a  x = "1"\n y='2' ><b /></a >\n`);
    expect(el.attrs).toEqual({ x: '1', y: '2' });
    expect(el.getChild('b')).toBeDefined();
  });

  it('parseXml() with entity and character references decodes them', () => {
    const el = parseXml(`<a v="&lt;&gt;&amp;&quot;&apos;&#65;&#x1F600;">&lt;b&gt; &#233;&#xe9;</a>`);
    expect(el.attrs.v).toBe(`<>&"'A😀`);
    expect(el.getText()).toBe('<b> éé');
  });

  it('parseXml() with CDATA merges it into the surrounding text', () => {
    const el = parseXml('<a>x<![CDATA[<y> & ]] >]]>z</a>');
    expect(el.children).toEqual(['x<y> & ]] >z']);
  });

  it('parseXml() normalizes line ends in text and whitespace in attribute values', () => {
    const el = parseXml('<a v="1\t2\r\n3&#10;4">x\r\ny\rz</a>');
    expect(el.attrs.v).toBe('1 2 3\n4');
    expect(el.getText()).toBe('x\ny\nz');
  });

  it('parseXml() with unicode names and text keeps them', () => {
    const el = parseXml('<café xmlns="urn:x" ñ="ü">日本語 🎉</café>');
    expect(el.name).toBe('café');
    expect(el.attrs['ñ']).toBe('ü');
    expect(el.getText()).toBe('日本語 🎉');
  });

  it('parseXml() with declared prefixes accepts prefixed elements and xml:lang', () => {
    const el = parseXml(
      `<stream:error xmlns:stream="${NS_STREAMS}"><text xml:lang="en">x</text><stream:a/></stream:error>`,
    );
    expect(el.name).toBe('stream:error');
    expect(el.getChild('text')?.attrs['xml:lang']).toBe('en');
  });

  it('parseXml() with a constructor attribute does not confuse it with a duplicate', () => {
    expect(parseXml('<a constructor="x" toString="y"/>').attrs.constructor).toBe('x');
  });

  it(`parseXml() at exactly ${MAX_XML_DEPTH} levels succeeds`, () => {
    const doc = '<a>'.repeat(MAX_XML_DEPTH) + '</a>'.repeat(MAX_XML_DEPTH);
    expect(conditionOf(doc)).toBe('ok');
  });

  it('parseXml() with maxBytes equal to the UTF-8 length succeeds', () => {
    const doc = '<a>é😀</a>';
    expect(conditionOf(doc, { maxBytes: 13 })).toBe('ok');
  });
});

describe('parseXml() rejects', () => {
  const notWellFormed: Array<[string, string]> = [
    ['mismatched end tag', '<a><b></a>'],
    ['mismatched end tag at root', '<a></b>'],
    ['unbalanced end tag', '<a></a></a>'],
    ['incomplete document', '<a><b/>'],
    ['truncated start tag', '<a x="1"'],
    ['truncated end tag', '<a></a'],
    ['lone <', '<a><</a>'],
    ['empty input', ''],
    ['whitespace only', '  \n '],
    ['more than one root', '<a/><b/>'],
    ['text before the root', 'x<a/>'],
    ['text after the root', '<a/>x'],
    ['CDATA outside the root', '<![CDATA[x]]><a/>'],
    ['unterminated CDATA', '<a><![CDATA[x</a>'],
    ['invalid element name', '<1a/>'],
    ['invalid attribute name', '<a -x="1"/>'],
    ['empty prefix', '<:a/>'],
    ['two colons in a name', '<a:b:c xmlns:a="urn:a"/>'],
    ['undeclared element prefix', '<p:a/>'],
    ['undeclared attribute prefix', '<a p:x="1"/>'],
    ['empty prefix declaration', '<p:a xmlns:p=""/>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['bare ampersand', '<a>fish & chips</a>'],
    ['ampersand without semicolon in attribute', '<a x="&amp"/>'],
    ['invalid character reference', '<a>&#0;</a>'],
    ['malformed character reference', '<a>&#xZZ;</a>'],
    ['surrogate character reference', '<a>&#xD800;</a>'],
    ['control character in text', '<a>\u0001</a>'],
    ['control character in attribute', '<a x="\u0007"/>'],
    ['U+FFFE in text', '<a>\ufffe</a>'],
    ["']]>' in text", '<a>]]></a>'],
    ['< in attribute value', '<a x="a<b"/>'],
    ['unterminated attribute value', '<a x="1/>'],
    ['unquoted attribute value', '<a x=1/>'],
    ['attribute without value', '<a x/>'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['missing whitespace between attributes', '<a x="1"y="2"/>'],
    ['unknown markup declaration', '<a><!x></a>'],
    ['garbage after slash', '<a/ x>'],
    ['space inside />', '<a><b / ></a>'],
  ];
  for (const [label, input] of notWellFormed) {
    it(`parseXml() with ${label} throws not-well-formed`, () => {
      expect(conditionOf(input)).toBe('not-well-formed');
    });
  }

  const restrictedXml: Array<[string, string]> = [
    ['a comment', '<a><!-- hi --></a>'],
    ['a comment before the root', '<!-- hi --><a/>'],
    ['an XML declaration', '<?xml version="1.0"?><a/>'],
    ['a processing instruction', '<a><?pi data?></a>'],
    ['a DOCTYPE', '<!DOCTYPE a><a/>'],
    ['an ENTITY declaration', '<!ENTITY x "y"><a/>'],
  ];
  for (const [label, input] of restrictedXml) {
    it(`parseXml() with ${label} throws restricted-xml`, () => {
      expect(conditionOf(input)).toBe('restricted-xml');
    });
  }

  it('parseXml() over maxBytes throws policy-violation', () => {
    expect(conditionOf('<a>xxxx</a>', { maxBytes: 10 })).toBe('policy-violation');
  });

  it('parseXml() over maxBytes only in UTF-8 bytes throws policy-violation', () => {
    const doc = '<a>é😀</a>';
    expect(doc.length).toBeLessThanOrEqual(12);
    expect(conditionOf(doc, { maxBytes: 12 })).toBe('policy-violation');
  });

  it(`parseXml() nested deeper than ${MAX_XML_DEPTH} throws policy-violation`, () => {
    const depth = MAX_XML_DEPTH + 1;
    expect(conditionOf('<a>'.repeat(depth) + '</a>'.repeat(depth))).toBe('policy-violation');
    expect(conditionOf('<a>'.repeat(depth - 1) + '<b/>' + '</a>'.repeat(depth - 1))).toBe('policy-violation');
  });

  it('parseXml() with a __proto__ attribute throws policy-violation', () => {
    expect(conditionOf('<a __proto__="x"/>')).toBe('policy-violation');
  });

  it('parseXml() with a huge unterminated document fails fast', () => {
    const doc = '<a>' + '&amp;'.repeat(200_000);
    const start = Date.now();
    expect(conditionOf(doc)).toBe('not-well-formed');
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('getNamespace()', () => {
  it('getNamespace() returns own, inherited and prefixed namespaces', () => {
    const el = parseXml(
      `<a xmlns="urn:a" xmlns:p="urn:p"><b><p:c/><d xmlns="urn:d"/><e xml:lang="en"/></b></a>`,
    );
    const b = el.getChild('b')!;
    expect(getNamespace(el)).toBe('urn:a');
    expect(getNamespace(b)).toBe('urn:a');
    expect(getNamespace(b.getChildElements()[0]!)).toBe('urn:p');
    expect(getNamespace(b.getChild('d')!)).toBe('urn:d');
    expect(getNamespace(parseXml('<xml:x/>'))).toBe(NS_XML);
  });

  it('getNamespace() without any declaration returns undefined', () => {
    expect(getNamespace(parseXml('<a><b/></a>').getChild('b')!)).toBeUndefined();
    expect(getNamespace(parseXml('<a xmlns="urn:a"><b xmlns=""/></a>').getChild('b')!)).toBeUndefined();
  });
});
