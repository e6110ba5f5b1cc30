/**
 * One recording session's life (Jicofo's JibriSession): pick a recorder (JibriDetector, through
 * {@link RecorderDirectory}), send it the start and wait for its "pending", follow its status IQs
 * (on, off, failures with should_retry), try another recorder on a failure up to `jibriNumRetries`
 * times, and give up on one that stays pending for `jibriPendingTimeoutMs`. Everything it knows is
 * in the persisted {@link JibriSessionState}, so a room evicted mid-recording carries on; timers
 * are deadlines in that state, woken through the host. Status changes go to the owner's
 * {@link JibriSessionListener} (JibriRecorder publishes them in the focus's presence).
 * @module
 */
// Internal: not exported from the package entry.
import { AppError, buildJibriIq, findJibri, parseJibriIq, type JibriFailureReason, type JibriStatus } from '@edgemeet/protocol';
import type { FocusConfig } from '../config.ts';
import { JibriStartError } from '../errors.ts';
import type { FocusHost, FocusLogger, RecorderDirectory, RecorderRef } from '../host.ts';
import type { JibriSessionState } from '../state.ts';

export interface JibriSessionListener {
  /** JibriSession.StateListener.onSessionStateChanged: on, or off (with a failure reason when it failed). */
  stateChanged(session: JibriSessionState, status: 'on' | 'off', failureReason: JibriFailureReason | null): void;
  save(): void;
}

export interface JibriSessionOptions {
  host: FocusHost;
  config: FocusConfig;
  recorders: RecorderDirectory;
  /** The room's bare JID, sent to the recorder as `room`. */
  roomJid: string;
  log: FocusLogger;
  listener: JibriSessionListener;
}

export class JibriSession {
  readonly state: JibriSessionState;
  readonly #o: JibriSessionOptions;
  readonly #log: FocusLogger;

  constructor(state: JibriSessionState, o: JibriSessionOptions) {
    this.state = state;
    this.#o = o;
    this.#log = o.log.child({ ns: 'focus:jibri-session', session: state.sessionId });
  }

  /** Starts on a recorder; rejects with {@link JibriStartError} (all busy, none, or retries used up). */
  async start(): Promise<void> {
    const { recorders } = this.#o;
    const { recorder, anyConnected } = await recorders.select();
    if (!recorder) {
      this.#log.warn('jibri.unavailable', { anyConnected });
      throw new JibriStartError(anyConnected ? 'all-busy' : 'not-available');
    }
    try {
      this.#log.info('jibri.starting', { recorder: recorder.id, retries: this.state.retries });
      await this.#sendStart(recorder);
    } catch (err) {
      this.#log.warn('jibri.start_failed', { recorder: recorder.id, err });
      await recorders.failed(recorder.id).catch((e: unknown) => this.#log.warn('jibri.mark_failed_failed', { err: e }));
      if (this.#maxRetriesExceeded()) throw new JibriStartError('internal', { cause: err });
      if (this.state.recorder?.id !== recorder.id) throw new JibriStartError('internal', { cause: err }); // stopped meanwhile
      this.state.retries += 1;
      return this.start();
    }
  }

  #maxRetriesExceeded(): boolean {
    const max = this.#o.config.jibriNumRetries;
    return max >= 0 && this.state.retries >= max;
  }

  async #sendStart(recorder: RecorderRef): Promise<void> {
    const s = this.state;
    s.recorder = { id: recorder.id, jid: recorder.jid };
    this.#reschedulePendingTimeout();
    this.#o.listener.save();
    const payload = buildJibriIq({
      action: 'start', recordingMode: s.mode, room: this.#o.roomJid, sessionId: s.sessionId,
      ...(s.streamId ? { streamId: s.streamId } : {}), ...(s.youTubeBroadcastId ? { youTubeBroadcastId: s.youTubeBroadcastId } : {}),
      ...(s.displayName ? { displayName: s.displayName } : {}), ...(s.appData ? { appData: s.appData } : {}), rtcStatsEnabled: false,
    });
    let reply;
    try {
      reply = await this.#o.recorders.request(recorder.id, payload);
    } catch (err) {
      if (err instanceof AppError && err.code === 'timeout') {
        // It may still be starting: tell it to stop, so it does not turn up in the room later.
        this.#log.warn('jibri.start_timed_out', { recorder: recorder.id });
        this.#sendStop(recorder);
      }
      throw new JibriStartError('unexpected-response', { cause: err });
    }
    const answer = reply.attrs.type === 'result' ? findJibri(reply) : undefined;
    if (!answer) throw new JibriStartError('unexpected-response');
    const j = parseJibriIq(answer);
    if (j.status === 'off' && j.failureReason === 'busy') throw new JibriStartError('one-busy');
    if (j.status !== 'pending') throw new JibriStartError('unexpected-response');
    await this.statusUpdate(recorder.jid, 'pending', undefined, undefined);
  }

  /** Fire-and-forget stop (JibriSession.stop sends it so). */
  #sendStop(recorder: RecorderRef): void {
    this.#o.recorders.request(recorder.id, buildJibriIq({ action: 'stop', sessionId: this.state.sessionId }))
      .catch((err: unknown) => this.#log.warn('jibri.stop_send_failed', { recorder: recorder.id, err }));
  }

  #reschedulePendingTimeout(): void {
    const ms = this.#o.config.jibriPendingTimeoutMs;
    if (ms <= 0) return;
    this.state.pendingDeadline = this.#o.host.now() + ms;
    this.#o.host.scheduleWakeUp(this.state.pendingDeadline);
  }

  /** Whether an IQ from `jid` is this session's recorder's (JibriSession.accept). */
  accepts(jid: string): boolean {
    return this.state.recorder !== null && this.state.recorder.jid === jid;
  }

  /**
   * Stops the session (JibriSession.stop): the recorder is told (fire-and-forget), the owner hears
   * "off" at once, and anything the recorder says later is ignored. `by`: who asked; null for the focus.
   */
  stop(by: string | null): void {
    const recorder = this.state.recorder;
    if (!recorder) return;
    this.state.terminator = by;
    this.state.pendingDeadline = null;
    this.#log.info('jibri.stopping', { recorder: recorder.id, by });
    this.#sendStop(recorder);
    this.#o.listener.stateChanged(this.state, 'off', null);
    this.state.recorder = null;
    this.state.retries = 0;
    this.#o.listener.save();
  }

  /**
   * A status from the recorder (an answer or its own IQ; JibriSession.handleJibriStatusUpdate): on
   * a failure another recorder is tried when the recorder says so and retries remain, otherwise
   * the session ends with the failure; off ends it; on is announced.
   */
  async statusUpdate(jid: string, status: JibriStatus, failureReason: JibriFailureReason | undefined, shouldRetry: boolean | undefined): Promise<void> {
    const s = this.state;
    s.status = status;
    this.#log.info('jibri.status', { recorder: jid, status, failureReason, shouldRetry });
    if (!s.recorder || s.recorder.jid !== jid) {
      this.#o.listener.save();
      return;
    }
    if (status !== 'pending') s.pendingDeadline = null;
    if (failureReason) {
      // The recorder failed this request: not selected again for a while (JibriDetector.instanceFailed),
      // so a retry goes to another one.
      await this.#o.recorders.failed(s.recorder.id).catch((err: unknown) => this.#log.warn('jibri.mark_failed_failed', { err }));
      const retry = shouldRetry === true;
      if (retry && !this.#maxRetriesExceeded()) {
        this.#log.info('jibri.retrying', { failed: jid, retries: s.retries });
        try {
          s.retries += 1;
          await this.start();
          return;
        } catch (err) {
          this.#log.warn('jibri.retry_failed', { err });
        }
      }
      this.#end(status === 'pending' ? 'off' : status, failureReason);
    } else if (status === 'off') {
      this.#end('off', null);
    } else if (status === 'on') {
      s.onSince ??= this.#o.host.now();
      this.#o.listener.stateChanged(s, 'on', null);
    }
    this.#o.listener.save();
  }

  #end(status: 'on' | 'off', failureReason: JibriFailureReason | null): void {
    this.#o.listener.stateChanged(this.state, status, failureReason);
    this.state.recorder = null;
    this.state.retries = 0;
  }

  /** The recorder left the brewery or lost its control connection (JibriDetectorEventHandler.instanceOffline). */
  recorderOffline(recorderId: string): Promise<void> {
    const r = this.state.recorder;
    if (!r || r.id !== recorderId) return Promise.resolve();
    this.#log.warn('jibri.recorder_offline', { recorder: recorderId });
    return this.statusUpdate(r.jid, 'off', 'error', true);
  }

  /**
   * The pending timeout (JibriSession.PendingStatusTimeout): a recorder still pending is likely
   * hung. It is told to stop and not selected for a while, and the session fails over as when a
   * recorder goes away.
   */
  async onWakeUp(now: number): Promise<void> {
    const s = this.state;
    const r = s.recorder;
    if (!r || s.pendingDeadline === null) return;
    if (now < s.pendingDeadline) {
      this.#o.host.scheduleWakeUp(s.pendingDeadline);
      return;
    }
    s.pendingDeadline = null;
    if (s.status !== 'pending' && s.status !== 'undefined') return;
    this.#log.warn('jibri.pending_timeout', { recorder: r.id });
    this.#sendStop(r);
    await this.statusUpdate(r.jid, 'off', 'error', true);
  }
}
