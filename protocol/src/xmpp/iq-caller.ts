/**
 * Sends IQ requests and matches their responses by id (RFC 6120 §8.2.3), with a timeout per
 * request and a way to fail everything pending when the channel closes.
 * @module
 */
import type { Element } from '../xml/element.ts';
import { AppError, InvalidStateError } from '../errors.ts';
import { StanzaError } from './stanza-error.ts';
import { tryParseJid } from './jid.ts';

export interface IqCallerOptions {
  /** Puts a request on the wire; a throw rejects that request. */
  send: (iq: Element) => void;
  /** Default per-request timeout. */
  timeoutMs?: number;
  /** Prefix of generated ids; defaults to a random one per caller. */
  idPrefix?: string;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface TimerHost {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface PendingRequest {
  resolve: (iq: Element) => void;
  reject: (err: unknown) => void;
  to: string | undefined;
  timer: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const timerHost = globalThis as unknown as TimerHost;

/**
 * RFC 6120 §8.1.2.1: a request without `to` goes to the sender's own account or server, which
 * may answer from the bare JID, the domain or with no `from` at all, so anything is accepted.
 */
function responderMatches(to: string | undefined, from: unknown): boolean {
  if (to === undefined) return true;
  if (typeof from !== 'string') return false;
  if (from === to) return true;
  const a = tryParseJid(to);
  const b = tryParseJid(from);
  return a !== undefined && b !== undefined && a.equals(b);
}

/**
 * @example
 * const caller = new IqCaller({ send: (iq) => ws.send(serialize(iq)) });
 * const ping = xml('iq', { type: 'get', to: bridge }, xml('ping', { xmlns: NS_PING }));
 * const reply = await caller.request(ping);
 * // incoming: if (caller.handleResponse(stanza)) return;
 */
export class IqCaller {
  readonly #send: (iq: Element) => void;
  readonly #timeoutMs: number;
  readonly #idPrefix: string;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #pending = new Map<string, PendingRequest>();
  #lastId = 0;

  constructor(options: IqCallerOptions) {
    const {
      send,
      timeoutMs = DEFAULT_TIMEOUT_MS,
      idPrefix = `${Math.random().toString(36).slice(2, 8)}-`,
      setTimer = (fn, ms) => timerHost.setTimeout(fn, ms),
      clearTimer = (handle) => timerHost.clearTimeout(handle),
    } = options;
    if (typeof send !== 'function') throw new TypeError('send must be a function');
    if (!(timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive number');
    this.#send = send;
    this.#timeoutMs = timeoutMs;
    this.#idPrefix = idPrefix;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
  }

  /** Number of requests still waiting for a response. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends a get/set IQ (assigning an id if it has none) and resolves with the `result` stanza.
   * Rejects with `StanzaError.fromElement()` on an `error` response and with
   * `AppError('timeout')` when nothing matching arrives within `timeoutMs`.
   */
  request(iq: Element, timeoutMs: number = this.#timeoutMs): Promise<Element> {
    const { type, to } = iq.attrs as Record<string, unknown>;
    if (iq.name !== 'iq' || (type !== 'get' && type !== 'set')) {
      return Promise.reject(new TypeError('request() expects an <iq/> of type get or set'));
    }
    let id = iq.attrs.id as unknown;
    if (typeof id !== 'string' || id === '') {
      id = `${this.#idPrefix}${++this.#lastId}`;
      iq.attrs.id = id;
    }
    const key = id as string;
    if (this.#pending.has(key)) {
      return Promise.reject(new TypeError(`a request with id ${key} is already pending`));
    }
    return new Promise<Element>((resolve, reject) => {
      const entry: PendingRequest = {
        resolve,
        reject,
        to: typeof to === 'string' ? to : undefined,
        timer: this.#setTimer(() => {
          if (this.#pending.get(key) !== entry) return;
          this.#pending.delete(key);
          reject(new AppError('timeout', `no response to IQ ${key} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#pending.set(key, entry);
      try {
        this.#send(iq);
      } catch (err) {
        this.#pending.delete(key);
        this.#clearTimer(entry.timer);
        reject(err);
      }
    });
  }

  /**
   * Offers an incoming stanza. Returns true when it was the `result`/`error` response to a
   * pending request from the JID that request was addressed to; anything else is left alone.
   */
  handleResponse(iq: Element): boolean {
    if (iq.name !== 'iq') return false;
    const { type, id, from } = iq.attrs as Record<string, unknown>;
    if ((type !== 'result' && type !== 'error') || typeof id !== 'string') return false;
    const entry = this.#pending.get(id);
    if (!entry || !responderMatches(entry.to, from)) return false;
    this.#pending.delete(id);
    this.#clearTimer(entry.timer);
    if (type === 'result') entry.resolve(iq);
    else entry.reject(StanzaError.fromElement(iq));
    return true;
  }

  /** Rejects every pending request with an `InvalidStateError`; the caller stays usable. */
  closeAll(reason = 'IQ channel closed'): void {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of entries) {
      this.#clearTimer(entry.timer);
      entry.reject(new InvalidStateError(reason));
    }
  }
}
