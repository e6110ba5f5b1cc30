/**
 * The application-wide error base and the one table that maps each error code to an HTTP status
 * and an XMPP stanza error (RFC 6120 §8.3).
 * @module
 */
import type { StanzaErrorCondition, StanzaErrorType } from './xmpp/stanza-conditions.ts';

export type ErrorCode =
  | 'bad-request'
  | 'not-authorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'not-allowed'
  | 'not-acceptable'
  | 'resource-constraint'
  | 'service-unavailable'
  | 'feature-not-implemented'
  | 'internal'
  | 'timeout'
  | 'registration-required'
  | 'jid-malformed'
  | 'policy-violation';

/**
 * A classified failure. Its message is meant for the peer (HTTP body, stanza error `<text/>`),
 * except for code `internal`, whose message is only logged.
 *
 * @example
 * throw new AppError('not-found', `room ${name} does not exist`);
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A request channel was used after it closed, or closed while a request was pending
 * (the DOMException name, as in mediasoup's `errors.ts`).
 */
export class InvalidStateError extends Error {
  override readonly name: string = 'InvalidStateError';
}

export interface ErrorMapping {
  readonly http: number;
  readonly xmppType: StanzaErrorType;
  readonly xmppCondition: StanzaErrorCondition;
}

/** `ErrorCode` → HTTP status and RFC 6120 §8.3 error type/condition. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = Object.freeze({
  'bad-request': { http: 400, xmppType: 'modify', xmppCondition: 'bad-request' },
  'not-authorized': { http: 401, xmppType: 'auth', xmppCondition: 'not-authorized' },
  forbidden: { http: 403, xmppType: 'auth', xmppCondition: 'forbidden' },
  'not-found': { http: 404, xmppType: 'cancel', xmppCondition: 'item-not-found' },
  conflict: { http: 409, xmppType: 'cancel', xmppCondition: 'conflict' },
  'not-allowed': { http: 405, xmppType: 'cancel', xmppCondition: 'not-allowed' },
  'not-acceptable': { http: 406, xmppType: 'modify', xmppCondition: 'not-acceptable' },
  'resource-constraint': { http: 429, xmppType: 'wait', xmppCondition: 'resource-constraint' },
  'service-unavailable': { http: 503, xmppType: 'cancel', xmppCondition: 'service-unavailable' },
  'feature-not-implemented': {
    http: 501,
    xmppType: 'cancel',
    xmppCondition: 'feature-not-implemented',
  },
  internal: { http: 500, xmppType: 'cancel', xmppCondition: 'internal-server-error' },
  timeout: { http: 504, xmppType: 'wait', xmppCondition: 'remote-server-timeout' },
  'registration-required': { http: 403, xmppType: 'auth', xmppCondition: 'registration-required' },
  'jid-malformed': { http: 400, xmppType: 'modify', xmppCondition: 'jid-malformed' },
  'policy-violation': { http: 403, xmppType: 'modify', xmppCondition: 'policy-violation' },
});
