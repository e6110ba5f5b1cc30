/**
 * The conferences of this media node, keyed by the focus's meeting id (as JVB keys them).
 * @module
 */
import type { ConferenceDirectory } from './conference-control.ts';
import { SfuConference } from './conference.ts';
import type { SfuContext } from './context.ts';

export class SfuConferenceDirectory implements ConferenceDirectory {
  readonly #conferences = new Map<string, SfuConference>();
  draining = false;
  /** The drain timed out: the node asks the focus to move its conferences elsewhere (JVB's shutdown). */
  shuttingDown = false;

  readonly ctx: SfuContext;
  /** Counters of the conferences that ended (for node-lifetime totals: `GET /metrics`). */
  readonly retired = { forwardedPackets: 0, retransmittedPackets: 0, nacksForwarded: 0, transportFeedbackPackets: 0 };

  constructor(ctx: SfuContext) {
    this.ctx = ctx;
  }

  get refusingNew(): boolean {
    return this.draining;
  }

  get(meetingId: string): SfuConference | undefined {
    return this.#conferences.get(meetingId);
  }

  create(meetingId: string, name: string | undefined): SfuConference {
    const conference = new SfuConference(meetingId, name, this.ctx);
    this.#conferences.set(meetingId, conference);
    this.ctx.log.info('conference.created', { meeting: meetingId, name, id: conference.id });
    return conference;
  }

  expire(meetingId: string): void {
    const conference = this.#conferences.get(meetingId);
    if (!conference) return;
    this.retired.forwardedPackets += conference.forwardedPackets;
    this.retired.retransmittedPackets += conference.retransmitted;
    this.retired.nacksForwarded += conference.nacksForwarded;
    for (const ep of conference.endpoints()) this.retired.transportFeedbackPackets += ep.transportFeedback.sent;
    conference.close();
    this.#conferences.delete(meetingId);
    this.ctx.log.info('conference.expired', { meeting: meetingId });
  }

  get conferenceCount(): number {
    return this.#conferences.size;
  }

  get endpointCount(): number {
    let n = 0;
    for (const c of this.#conferences.values()) n += c.size;
    return n;
  }

  /** Counters over the current conferences, for `GET /about/stats`. */
  stats(): { conferences: number; endpoints: number; forwardedPackets: number; retransmittedPackets: number; nacksForwarded: number; transportFeedbackPackets: number } {
    const out = { conferences: this.conferenceCount, endpoints: this.endpointCount, forwardedPackets: 0, retransmittedPackets: 0, nacksForwarded: 0, transportFeedbackPackets: 0 };
    for (const c of this.#conferences.values()) {
      out.forwardedPackets += c.forwardedPackets;
      out.retransmittedPackets += c.retransmitted;
      out.nacksForwarded += c.nacksForwarded;
      for (const ep of c.endpoints()) out.transportFeedbackPackets += ep.transportFeedback.sent;
    }
    return out;
  }

  /** By the node's own conference id (the one in colibri-ws URLs). */
  byId(id: string): SfuConference | undefined {
    for (const c of this.#conferences.values()) if (c.id === id) return c;
    return undefined;
  }

  conferences(): IterableIterator<SfuConference> {
    return this.#conferences.values();
  }

  closeAll(): void {
    for (const id of [...this.#conferences.keys()]) this.expire(id);
  }
}
