/**
 * One client WebSocket of a Room DO, with its per-connection state kept in the hibernation
 * attachment so that it survives eviction (partyserver's idea). Room logic talks to this
 * interface and never to the raw socket.
 * @module
 */
// Internal: not exported from the package entry.
import type { TokenContext } from '../auth/token-context.ts';

/** Where a connection is in RFC 6120 / 7395 stream negotiation. */
export type StreamStage =
  /** Waiting for the client's first `<open/>`. */
  | 'initial'
  /** Features with SASL mechanisms sent; waiting for `<auth/>`. */
  | 'sasl'
  /** SASL succeeded; waiting for the stream restart `<open/>`. */
  | 'authenticated'
  /** Features with bind and XEP-0198 sent; waiting for bind or resume. */
  | 'bind'
  /** Bound to a session: stanzas flow. */
  | 'session'
  /** Closing: nothing more is read. */
  | 'closed';

export interface ConnectionState {
  /** Random connection id (logs, rate limiting). */
  readonly cid: string;
  stage: StreamStage;
  /** The room named in the URL; stanzas for other rooms are refused. */
  readonly room: string;
  /** JWT from the URL (`?token=`), kept for the authentication step. */
  readonly token: string | null;
  /** The domain the stream was opened to when it is not the server's main domain (guests). */
  domain?: string;
  /** Local part assigned at SASL success (anonymous: a random UUID). */
  node: string | null;
  /** Registry logins: a media node or a recorder (by the credential that verified). */
  kind?: 'bridge' | 'recorder';
  /** What the verified token (if any) said, from SASL success until the session is bound. */
  auth?: TokenContext | null;
  /** Session id once bound or resumed (also the XEP-0198 resumption id). */
  sid: string | null;
  /** An `<r/>` is outstanding on this connection (XEP-0198). */
  ackRequested: boolean;
}

export interface Connection {
  readonly state: ConnectionState;
  /** Persists `state` into the socket attachment after a change. */
  save(): void;
  send(frame: string): void;
  close(code?: number, reason?: string): void;
}

/** A {@link Connection} over a hibernatable WebSocket of a Durable Object. */
export class HibernatingConnection implements Connection {
  readonly #ws: WebSocket;
  readonly state: ConnectionState;

  constructor(ws: WebSocket, state?: ConnectionState) {
    this.#ws = ws;
    this.state = state ?? (ws.deserializeAttachment() as ConnectionState);
  }

  get socket(): WebSocket {
    return this.#ws;
  }

  save(): void {
    this.#ws.serializeAttachment(this.state);
  }

  send(frame: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(frame);
  }

  /**
   * Completes a close the client started: workerd does not echo the close frame for hibernatable
   * sockets, so clients would wait for it. Without a code, because echoing 1005 throws.
   */
  acknowledgeClose(): void {
    try {
      this.#ws.close();
    } catch (err) {
      // Already closed by the runtime: nothing to acknowledge.
      if (!(err instanceof Error && /close|state|invalid/i.test(err.message))) throw err;
    }
  }

  close(code = 1000, reason = ''): void {
    if (this.state.stage !== 'closed') {
      this.state.stage = 'closed';
      this.save();
    }
    try {
      this.#ws.close(code, reason);
    } catch (err) {
      // Closing a socket that is already closing throws in workerd; the socket is gone either way.
      if (!(err instanceof Error && /close|state/i.test(err.message))) throw err;
    }
  }
}
