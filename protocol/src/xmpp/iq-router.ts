/**
 * Routes incoming IQ requests to handlers by `(type, payload namespace, payload name)` and turns
 * every outcome into the reply RFC 6120 §8.2.3 requires: exactly one `result` or `error`.
 * @module
 */
import { Element, xml } from '../xml/element.ts';
import { getNamespace } from '../xml/parse.ts';
import { AppError } from '../errors.ts';
import { StanzaError, errorReply } from './stanza-error.ts';

/**
 * Handles one IQ request. Returns the result payload (`null`/`undefined` for an empty result),
 * or throws a `StanzaError` or `AppError` to answer with an error.
 */
export type IqHandler<C> = (
  ctx: C,
  iq: Element,
  payload: Element,
) => Element | null | void | Promise<Element | null | void>;

export interface IqRouterOptions {
  /** Called with any handler failure answered as `internal-server-error`, so the host can log it. */
  onHandlerError?: (err: unknown, iq: Element) => void;
}

type RequestType = 'get' | 'set';

function key(type: string, ns: string, name: string): string {
  return `${type}\n${name}\n${ns}`;
}

/**
 * @example
 * const router = new IqRouter<Session>({ onHandlerError: (e) => log.error('iq.failed', { e }) })
 *   .on('get', NS_PING, 'ping', () => null);
 * const reply = await router.route(session, iq);
 * if (reply) session.send(reply);
 */
export class IqRouter<C> {
  readonly #handlers = new Map<string, IqHandler<C>>();
  readonly #onHandlerError: ((err: unknown, iq: Element) => void) | undefined;

  constructor(options?: IqRouterOptions) {
    this.#onHandlerError = options?.onHandlerError;
  }

  /** Registers the handler for `<iq type={type}><{name} xmlns={ns}/></iq>`; one per key. */
  on(type: RequestType, ns: string, name: string, handler: IqHandler<C>): this {
    if (type !== 'get' && type !== 'set') throw new TypeError(`invalid IQ type ${String(type)}`);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    const k = key(type, ns, name);
    if (this.#handlers.has(k)) throw new TypeError(`a handler for ${type} {${ns}}${name} exists`);
    this.#handlers.set(k, handler);
    return this;
  }

  /** Whether `iq` is a well-formed get/set request with a registered handler. */
  has(iq: Element): boolean {
    if (iq.name !== 'iq') return false;
    const payload = requestPayload(iq);
    return typeof payload !== 'string' && this.#handlerFor(iq, payload) !== undefined;
  }

  /**
   * Handles `iq` and returns the reply to send, or `undefined` for `result`/`error` IQs (which
   * are responses, RFC 6120 §8.2.3, and belong to an `IqCaller`).
   */
  async route(ctx: C, iq: Element): Promise<Element | undefined> {
    if (iq.name !== 'iq') throw new TypeError(`route() expects an <iq/>, got <${iq.name}/>`);
    const { type } = iq.attrs as Record<string, unknown>;
    if (type === 'result' || type === 'error') return undefined;
    const payload = requestPayload(iq);
    if (typeof payload === 'string') {
      return errorReply(iq, new StanzaError('bad-request', { text: payload }));
    }
    const handler = this.#handlerFor(iq, payload);
    if (!handler) return errorReply(iq, new StanzaError('service-unavailable'));
    try {
      const result = await handler(ctx, iq, payload);
      return resultReply(iq, result ?? undefined);
    } catch (err) {
      const internal =
        !(err instanceof StanzaError) && (!(err instanceof AppError) || err.code === 'internal');
      if (internal) this.#onHandlerError?.(err, iq);
      return errorReply(iq, StanzaError.from(err));
    }
  }

  #handlerFor(iq: Element, payload: Element): IqHandler<C> | undefined {
    const type = iq.attrs.type as string;
    return this.#handlers.get(key(type, getNamespace(payload) ?? '', payload.getName()));
  }
}

/** The single payload of a get/set request, or why the request is malformed (RFC 6120 §8.2.3). */
function requestPayload(iq: Element): Element | string {
  const { type, id } = iq.attrs as Record<string, unknown>;
  if (type !== 'get' && type !== 'set') return 'IQ type must be get or set';
  if (typeof id !== 'string' || id === '') return 'IQ requires an id';
  const payloads = iq.getChildElements();
  const payload = payloads[0];
  if (payloads.length !== 1 || !payload) return 'IQ get/set must have exactly one child element';
  return payload;
}

/**
 * The `result` reply to `iq` (RFC 6120 §8.2.3): same id, addresses swapped, optional payload.
 *
 * @example
 * session.send(resultReply(iq, xml('query', { xmlns: NS_DISCO_INFO }, ...features)));
 */
export function resultReply(iq: Element, payload?: Element): Element {
  const { xmlns, id, from, to } = iq.attrs as Record<string, string | undefined>;
  return xml('iq', { xmlns, type: 'result', id, to: from, from: to }, payload);
}
