/**
 * Recording and live streaming for one conference (Jicofo's JibriRecorder + BaseJibri): the `jibri`
 * IQ a moderator sends the focus occupant, checked and answered as Jicofo does, at most one
 * session at a time (file or stream), its status published as `<jibri-recording-status/>` in the
 * focus's presence, and the recorder's own status IQs. Besides a stop request, the focus stops a
 * session when no participant but hidden ones is left, and when it has been on for
 * `recordingMaxDurationMs`.
 * @module
 */
// Internal: not exported from the package entry.
import {
  StanzaError, buildJibriIq, parseJibriIq, type Element, type JibriFailureReason, type JibriIq, type RecordingStatus,
} from '@edgemeet/protocol';
import type { FocusConfig } from '../config.ts';
import { JibriStartError } from '../errors.ts';
import type { FocusHost, FocusLogger } from '../host.ts';
import type { ConferenceState, JibriSessionState, ParticipantState } from '../state.ts';
import { JibriSession } from './jibri-session.ts';

export interface JibriRecorderOptions {
  host: FocusHost;
  config: FocusConfig;
  state: ConferenceState;
  roomJid: string;
  log: FocusLogger;
  /** The focus's presence must be sent again (its recording status changed). */
  publish: () => void;
  save: () => void;
}

function parse(payload: Element): JibriIq {
  try {
    return parseJibriIq(payload);
  } catch (err) {
    throw new StanzaError('bad-request', { text: err instanceof Error ? err.message : 'bad jibri payload', cause: err });
  }
}

export class JibriRecorder {
  readonly #o: JibriRecorderOptions;
  readonly #log: FocusLogger;
  #session: JibriSession | null = null;

  constructor(o: JibriRecorderOptions) {
    this.#o = o;
    this.#log = o.log.child({ ns: 'focus:jibri' });
    const saved = o.state.jibri;
    if (saved) this.#session = this.#wrap(saved);
  }

  /** The current session's state, if a session runs. */
  get session(): JibriSessionState | null {
    return this.#session?.state ?? null;
  }

  #wrap(state: JibriSessionState): JibriSession | null {
    const recorders = this.#o.host.recorders;
    if (!recorders) return null;
    return new JibriSession(state, {
      host: this.#o.host, config: this.#o.config, recorders, roomJid: this.#o.roomJid, log: this.#log,
      listener: {
        stateChanged: (s, status, failureReason) => this.#stateChanged(s, status, failureReason),
        save: () => this.#o.save(),
      },
    });
  }

  /**
   * A `jibri` IQ from occupant `from` (BaseJibri.doHandleIQRequest); resolves with the result
   * payload (a start's session id), or null for an empty result; throws StanzaError as Jicofo answers.
   */
  async handleRequest(from: string, participant: ParticipantState | undefined, payload: Element): Promise<Element | null> {
    const j = parse(payload);
    // SIP gateway requests are JibriSipGateway's, which is not here: no conference takes them.
    if (j.sipAddress) throw new StanzaError('item-not-found', { text: 'no SIP gateway here' });
    if (!participant) throw new StanzaError('forbidden');
    if (participant.role !== 'moderator') throw new StanzaError('not-allowed');
    const session = this.#session;
    switch (j.action) {
      case 'start':
        if (session) throw new StanzaError('unexpected-request', { text: 'Recording or live streaming is already enabled' });
        return this.#start(from, j);
      case 'stop':
        if (!session) throw new StanzaError('item-not-found', { text: 'Unknown session' });
        session.stop(from);
        return null;
      default:
        throw new StanzaError('bad-request', { text: 'undefined action' });
    }
  }

  /** JibriRecorder.handleStartRequest. */
  async #start(from: string, j: JibriIq): Promise<Element> {
    const streamId = j.streamId?.trim() ?? '';
    if (streamId === '' && j.recordingMode !== 'file') throw new StanzaError('bad-request', { text: 'Stream ID is empty or undefined' });
    if (streamId !== '' && j.recordingMode === 'file') throw new StanzaError('bad-request', { text: 'Stream ID is provided for a FILE recording.' });
    const state: JibriSessionState = {
      sessionId: crypto.randomUUID(), mode: streamId === '' ? 'file' : 'stream', streamId: streamId || null,
      youTubeBroadcastId: j.youTubeBroadcastId ?? null, appData: j.appData ?? null, displayName: j.displayName ?? null,
      initiator: from, terminator: null, status: 'undefined', recorder: null, retries: 0, pendingDeadline: null, onSince: null,
    };
    const session = this.#wrap(state);
    if (!session) throw new StanzaError('service-unavailable', { text: 'no Jibris available' });
    this.#session = session;
    this.#o.state.jibri = state;
    this.#o.save();
    try {
      await session.start();
      this.#log.info('jibri.started', { session: state.sessionId, mode: state.mode, initiator: from });
      return buildJibriIq({ sessionId: state.sessionId });
    } catch (err) {
      if (this.#session === session) this.#clear();
      if (!(err instanceof JibriStartError)) throw err;
      this.#log.info('jibri.start_refused', { failure: err.failure });
      if (err.failure === 'all-busy') throw new StanzaError('resource-constraint', { text: 'all Jibris are busy' });
      if (err.failure === 'not-available') throw new StanzaError('service-unavailable', { text: 'no Jibris available' });
      throw new StanzaError('internal-server-error', { text: err.message });
    }
  }

  #clear(): void {
    this.#session = null;
    this.#o.state.jibri = null;
    this.#o.save();
  }

  /** JibriRecorder.onSessionStateChanged: published in the focus's presence; off ends the session. */
  #stateChanged(s: JibriSessionState, status: 'on' | 'off', failureReason: JibriFailureReason | null): void {
    if (this.#session?.state !== s) {
      this.#log.warn('jibri.unknown_session', { session: s.sessionId });
      return;
    }
    const initiator = status === 'on' ? s.initiator : s.terminator;
    const recording: RecordingStatus = {
      status, sessionId: s.sessionId, recordingMode: s.mode, ...(initiator ? { initiator } : {}), ...(failureReason ? { failureReason } : {}),
    };
    this.#o.state.recordingStatus = recording;
    if (status === 'off') this.#clear();
    if (status === 'on' && this.#o.config.recordingMaxDurationMs > 0 && s.onSince !== null) {
      this.#o.host.scheduleWakeUp(s.onSince + this.#o.config.recordingMaxDurationMs);
    }
    this.#o.save();
    this.#log.info('jibri.status_published', { ...recording });
    this.#o.publish();
  }

  /**
   * A `jibri` IQ set from a recorder (through the Registry), addressed by its brewery occupant JID:
   * accepted only from the current session's recorder (JibriSession.accept), then processed.
   */
  async handleRecorderIq(from: string, payload: Element): Promise<void> {
    const j = parse(payload);
    const session = this.#session;
    if (!session || !session.accepts(from) || (j.sessionId !== undefined && j.sessionId !== session.state.sessionId)) {
      throw new StanzaError('item-not-found', { text: 'no recording session of this recorder' });
    }
    if (!j.status) {
      this.#log.error('jibri.undefined_status', { from });
      return;
    }
    await session.statusUpdate(from, j.status, j.failureReason, j.shouldRetry);
  }

  /** The Registry says a recorder is gone. */
  recorderDown(recorderId: string): Promise<void> {
    return this.#session?.recorderOffline(recorderId) ?? Promise.resolve();
  }

  /** No participant but hidden ones is left: the recording stops (by the focus). */
  roomEmpty(): void {
    const session = this.#session;
    if (!session) return;
    this.#log.info('jibri.room_empty', { session: session.state.sessionId });
    session.stop(null);
  }

  /** The conference ends (JibriRecorder.shutdown). */
  shutdown(): void {
    this.#session?.stop(null);
  }

  /** Wake-up: the pending timeout, and the maximum duration. */
  async onWakeUp(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const now = this.#o.host.now();
    const { onSince, status } = session.state;
    const max = this.#o.config.recordingMaxDurationMs;
    if (status === 'on' && max > 0 && onSince !== null) {
      if (now >= onSince + max) {
        this.#log.info('jibri.max_duration', { session: session.state.sessionId, maxMs: max });
        session.stop(null);
        return;
      }
      this.#o.host.scheduleWakeUp(onSince + max);
    }
    await session.onWakeUp(now);
  }
}
