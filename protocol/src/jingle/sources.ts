/**
 * `<source/>` (XEP-0339 with Jitsi's ssrc-info, videoType, name) and `<ssrc-group/>`.
 * @module
 */
import { AppError } from '../errors.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_JINGLE_SSMA, NS_JITMEET } from '../xml/namespaces.ts';
import { children, optStr, reqInt, reqStr } from './attrs.ts';
import type { SsrcGroup, SsrcSource } from './types.ts';

export function parseSource(el: Element): SsrcSource {
  const src: SsrcSource = { ssrc: reqInt(el, 'ssrc', 1) };
  const name = optStr(el, 'name');
  if (name !== undefined) src.name = name;
  const videoType = optStr(el, 'videoType');
  if (videoType !== undefined) {
    if (videoType !== 'camera' && videoType !== 'desktop') throw new AppError('bad-request', 'videoType must be camera or desktop');
    src.videoType = videoType;
  }
  const rid = optStr(el, 'rid');
  if (rid !== undefined) src.rid = rid;
  for (const p of children(el, 'parameter')) if (p.attrs.name === 'msid' && typeof p.attrs.value === 'string') src.msid = p.attrs.value;
  const owner = children(el, 'ssrc-info')[0]?.attrs.owner;
  if (typeof owner === 'string') src.owner = owner.includes('/') ? owner.slice(owner.lastIndexOf('/') + 1) : owner;
  return src;
}

export function buildSource(s: SsrcSource): Element {
  return xml('source', { xmlns: NS_JINGLE_SSMA, ssrc: s.ssrc, name: s.name, videoType: s.videoType, rid: s.rid },
    s.owner !== undefined ? xml('ssrc-info', { xmlns: NS_JITMEET, owner: s.owner }) : null,
    s.msid !== undefined ? xml('parameter', { name: 'msid', value: s.msid }) : null);
}

export function parseGroup(el: Element): SsrcGroup {
  const ssrcs = children(el, 'source').map((s) => reqInt(s, 'ssrc', 1));
  if (ssrcs.length === 0) throw new AppError('bad-request', 'an ssrc-group needs sources');
  return { semantics: reqStr(el, 'semantics'), ssrcs };
}

export function buildGroup(g: SsrcGroup): Element {
  return xml('ssrc-group', { xmlns: NS_JINGLE_SSMA, semantics: g.semantics }, ...g.ssrcs.map((ssrc) => xml('source', { ssrc })));
}

/** Sources and groups that are direct children of `parent`. */
export function parseSourcesIn(parent: Element): { sources: SsrcSource[]; groups: SsrcGroup[] } {
  return { sources: children(parent, 'source').map(parseSource), groups: children(parent, 'ssrc-group').map(parseGroup) };
}
