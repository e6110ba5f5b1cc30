/**
 * Mutations of real Jitsi stanzas for the XMPP fuzzer: the golden stanzas in
 * test/fixtures/stanzas plus a MUC join with Jitsi's presence extensions, a conference IQ, a
 * json-message and an av_moderation command, addressed to the room, the focus, an occupant, the
 * components or the server, with attributes dropped, swapped, made huge, namespaces changed,
 * children duplicated, XML or JSON nested deep, and raw text corrupted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseXml, serialize, xml, type Element } from '@edgemeet/protocol';
import { deepJson } from './json-mutator.ts';
import type { Prng } from './prng.ts';

const FIXTURES = new URL('../fixtures/stanzas/', import.meta.url);

export interface StanzaTargets { room: string; focusOccupant: string; occupant: string; focus: string; avModeration: string; server: string }

/** The seed stanzas, as templates whose `to` the mutator sets. */
export function seedStanzas(t: StanzaTargets): Element[] {
  const seeds: Element[] = [];
  for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.xml'))) {
    const el = parseXml(readFileSync(new URL(name, FIXTURES), 'utf8').trim());
    if (el.name === 'jingle') seeds.push(xml('iq', { type: 'set', to: t.focusOccupant }, el));
    else if (el.name === 'iq' || el.name === 'message' || el.name === 'presence') seeds.push(el);
    else seeds.push(xml('iq', { type: 'set', to: t.focus }, el));
  }
  seeds.push(
    xml('presence', { to: `${t.room}/mallory` },
      xml('x', { xmlns: 'http://jabber.org/protocol/muc' }), xml('stats-id', null, 'Fuzzy-Fox-1'),
      xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://jitsi.org/jitsi-meet', ver: 'abc=' }),
      xml('SourceInfo', null, '{"mallory-a0":{"muted":true},"mallory-v0":{"muted":false}}'),
      xml('jitsi_participant_codecList', null, 'vp9,vp8,h264'), xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Mallory')),
    xml('iq', { type: 'set', to: t.focus }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: t.room, 'machine-uid': 'm1' },
      xml('property', { name: 'startAudioMuted', value: '9' }))),
    xml('message', { to: t.room, type: 'groupchat' }, xml('json-message', { xmlns: 'http://jitsi.org/jitmeet' }, '{"type":"e2e-ping-request","id":1}')),
    xml('message', { to: t.occupant, type: 'chat' }, xml('json-message', { xmlns: 'http://jitsi.org/jitmeet' }, '{"type":"polls","answers":[1,2]}')),
    xml('message', { to: t.avModeration }, xml('av_moderation', { xmlns: 'http://jitsi.org/jitmeet', enable: 'true', mediaType: 'audio' })),
    xml('message', { to: t.avModeration }, xml('av_moderation', { xmlns: 'http://jitsi.org/jitmeet', jidToWhitelist: t.occupant, mediaType: 'video' })),
    xml('iq', { type: 'set', to: t.focusOccupant }, xml('mute', { xmlns: 'http://jitsi.org/jitmeet/audio', jid: t.occupant }, 'true')),
  );
  return seeds;
}

function clone(el: Element): Element {
  return parseXml(serialize(el));
}

function elements(el: Element): Element[] {
  const out: Element[] = [el];
  for (const c of el.children) if (typeof c !== 'string') out.push(...elements(c));
  return out;
}

const NAMESPACES = ['urn:xmpp:jingle:1', 'http://jitsi.org/jitmeet', 'jitsi:colibri2', 'urn:example:nope', 'http://jabber.org/protocol/muc#admin', ''];

function mutateTree(rnd: Prng, root: Element): string | null {
  const all = elements(root);
  const target = rnd.pick(all);
  switch (rnd.int(0, 9)) {
    case 0: {
      const keys = Object.keys(target.attrs);
      if (keys.length > 0) target.attrs[rnd.pick(keys)] = rnd.pick(['', 'x'.repeat(rnd.int(1000, 5000)), '-1', '4294967296', 'zzz', 'NaN', '💥', rnd.string(8)]);
      return null;
    }
    case 1: {
      const keys = Object.keys(target.attrs).filter((k) => k !== 'xmlns');
      if (keys.length > 0) delete target.attrs[rnd.pick(keys)];
      return null;
    }
    case 2:
      target.attrs.xmlns = rnd.pick(NAMESPACES);
      return null;
    case 3: {
      const child = target.children.find((c): c is Element => typeof c !== 'string');
      if (child) for (let i = rnd.int(1, 60); i > 0; i--) target.children.push(clone(child));
      return null;
    }
    case 4: {
      // As text: our own parser refuses what is nested deeper than MAX_XML_DEPTH, as the edge must.
      const depth = rnd.int(20, 400);
      const nested = `${'<n>'.repeat(depth)}${'</n>'.repeat(depth)}`;
      const text = serialize(root);
      return text.endsWith('/>') ? `${text.slice(0, -2)}>${nested}</${root.name}>` : text.replace(new RegExp(`</${root.name}>$`), `${nested}</${root.name}>`);
    }
    case 5:
      target.children = [rnd.pick([deepJson(rnd.int(33, 3000), 'mixed', rnd), `[${'1,'.repeat(rnd.int(1025, 3000))}1]`, '{"sources":{"a":[[{"s":1}]]', 'x'.repeat(rnd.int(100, 20_000))])];
      return null;
    case 6: {
      const text = serialize(root);
      const at = rnd.int(0, text.length);
      return text.slice(0, at) + rnd.pick(['<', '>', '&', '"', '\u0000', '<!--x-->', '<?pi?>', ']]>', '</iq>']) + text.slice(at);
    }
    case 7:
      root.attrs.type = rnd.pick(['get', 'set', 'result', 'error', 'groupchat', 'chat', 'unavailable', 'subscribe', rnd.string(4)]);
      return null;
    default:
      return null;
  }
}

/** One fuzz case: a stanza (or a frame that is not one) from the attacker. */
export function stanzaCase(rnd: Prng, seeds: readonly Element[], t: StanzaTargets, n: number): { kind: string; text: string } {
  const el = clone(rnd.pick(seeds));
  if (rnd.chance(0.3)) el.attrs.to = rnd.pick([t.room, t.focusOccupant, t.occupant, t.focus, t.avModeration, t.server, 'other@conference.meet.jitsi', 'evil.example', '@@@']);
  el.attrs.id = `fz${n}`;
  delete el.attrs.from;
  el.attrs.xmlns = 'jabber:client';
  let kind = `${el.name} ${el.children.find((c): c is Element => typeof c !== 'string')?.name ?? ''}`.trim();
  let raw: string | null = null;
  for (let i = rnd.int(1, 3); i > 0 && raw === null; i--) raw = mutateTree(rnd, el);
  if (raw !== null) kind += ' (corrupted text)';
  return { kind, text: raw ?? serialize(el) };
}
