/**
 * The recorder's sessions: up to RECORDER_MAX_SESSIONS at once, each on its own (one that fails
 * ends alone). This is the session API the control link (jibri-control.ts, Jibri's XMPP API)
 * drives: start answers at once (Jibri's "pending"), and the status reports `on` once media is
 * recorded and `off` when a session ends, with Jibri's failure_reason / should_retry.
 * Live streaming (recording_mode stream) is the same session with a live composition pushed to
 * RTMP instead of files (live-stream.ts); a target the allow-list refuses is refused here at once
 * (StreamTargetError, Jibri's status off with failure_reason error).
 * @module
 */
import type { Logger } from '../log.ts';
import type { RecorderConfig } from './recorder-config.ts';
import { RecordingSession, type SessionEnd, type SessionRequest } from './recording-session.ts';

export type RecorderStatus =
  | { status: 'on'; sessionId: string }
  | { status: 'off'; sessionId: string; failureReason?: 'error' | 'busy'; shouldRetry?: boolean };

export interface RecorderListener {
  status(s: RecorderStatus): void;
  /** Busy (no capacity left) changed. */
  busyChanged(busy: boolean): void;
}

export class RecorderBusyError extends Error {
  override name = 'RecorderBusyError';
}
export class UnsupportedModeError extends Error {
  override name = 'UnsupportedModeError';
}

export class Recorder {
  readonly #config: RecorderConfig;
  readonly #log: Logger;
  readonly #listener: RecorderListener;
  readonly #sessions = new Map<string, RecordingSession>();
  /** Sessions stopping: they still hold a slot until their files are closed and composed. */
  readonly #finishing = new Set<Promise<unknown>>();
  /** Sessions already ended (stopped, failed, released): their status off has been reported once,
   * whatever their start does later (a room join still under way gives up after its timeout). */
  readonly #released = new WeakSet<RecordingSession>();
  #wasBusy = false;

  constructor(config: RecorderConfig, log: Logger, listener: RecorderListener) {
    this.#config = config;
    this.#log = log;
    this.#listener = listener;
  }

  get busy(): boolean {
    return this.#sessions.size >= this.#config.maxSessions;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  session(sessionId: string): RecordingSession | undefined {
    return this.#sessions.get(sessionId);
  }

  #busyCheck(): void {
    if (this.busy !== this.#wasBusy) {
      this.#wasBusy = this.busy;
      this.#listener.busyChanged(this.busy);
    }
  }

  /** Starts a session in the background; throws at once if it cannot be taken. */
  start(req: SessionRequest): RecordingSession {
    if (req.mode !== 'file' && req.mode !== 'stream') throw new UnsupportedModeError(`recording mode ${String(req.mode)} is not supported`);
    if (this.busy) throw new RecorderBusyError(`already ${this.#sessions.size} recordings`);
    if (this.#sessions.has(req.sessionId)) throw new RecorderBusyError(`session ${req.sessionId} is already recording`);
    const log = this.#log.child({ session: req.sessionId, room: req.roomJid });
    // Throws StreamTargetError for a stream target the allow-list refuses.
    const session = new RecordingSession(this.#config, req, log, {
      on: () => this.#listener.status({ status: 'on', sessionId: req.sessionId }),
      ended: (end) => this.#ended(req.sessionId, end),
    });
    this.#sessions.set(req.sessionId, session);
    this.#busyCheck();
    log.info('recording.start', { mode: req.mode });
    session.start().catch((err: unknown) => {
      // Stopped while it was starting (stop IQ, lost control link): that end was reported already.
      if (this.#released.has(session)) {
        log.info('recording.start_aborted', { message: err instanceof Error ? err.message : String(err) });
        return;
      }
      log.error('recording.start_failed', { err });
      // Jibri: a session that could not start is off with failure_reason error, should_retry true.
      this.#listener.status({ status: 'off', sessionId: req.sessionId, failureReason: 'error', shouldRetry: true });
      this.#release(req.sessionId, session);
    });
    return session;
  }

  #ended(sessionId: string, end: SessionEnd): void {
    const session = this.#sessions.get(sessionId);
    if (session && this.#released.has(session)) return;
    this.#listener.status({ status: 'off', sessionId, ...(end.failure ? { failureReason: end.failure, shouldRetry: false } : {}) });
    if (session) this.#release(sessionId, session);
  }

  #release(sessionId: string, session: RecordingSession): void {
    if (this.#released.has(session)) return;
    this.#released.add(session);
    const done = session.stop({ reason: 'released' }, false).catch((err: unknown) => this.#log.error('recording.finish_failed', { session: sessionId, err }));
    this.#finishing.add(done);
    void done.finally(() => {
      this.#finishing.delete(done);
      if (this.#sessions.get(sessionId) === session) this.#sessions.delete(sessionId);
      this.#busyCheck();
    });
  }

  /** The stop IQ: ends the session (no status IQ follows; the IQ's result says off). Resolves when its files are done. */
  async stop(sessionId: string): Promise<boolean> {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    const done = session.stop({ reason: 'stop requested' }, false);
    this.#release(sessionId, session);
    await done;
    return true;
  }

  /** Stops every session (process shutdown); resolves when all are finished. */
  async stopAll(reason: string): Promise<void> {
    for (const [id, s] of this.#sessions) {
      if (this.#released.has(s)) continue;
      void s.stop({ reason, failure: 'error' }, false);
      this.#listener.status({ status: 'off', sessionId: id, failureReason: 'error', shouldRetry: true });
      this.#release(id, s);
    }
    await Promise.allSettled([...this.#finishing]);
  }
}
