/**
 * Asking a client what it supports (XEP-0030 disco#info), as Jicofo does for each participant
 * before inviting it, and reading the answer's feature list. lib-jitsi-meet answers with its
 * XEP-0115 caps features (`http://jitsi.org/ssrc-rewriting-1` when its flag is on, and so on).
 * @module
 */
import { NS_DISCO_INFO } from '../xml/namespaces.ts';
import { xml, type Element } from '../xml/element.ts';

/** The client can receive media on the bridge's SSRCs, with sources announced over the bridge channel. */
export const FEATURE_SSRC_REWRITING = 'http://jitsi.org/ssrc-rewriting-1';

/** Most features read from one answer; the rest are ignored. */
const MAX_FEATURES = 200;

export function buildDiscoInfoGet(to: string, id: string): Element {
  return xml('iq', { type: 'get', to, id }, xml('query', { xmlns: NS_DISCO_INFO }));
}

/** The `var`s of a disco#info result's features (at most 200); null if `iq` is not such a result. */
export function parseDiscoFeatures(iq: Element): string[] | null {
  if (iq.name !== 'iq' || iq.attrs.type !== 'result') return null;
  const query = iq.getChild('query', NS_DISCO_INFO);
  if (!query) return null;
  const out: string[] = [];
  for (const f of query.getChildren('feature')) {
    const v = f.attrs.var;
    if (typeof v === 'string' && v.length <= 256) out.push(v);
    if (out.length >= MAX_FEATURES) break;
  }
  return out;
}
