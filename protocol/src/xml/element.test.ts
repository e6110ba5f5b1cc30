import { describe, it, expect } from 'vitest';
import equal from 'ltx/src/equal.js';
import { Element as LtxElement } from 'ltx';
import { Element, serialize, xml } from './element.ts';
import { parseXml } from './parse.ts';
import { NS_PING } from './namespaces.ts';

describe('xml()', () => {
  it('xml() with null/undefined attributes omits them and stringifies the rest', () => {
    const el = xml('iq', { type: 'get', id: 7, to: undefined, from: null, urgent: true });
    expect(el.attrs).toEqual({ type: 'get', id: '7', urgent: 'true' });
  });

  it('xml() with mixed children skips absent ones, flattens arrays and stringifies numbers', () => {
    const el = xml('a', null, 'x', null, undefined, false, [xml('b'), null, 'y'], 5);
    expect(el.children.map((c) => (typeof c === 'string' ? c : c.name))).toEqual(['x', 'b', 'y', '5']);
  });

  it('xml() children get their parent set', () => {
    const child = xml('ping', { xmlns: NS_PING });
    const iq = xml('iq', { type: 'get' }, child);
    expect(child.parent).toBe(iq);
    expect(iq.getChild('ping', NS_PING)).toBe(child);
  });

  it('Element is the same class ltx exports', () => {
    expect(Element).toBe(LtxElement);
    expect(xml('a')).toBeInstanceOf(LtxElement);
  });
});

describe('serialize()', () => {
  it('serialize() of an empty element self-closes', () => {
    expect(serialize(xml('ping', { xmlns: NS_PING }))).toBe('<ping xmlns="urn:xmpp:ping"/>');
  });

  it('serialize() escapes special characters in text and attributes', () => {
    const el = xml('body', { title: `a&b<c>d"e'f` }, `1 & 2 < 3 > 0 "q" 'a'`);
    expect(serialize(el)).toBe(
      `<body title="a&amp;b&lt;c&gt;d&quot;e&apos;f">1 &amp; 2 &lt; 3 &gt; 0 "q" 'a'</body>`,
    );
  });

  it('serialize() matches ltx toString() for ordinary elements', () => {
    const el = xml('iq', { type: 'set', id: 'x&y' }, xml('q', { xmlns: 'urn:q' }, 'a<b', xml('r')));
    expect(serialize(el)).toBe(el.toString());
  });

  it('serialize() escapes TAB/LF/CR in attributes and CR in text so they survive a parse', () => {
    const el = xml('a', { v: 'x\ty\nz\r' }, 'l1\r\nl2\n');
    const back = parseXml(serialize(el));
    expect(back.attrs.v).toBe('x\ty\nz\r');
    expect(back.getText()).toBe('l1\r\nl2\n');
  });

  it('serialize() then parseXml() round-trips escaping and unicode', () => {
    const text = `& < > " ' ]]> héllo 世界 🎉`;
    const el = xml(
      'message',
      { to: 'room@conference.example.com', 'data-x': text },
      xml('body', null, text),
      xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Zoë 🎧'),
    );
    const back = parseXml(serialize(el));
    expect(equal(back, el)).toBe(true);
    expect(back.attrs['data-x']).toBe(text);
    expect(back.getChildText('body')).toBe(text);
  });

  it('parseXml() → serialize() → parseXml() yields an equal tree', () => {
    const source =
      `<iq xmlns="jabber:client" type="set" id="a1" to="focus@auth.example.com/focus">` +
      `<conference xmlns="http://jitsi.org/protocol/focus" room="r@c.example.com">` +
      `<property name="k" value="&quot;v&apos; &amp; &lt;w&gt;"/>` +
      `<x>t&#x1F600;&#233;<![CDATA[<raw & stuff>]]></x></conference></iq>`;
    const first = parseXml(source);
    const second = parseXml(serialize(first));
    expect(equal(second, first)).toBe(true);
    expect(serialize(second)).toBe(serialize(first));
    expect(second.getChild('conference')?.getChildText('x')).toBe('t😀é<raw & stuff>');
  });
});
