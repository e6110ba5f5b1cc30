/**
 * Jitsi's `<json-message xmlns="http://jitsi.org/jitmeet">` (jitsi-wire-protocol §2.2, §3.4):
 * JSON between clients over XMPP (endpoint messages, polls) and from components (av_moderation,
 * speakerstats) to clients. What a client sends is bounded like any untrusted JSON
 * ({@link JSON_MESSAGE_LIMITS}) before anyone relays it: the recipients parse and walk it.
 * @module
 */
import { AppError } from '../errors.ts';
import { DEFAULT_JSON_LIMITS, parseBoundedJson, type JsonLimits } from '../json/bounded-json.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_JITMEET } from '../xml/namespaces.ts';
import { StanzaError } from './stanza-error.ts';

export const JSON_MESSAGE_LIMITS: JsonLimits = DEFAULT_JSON_LIMITS;

function isJsonMessage(c: unknown): c is Element {
  return typeof c === 'object' && c !== null && (c as Element).name === 'json-message' && (c as Element).attrs.xmlns === NS_JITMEET;
}

/** The JSON of one `<json-message/>`; throws StanzaError bad-request if it is not JSON or over `limits`. */
export function parseJsonMessage(el: Element, limits: JsonLimits = JSON_MESSAGE_LIMITS): unknown {
  try {
    return parseBoundedJson(el.text(), limits);
  } catch (err) {
    throw new StanzaError('bad-request', { text: `json-message: ${err instanceof AppError ? err.message : 'not JSON'}` });
  }
}

/** Refuses (StanzaError bad-request) a stanza carrying a `<json-message/>` child that is not bounded JSON. */
export function checkJsonMessages(stanza: Element, limits: JsonLimits = JSON_MESSAGE_LIMITS): void {
  for (const c of stanza.children) if (isJsonMessage(c)) parseJsonMessage(c, limits);
}

/**
 * A component's `<json-message/>` to a client.
 *
 * @example
 * buildJsonMessage({ type: 'av_moderation', enabled: true, mediaType: 'audio' });
 */
export function buildJsonMessage(body: Record<string, unknown>): Element {
  return xml('json-message', { xmlns: NS_JITMEET }, JSON.stringify(body));
}
