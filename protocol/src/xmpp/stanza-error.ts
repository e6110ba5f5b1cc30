/**
 * Stanza errors (RFC 6120 §8.3) and stream errors (RFC 6120 §4.9).
 * @module
 */
import { AppError, ERROR_TABLE } from '../errors.ts';
import { Element, xml } from '../xml/element.ts';
import { getNamespace } from '../xml/parse.ts';
import { NS_STANZAS, NS_STREAMS, NS_STREAM_ERRORS } from '../xml/namespaces.ts';
import type { StanzaErrorCondition, StanzaErrorType } from './stanza-conditions.ts';

export type { StanzaErrorCondition, StanzaErrorType } from './stanza-conditions.ts';

/**
 * The error type RFC 6120 §8.3.3 recommends for each condition (for `undefined-condition` it
 * gives none; `cancel` is the conservative choice).
 */
const DEFAULT_TYPE: Readonly<Record<StanzaErrorCondition, StanzaErrorType>> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

const ERROR_TYPES: ReadonlySet<string> = new Set(['auth', 'cancel', 'continue', 'modify', 'wait']);

function isCondition(name: string): name is StanzaErrorCondition {
  return Object.hasOwn(DEFAULT_TYPE, name);
}

export interface StanzaErrorOptions {
  type?: StanzaErrorType;
  text?: string;
  /** An application-specific condition element (RFC 6120 §8.3.4), in its own namespace. */
  application?: Element;
  cause?: unknown;
}

/**
 * An error to send (or received) as a stanza `<error/>` child (RFC 6120 §8.3).
 *
 * @example
 * throw new StanzaError('item-not-found', { text: 'no such conference' });
 */
export class StanzaError extends Error {
  override readonly name: string = 'StanzaError';
  readonly type: StanzaErrorType;
  readonly condition: StanzaErrorCondition;
  readonly text?: string;
  readonly application?: Element;

  constructor(condition: StanzaErrorCondition, options?: StanzaErrorOptions) {
    super(options?.text ?? condition, { cause: options?.cause });
    this.condition = condition;
    this.type = options?.type ?? DEFAULT_TYPE[condition];
    if (options?.text !== undefined) this.text = options.text;
    if (options?.application !== undefined) this.application = options.application;
  }

  /** Builds `<error type=…><condition xmlns=NS_STANZAS/>[<text/>][application]</error>`. */
  toElement(): Element {
    return xml(
      'error',
      { type: this.type },
      xml(this.condition, { xmlns: NS_STANZAS }),
      this.text !== undefined && xml('text', { xmlns: NS_STANZAS }, this.text),
      this.application,
    );
  }

  /**
   * Reads the `<error/>` child of an error stanza (or an `<error/>` element itself). A missing or
   * unknown condition reads as `undefined-condition`; an invalid type as the condition's default.
   *
   * @example
   * const err = StanzaError.fromElement(parseXml(reply)); // err.condition === 'item-not-found'
   */
  static fromElement(stanza: Element): StanzaError {
    const error = stanza.name === 'error' ? stanza : stanza.getChild('error');
    let condition: StanzaErrorCondition = 'undefined-condition';
    let text: string | undefined;
    let application: Element | undefined;
    for (const child of error?.getChildElements() ?? []) {
      if (getNamespace(child) !== NS_STANZAS) application ??= child;
      else if (child.name === 'text') text = child.getText();
      else if (isCondition(child.name)) condition = child.name;
    }
    const type = error?.attrs.type as unknown;
    return new StanzaError(condition, {
      type: typeof type === 'string' && ERROR_TYPES.has(type) ? (type as StanzaErrorType) : undefined,
      text,
      application,
    });
  }

  /**
   * Classifies any thrown value: a `StanzaError` as is, an `AppError` through `ERROR_TABLE`
   * (its message becomes `<text/>` except for code `internal`), anything else as
   * `internal-server-error` with no text, so internal messages never reach the peer.
   */
  static from(err: unknown): StanzaError {
    if (err instanceof StanzaError) return err;
    if (err instanceof AppError) {
      const mapping = ERROR_TABLE[err.code];
      return new StanzaError(mapping.xmppCondition, {
        type: mapping.xmppType,
        text: err.code === 'internal' ? undefined : err.message,
        cause: err,
      });
    }
    return new StanzaError('internal-server-error', { cause: err });
  }
}

/**
 * Builds the error response to `stanza` (RFC 6120 §8.3.1): same name and id, `type="error"`,
 * addresses swapped. Message and presence errors carry the original payload, which §8.3.1 allows;
 * IQ errors do not, to keep replies small.
 *
 * @example
 * ws.send(serialize(errorReply(iq, new StanzaError('forbidden'))));
 */
export function errorReply(stanza: Element, error: StanzaError): Element {
  const { xmlns, id, from, to } = stanza.attrs as Record<string, string | undefined>;
  const reply = xml(stanza.name, { xmlns, type: 'error', id, to: from, from: to });
  if (stanza.name !== 'iq') {
    for (const child of stanza.getChildElements()) {
      if (child.name !== 'error') reply.cnode(cloneElement(child));
    }
  }
  reply.cnode(error.toElement());
  return reply;
}

function cloneElement(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  for (const child of el.children) {
    copy.cnode(typeof child === 'string' ? child : cloneElement(child));
  }
  return copy;
}

/** RFC 6120 §4.9.3. */
export type StreamErrorCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

/**
 * A stream-level error (RFC 6120 §4.9): sent, then the stream is closed.
 *
 * @example
 * catch (e) { if (e instanceof XmlParseError) send(new StreamError(e.condition).toElement()); }
 */
export class StreamError extends Error {
  override readonly name: string = 'StreamError';
  readonly condition: StreamErrorCondition;
  readonly text?: string;

  constructor(condition: StreamErrorCondition, options?: { text?: string; cause?: unknown }) {
    super(options?.text ?? condition, { cause: options?.cause });
    this.condition = condition;
    if (options?.text !== undefined) this.text = options.text;
  }

  /**
   * `<stream:error xmlns:stream=NS_STREAMS>` with the condition and optional `<text/>` in
   * NS_STREAM_ERRORS. Over WebSocket each frame is its own document, so the prefix is declared
   * on the element itself (RFC 7395 §3.6).
   */
  toElement(): Element {
    return xml(
      'stream:error',
      { 'xmlns:stream': NS_STREAMS },
      xml(this.condition, { xmlns: NS_STREAM_ERRORS }),
      this.text !== undefined && xml('text', { xmlns: NS_STREAM_ERRORS }, this.text),
    );
  }
}
