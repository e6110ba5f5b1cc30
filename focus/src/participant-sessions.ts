/**
 * Every participant's Jingle session with the focus (Jicofo's ParticipantInviteRunnable, the
 * participant's JingleSession and its source signalling): invite (allocate an endpoint, offer),
 * accept, transport and source changes, termination, ICE failure, re-invitation, and telling each
 * accepted session what changed in the others' sources (source-signaling.ts).
 * @module
 */
import { AppError, StanzaError, type EndpointSources, type IceUdpTransport } from '@edgemeet/protocol';
import type { BridgeQueue } from './bridge-queue.ts';
import type { ColibriSessions } from './colibri-sessions.ts';
import type { FocusConfig } from './config.ts';
import { BridgeSelectionFailedError, ColibriAllocationFailedError } from './errors.ts';
import type { FocusHost, FocusLogger } from './host.ts';
import { sessionInitiate, sessionTerminate, sourceUpdate } from './jingle/jingle-messages.ts';
import { BRIDGE_OWNER, diffSources, isEmptyUpdate, snapshot, sourcesFor } from './source-signaling.ts';
import { mergeSources, removeSources, ssrcsOf, validateSources, withOwner } from './sources.ts';
import { emptySources, type ConferenceState, type ParticipantState } from './state.ts';

/** What the sessions share with their conference. */
export interface SessionContext {
  readonly state: ConferenceState;
  readonly host: FocusHost;
  readonly config: FocusConfig;
  readonly log: FocusLogger;
  readonly colibri: ColibriSessions;
  readonly queue: BridgeQueue;
  save(): void;
  /** A fresh IQ id. */
  nextId(prefix: string): string;
  /** The participant's occupant JID in the room. */
  occupant(endpointId: string): string;
  /** Picks (or keeps) the conference's bridge for a participant of `region`; throws BridgeSelectionFailedError. */
  ensureBridge(region: string): Promise<void>;
  /** Whether a bridge could be found for the last invitation (the focus presence says so). */
  bridgeAvailable(available: boolean): void;
}

export function newSid(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 16);
}

export class ParticipantSessions {
  readonly #c: SessionContext;
  #signalQueued = false;

  constructor(context: SessionContext) {
    this.#c = context;
  }

  get #participants(): ParticipantState[] {
    return Object.values(this.#c.state.participants);
  }

  /** Whether `p` is still the participant under its endpoint id (not gone, not replaced by a rejoin). */
  #current(p: ParticipantState): boolean {
    return this.#c.state.participants[p.endpointId] === p;
  }

  /** Whether `sid` is still the invitation `p` waits for (not superseded by a move or a re-invitation). */
  #awaiting(p: ParticipantState, sid: string): boolean {
    return this.#current(p) && p.jingle?.state === 'allocating' && p.jingle.sid === sid;
  }

  /** Queues a bridge update for `p` that is dropped if `p` has left (or was replaced) by the time it runs. */
  #forParticipant(label: string, p: ParticipantState, op: () => Promise<void>): Promise<void> {
    return this.#c.queue.run(label, op, () => (this.#current(p) ? null : `${p.endpointId} left`));
  }

  /**
   * Invites everyone without a session once enough participants are here (Jicofo min-participants;
   * hidden occupants, recorders, do not count toward it, but are invited with the others).
   */
  inviteWaiting(): Promise<void> {
    const { config } = this.#c;
    if (this.#participants.filter((p) => !p.hidden).length < config.minParticipants) return Promise.resolve();
    const waiting = this.#participants.filter((p) => p.jingle === null && !p.mediaDeclined && p.reinvites < config.maxReinvites && p.featuresAskedAt === undefined);
    return Promise.all(waiting.map((p) => this.invite(p))).then(() => undefined);
  }

  /** A new invitation for `p`: allocated and offered when its turn in the bridge queue comes. */
  invite(p: ParticipantState): Promise<void> {
    const startMuted = this.decideStartMuted(p);
    p.jingle = { sid: newSid(), state: 'allocating', since: this.#c.host.now(), iqId: null, startMuted };
    this.#c.save();
    return this.allocateAndOffer(p);
  }

  /**
   * What `p`'s invitation tells it to start muted, decided as Jicofo's inviteParticipant does: on
   * its first invitation the room's start-muted policy (room metadata) applies; on every
   * invitation the conference request's thresholds (startAudioMuted/startVideoMuted: muted when the
   * participants, counting it, are more than that; on a first invitation those invited before it
   * and itself); and AV moderation mutes a non-moderator (ParticipantInviteRunnable's force-mute).
   */
  decideStartMuted(p: ParticipantState): { audio: boolean; video: boolean } {
    const { host, state } = this.#c;
    const first = p.invited !== true;
    const count = first ? this.#participants.filter((x) => x !== p && (x.invited === true || x.jingle !== null)).length + 1 : this.#participants.length;
    const policy = host.startMuted?.() ?? { audio: false, video: false };
    const thresholds = state.startMutedThresholds ?? { audio: null, video: null };
    const moderated = host.avModeration?.() ?? {};
    const muted = (media: 'audio' | 'video') => (first && policy[media])
      || (thresholds[media] !== null && count > thresholds[media]!)
      || (moderated[media] !== undefined && p.role !== 'moderator');
    return { audio: muted('audio'), video: muted('video') };
  }

  /** Queues the allocation and offer for `p`'s current invitation (already in state `allocating`). */
  allocateAndOffer(p: ParticipantState): Promise<void> {
    const sid = p.jingle!.sid;
    return this.#c.queue.run('invite', () => this.#allocateAndOffer(p, sid));
  }

  async #allocateAndOffer(p: ParticipantState, sid: string): Promise<void> {
    if (!this.#awaiting(p, sid)) return;
    const { state, colibri, log, host } = this.#c;
    try {
      await this.#c.ensureBridge(p.region);
      const bridgeId = state.bridgeId;
      const allocation = await colibri.allocate(state, p);
      // The endpoint exists on the bridge from here on: whoever expires it must know where.
      p.bridgeId = bridgeId;
      state.bridgeConference = true;
      if (allocation.feedbackSources) state.feedbackSources = allocation.feedbackSources;
      this.#c.bridgeAvailable(true);
      if (!this.#awaiting(p, sid)) {
        // Left (or rejoined under the same nick, or was moved) while the allocation was in flight.
        log.info('conference.allocation_unused', { endpoint: p.endpointId, bridge: bridgeId });
        await colibri.expire(state, p);
        p.bridgeId = null;
        return;
      }
      this.#offer(p, allocation.transport);
      // A new endpoint (first, or after a move) starts unmuted on the bridge: re-apply force-mutes.
      if (p.audioMuted || p.videoMuted) {
        await colibri.forceMute(state, p, { audio: p.audioMuted || undefined, video: p.videoMuted || undefined });
      }
    } catch (err) {
      // A bridge that failed has told the conference already (ColibriListener): it moves everyone.
      if (err instanceof ColibriAllocationFailedError && err.bridgeFailed) return;
      if (this.#awaiting(p, sid)) {
        p.jingle = null;
        this.#c.save();
      }
      if (err instanceof BridgeSelectionFailedError) {
        log.warn('bridge.none_available', { endpoint: p.endpointId });
        this.#c.bridgeAvailable(false);
        host.scheduleWakeUp(host.now() + 5_000);
        return;
      }
      throw err;
    }
  }

  #offer(p: ParticipantState, transport: IceUdpTransport): void {
    const { state, host, config, log } = this.#c;
    const known = sourcesFor(p, this.#participants);
    const sources = { ...known };
    if (state.feedbackSources) sources[BRIDGE_OWNER] = withOwner(state.feedbackSources, BRIDGE_OWNER);
    if (p.moving) {
      // Make-before-break: the old bridge still forwards until the new session is on its way.
      host.send(sessionTerminate(this.#c.occupant(p.endpointId), this.#c.nextId('st'), p.moving.sid,
        { condition: 'success', text: 'moving' }, `${state.meetingId}:${p.moving.bridgeId}`));
      p.moving = null;
    }
    const id = this.#c.nextId('si');
    const startMuted = p.jingle!.startMuted;
    p.jingle = { sid: p.jingle!.sid, state: 'initiated', since: host.now(), iqId: id, startMuted };
    p.invited = true;
    p.signaled = snapshot(known);
    this.#c.save();
    host.send(sessionInitiate({
      to: this.#c.occupant(p.endpointId), id, sid: p.jingle.sid, initiator: `${config.focusJid}/${config.focusNick}`,
      transport, sources, bridgeSessionId: `${state.meetingId}:${p.bridgeId}`, startMuted,
    }));
    host.scheduleWakeUp(host.now() + config.sessionAcceptTimeoutMs);
    log.info('jingle.session_initiate', { endpoint: p.endpointId, bridge: p.bridgeId, sources: Object.keys(sources).length, startMuted: startMuted ?? null });
  }

  // Jingle from participants (already matched to the participant's session by the component)

  /** Validates synchronously (throws StanzaError); the returned promise is the bridge update. */
  sessionAccept(p: ParticipantState, sources: EndpointSources, transport: IceUdpTransport | undefined): Promise<void> {
    this.#checkSources(p, sources);
    p.sources = sources;
    p.jingle = { ...p.jingle!, state: 'active', since: this.#c.host.now() };
    p.reinvites = 0;
    this.#c.save();
    this.#c.log.info('jingle.session_accept', { endpoint: p.endpointId, ssrcs: ssrcsOf(sources).length });
    // The others learn p's sources; p learns what changed since its offer.
    this.signalSoon();
    return this.#forParticipant('accept', p, () => this.#c.colibri.update(this.#c.state, p, { transport, sources }));
  }

  transportInfo(p: ParticipantState, transport: IceUdpTransport): Promise<void> {
    return this.#forParticipant('transport', p, () => this.#c.colibri.update(this.#c.state, p, { transport }));
  }

  sourceAdd(p: ParticipantState, added: EndpointSources): Promise<void> {
    const next = mergeSources(p.sources, added);
    this.#checkSources(p, next);
    p.sources = next;
    this.#c.save();
    this.signalSoon();
    return this.#forParticipant('source-add', p, () => this.#c.colibri.update(this.#c.state, p, { sources: next }));
  }

  sourceRemove(p: ParticipantState, removed: EndpointSources): Promise<void> {
    p.sources = removeSources(p.sources, removed);
    this.#c.save();
    this.signalSoon();
    return this.#forParticipant('source-remove', p, () => this.#c.colibri.update(this.#c.state, p, { sources: p.sources }));
  }

  /**
   * The participant ended its session: its endpoint is expired. With `restart` (lib-jitsi-meet's
   * "restart required" after ICE failure) it gets a fresh session; otherwise it stays in the room
   * without media until it asks again.
   */
  sessionTerminated(p: ParticipantState, restart: boolean): Promise<void> {
    p.sources = emptySources();
    p.jingle = null;
    p.signaled = null;
    p.mediaDeclined = !restart;
    this.#c.save();
    this.signalSoon();
    const expired = this.#c.queue.run('terminate', async () => {
      await this.#c.colibri.expire(this.#c.state, p);
      p.bridgeId = null;
      this.#c.save();
    });
    return restart ? expired.then(() => this.reinvite(p, 'restart requested')) : expired;
  }

  /**
   * The participant's ICE with the bridge failed (lib-jitsi-meet's session-info with
   * `<ice-state>failed</ice-state>`): as Jicofo does, if it is about the current bridge session,
   * the session is terminated and a fresh one offered (new endpoint, new ICE credentials); a
   * report about an older session is ignored.
   */
  iceFailed(p: ParticipantState, bridgeSessionId: string | undefined): Promise<void> {
    const current = `${this.#c.state.meetingId}:${p.bridgeId}`;
    if (!p.jingle || p.jingle.state === 'allocating' || (bridgeSessionId && bridgeSessionId !== current)) {
      this.#c.log.info('participant.ice_failed_ignored', { endpoint: p.endpointId, session: bridgeSessionId ?? null });
      return Promise.resolve();
    }
    this.#c.log.warn('participant.ice_failed', { endpoint: p.endpointId, bridge: p.bridgeId });
    this.#c.host.send(sessionTerminate(this.#c.occupant(p.endpointId), this.#c.nextId('st'), p.jingle.sid,
      { condition: 'success', text: 'ICE failed, restarting' }, current));
    return this.sessionTerminated(p, true);
  }

  /** The session-initiate was refused or the participant never answered: try again, boundedly. */
  reinvite(p: ParticipantState, why: string): Promise<void> {
    const { config, log, queue, colibri, state } = this.#c;
    if (p.reinvites >= config.maxReinvites) {
      log.warn('participant.given_up', { endpoint: p.endpointId, why });
      p.jingle = null;
      this.#c.save();
      return queue.run('expire', () => colibri.expire(state, p));
    }
    p.reinvites += 1;
    log.info('participant.reinvite', { endpoint: p.endpointId, why, attempt: p.reinvites });
    // The bridge still has the old endpoint: expire it first (queued before the new allocation).
    const old = p.bridgeId;
    const expired = old
      ? queue.run('expire', async () => {
        await colibri.expire(state, p);
        if (p.bridgeId === old) p.bridgeId = null;
      })
      : Promise.resolve();
    return Promise.all([expired, this.invite(p)]).then(() => undefined);
  }

  #checkSources(p: ParticipantState, sources: EndpointSources): void {
    const { state, config } = this.#c;
    const reserved = state.feedbackSources ? ssrcsOf(state.feedbackSources) : [];
    try {
      validateSources(p.endpointId, sources, this.#participants, config, reserved);
    } catch (err) {
      if (err instanceof AppError) throw new StanzaError('bad-request', { text: err.message });
      throw err;
    }
  }

  // Source signalling

  /** A participant left the room: the others' sessions drop its sources themselves (no source-remove, as Jicofo). */
  forget(endpointId: string): void {
    for (const q of this.#participants) if (q.signaled) delete q.signaled[endpointId];
  }

  /**
   * Signals sources once the current stanza's handling is over (a microtask later): a participant
   * hears the result of its session-accept before the sources queued for it (as Jicofo sends
   * them), and several changes in one turn go out as one update.
   */
  signalSoon(): void {
    if (this.#signalQueued) return;
    this.#signalQueued = true;
    Promise.resolve().then(() => {
      this.#signalQueued = false;
      this.#signalSources();
    }).catch((err: unknown) => this.#c.log.error('conference.signal_failed', { err }));
  }

  /**
   * Brings every accepted session up to date with the others' sources: each is sent what changed
   * since it was last told (source-remove first, then source-add). Sessions not yet accepted get
   * theirs when they are (see source-signaling.ts).
   */
  #signalSources(): void {
    const { host } = this.#c;
    let changed = false;
    for (const q of this.#participants) {
      if (q.jingle?.state !== 'active' || !q.signaled) continue;
      const desired = sourcesFor(q, this.#participants);
      const update = diffSources(q.signaled, desired);
      if (isEmptyUpdate(update)) continue;
      const to = this.#c.occupant(q.endpointId);
      if (Object.keys(update.remove).length > 0) host.send(sourceUpdate('source-remove', to, this.#c.nextId('src'), q.jingle.sid, update.remove));
      if (Object.keys(update.add).length > 0) host.send(sourceUpdate('source-add', to, this.#c.nextId('src'), q.jingle.sid, update.add));
      q.signaled = snapshot(desired);
      changed = true;
    }
    if (changed) this.#c.save();
  }

  /** Wake-up: re-invite participants that never accepted; invite those still waiting. */
  onWakeUp(): Promise<void> {
    const { host, config } = this.#c;
    const now = host.now();
    const work = this.#participants
      .filter((p) => p.jingle?.state === 'initiated' && now - p.jingle.since >= config.sessionAcceptTimeoutMs)
      .map((p) => this.reinvite(p, 'no session-accept'));
    return Promise.all([...work, this.inviteWaiting()]).then(() => undefined);
  }
}
