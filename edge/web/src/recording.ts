/**
 * Recording in the web app, as jitsi-meet does it over lib-jitsi-meet's RecordingManager: a
 * moderator's start/stop is a `jibri` IQ to the focus occupant; the state everyone sees comes from
 * the `jibri-recording-status` in the focus's presence ("started by" from its initiator on "on");
 * the starter sees "pending" from the IQ result until then. Errors are the focus's, worded as
 * jitsi-meet words them (service-unavailable → unavailable, resource-constraint → busy,
 * unexpected-request → already active).
 * @module
 */
import { buildIq, buildJibriIq, parseRecordingStatus, type Element, type RecordingStatus } from '@edgemeet/protocol';
import { XmppError } from './xmpp-connection.ts';

/** What the UI shows: off, pending (this participant asked), on (with who started it). */
export interface RecordingView {
  status: 'off' | 'pending' | 'on';
  /** The display name of who started (on) or stopped (off) it, when the focus named one. */
  by?: string;
  /** Why it ended, when it failed (`error`, `busy`). */
  failure?: string;
}

const ERRORS: Readonly<Record<string, string>> = {
  'service-unavailable': 'Recording is unavailable: no recorder is running.',
  'resource-constraint': 'All recorders are busy; try again in a minute.',
  'unexpected-request': 'A recording is already active.',
  'not-allowed': 'Only moderators can start or stop recording.',
  forbidden: 'Only participants of this meeting can record it.',
  'item-not-found': 'No recording is running.',
  'bad-request': 'The recording request was refused.',
};

/** The sentence for a refused start or stop. */
export function recordingError(err: unknown): string {
  const condition = err instanceof XmppError ? err.condition : '';
  return ERRORS[condition] ?? `Recording failed (${condition || (err as Error).message}).`;
}

export class RecordingControl {
  readonly #focus: string;
  readonly #iq: (el: Element) => Promise<Element> | undefined;
  readonly #nameOf: (occupantJid: string) => string;
  readonly #changed: (view: RecordingView) => void;
  #last: RecordingStatus | null = null;
  #view: RecordingView = { status: 'off' };

  constructor(o: { focus: string; iq: (el: Element) => Promise<Element> | undefined; nameOf: (occupantJid: string) => string; changed: (view: RecordingView) => void }) {
    this.#focus = o.focus;
    this.#iq = o.iq;
    this.#nameOf = o.nameOf;
    this.#changed = o.changed;
  }

  get view(): RecordingView {
    return this.#view;
  }

  #set(view: RecordingView): void {
    this.#view = view;
    this.#changed(view);
  }

  /** The focus's presence: its recording status, when it changed (the focus repeats the last one). */
  focusPresence(presence: Element): void {
    const s = parseRecordingStatus(presence);
    if (!s || (this.#last && this.#last.status === s.status && this.#last.sessionId === s.sessionId && this.#last.failureReason === s.failureReason)) return;
    const first = this.#last === null;
    this.#last = s;
    // Joining after a recording ended: the focus still carries its "off"; nothing to say.
    if (first && s.status === 'off') return;
    this.#set({
      status: s.status === 'on' ? 'on' : s.status === 'pending' ? 'pending' : 'off',
      ...(s.initiator ? { by: this.#nameOf(s.initiator) } : {}), ...(s.failureReason ? { failure: s.failureReason } : {}),
    });
  }

  /** Asks the focus to record to a file (or stream, with a stream key); rejects with the focus's error. */
  async start(streamId?: string): Promise<void> {
    await this.#iq(buildIq('set', this.#focus, undefined, buildJibriIq({
      action: 'start', recordingMode: streamId ? 'stream' : 'file', ...(streamId ? { streamId } : {}),
    })));
    if (this.#view.status !== 'on') this.#set({ status: 'pending' });
  }

  async stop(): Promise<void> {
    await this.#iq(buildIq('set', this.#focus, undefined, buildJibriIq({ action: 'stop' })));
  }
}
