/**
 * Stanza envelopes built the same way everywhere: an IQ around its payload, and the error answer to
 * an IQ (RFC 6120 §8.2.3, §8.3). Addresses are given, not swapped: the sender's host stamps `from`.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import type { StanzaError } from './stanza-error.ts';

/**
 * @example
 * buildIq('set', 'focus.meet.jitsi', 'c1', buildConferenceRequest(request));
 * buildIq('result', iq.attrs.from, iq.attrs.id);
 */
export function buildIq(type: 'get' | 'set' | 'result', to: string | undefined, id: string | undefined, payload?: Element): Element {
  return xml('iq', { type, to, id }, payload);
}

/** `<iq type="error" to id><error …/></iq>` answering the IQ `id` from `to`. */
export function buildIqError(to: string | undefined, id: string | undefined, error: StanzaError): Element {
  return xml('iq', { type: 'error', to, id }, error.toElement());
}
