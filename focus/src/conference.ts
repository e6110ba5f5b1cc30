/**
 * One conference as the focus runs it (Jicofo's JitsiMeetConferenceImpl, split up): who takes
 * part, which bridge hosts them, each participant's Jingle session with the focus, and the
 * signalling of sources between participants. The stanza plumbing is in focus-component.ts;
 * Colibri2 is in colibri-session.ts; source rules are in sources.ts.
 * @module
 */
import { AppError, StanzaError, type EndpointSources, type IceUdpTransport } from '@edgemeet/protocol';
import { SingleBridgeSelectionStrategy, type BridgeSelectionStrategy } from './bridge-selector.ts';
import { ColibriSessionManager } from './colibri-session.ts';
import type { FocusConfig } from './config.ts';
import { BridgeSelectionFailedError, ColibriAllocationFailedError } from './errors.ts';
import type { FocusHost, FocusLogger } from './host.ts';
import { sessionInitiate, sessionTerminate, sourceUpdate } from './jingle/jingle-messages.ts';
import { BRIDGE_OWNER, diffSources, isEmptyUpdate, snapshot, sourcesFor } from './source-signaling.ts';
import { mergeSources, removeSources, ssrcsOf, validateSources, withOwner } from './sources.ts';
import { emptySources, type ConferenceState, type ParticipantState } from './state.ts';

export interface ConferenceOptions {
  host: FocusHost;
  config: FocusConfig;
  mucDomain: string;
  state: ConferenceState;
  strategy?: BridgeSelectionStrategy;
  /** Told when no bridge can be found for a participant, and when one is found again. */
  onBridgeAvailability?: (available: boolean) => void;
}

export class Conference {
  readonly #host: FocusHost;
  readonly #config: FocusConfig;
  readonly #log: FocusLogger;
  readonly #colibri: ColibriSessionManager;
  readonly #strategy: BridgeSelectionStrategy;
  readonly #roomJid: string;
  readonly state: ConferenceState;
  readonly #onBridgeAvailability: (available: boolean) => void;
  #bridgeMissing = false;
  /** Bridge operations run one at a time, so the first allocation creates the conference once. */
  #queue: Promise<void> = Promise.resolve();
  #ids = 0;

  constructor(o: ConferenceOptions) {
    this.#host = o.host;
    this.#config = o.config;
    this.state = o.state;
    this.#roomJid = `${o.state.room}@${o.mucDomain}`;
    this.#log = o.host.log.child({ ns: 'focus:conference', room: o.state.room });
    this.#colibri = new ColibriSessionManager(o.host.bridges, o.mucDomain);
    this.#strategy = o.strategy ?? new SingleBridgeSelectionStrategy();
    this.#onBridgeAvailability = o.onBridgeAvailability ?? (() => undefined);
    // State saved before per-session source signalling: an active session knew the current sources.
    for (const p of this.participants) {
      p.moving ??= null;
      if (p.signaled === undefined) p.signaled = p.jingle?.state === 'active' ? snapshot(sourcesFor(p, this.participants)) : null;
    }
  }

  #bridgeAvailable(available: boolean): void {
    if (this.#bridgeMissing === !available) return;
    this.#bridgeMissing = !available;
    this.#onBridgeAvailability(available);
  }

  get participants(): ParticipantState[] {
    return Object.values(this.state.participants);
  }

  participant(endpointId: string): ParticipantState | undefined {
    return this.state.participants[endpointId];
  }

  /** The focus is (or is no longer) an occupant of the room. */
  setJoined(joined: boolean): void {
    if (this.state.joined === joined) return;
    this.state.joined = joined;
    this.#save();
  }

  /** A participant's affiliation or role changed (its presence in the room says so). */
  updateOccupant(endpointId: string, change: { isOwner: boolean; role: string }): void {
    const p = this.state.participants[endpointId];
    if (!p || (p.isOwner === change.isOwner && p.role === change.role)) return;
    p.isOwner = change.isOwner;
    p.role = change.role;
    this.#save();
  }

  #save(): void {
    this.#host.store.save(this.state);
  }

  #nextId(prefix: string): string {
    this.#ids += 1;
    return `${prefix}-${this.#host.now().toString(36)}-${this.#ids}`;
  }

  #occupant(endpointId: string): string {
    return `${this.#roomJid}/${endpointId}`;
  }

  /** Runs bridge work in order; a failure is logged, never thrown at the caller's event. */
  #enqueue(label: string, op: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(op).catch((err: unknown) => this.#log.error('conference.operation_failed', { op: label, err }));
    this.#queue = run;
    return run;
  }

  /** Queues a bridge update for `p` that is dropped if `p` has left (or was replaced) by the time it runs. */
  #enqueueFor(label: string, p: ParticipantState, op: () => Promise<void>): Promise<void> {
    return this.#enqueue(label, async () => {
      if (this.state.participants[p.endpointId] !== p) {
        this.#log.debug('conference.operation_skipped', { op: label, endpoint: p.endpointId, why: 'participant left' });
        return;
      }
      await op();
    });
  }

  // Membership

  addParticipant(p: Omit<ParticipantState, 'bridgeId' | 'jingle' | 'sources' | 'signaled' | 'moving' | 'reinvites' | 'mediaDeclined'>): void {
    if (this.state.participants[p.endpointId]) return;
    this.state.participants[p.endpointId] = {
      ...p, bridgeId: null, jingle: null, sources: emptySources(), signaled: null, moving: null, reinvites: 0, mediaDeclined: false,
    };
    this.#save();
    this.#log.info('participant.added', { endpoint: p.endpointId, participants: this.participants.length });
    void this.#inviteWaiting();
  }

  removeParticipant(endpointId: string): Promise<void> {
    const p = this.state.participants[endpointId];
    if (!p) return Promise.resolve();
    delete this.state.participants[endpointId];
    this.#save();
    this.#log.info('participant.removed', { endpoint: endpointId, participants: this.participants.length });
    // No source-remove: like Jicofo (onMemberLeft), the others drop a departed participant's
    // sources themselves when its presence goes; their sessions' records just forget them.
    for (const q of this.participants) if (q.signaled) delete q.signaled[endpointId];
    return this.#enqueue('expire', async () => {
      await this.#colibri.expire(this.state, p).catch((err: unknown) => this.#log.warn('colibri.expire_failed', { err }));
      if (!this.participants.some((x) => x.bridgeId !== null) && this.state.bridgeId) {
        const bridgeId = this.state.bridgeId;
        this.state.bridgeId = null;
        this.state.bridgeConference = false;
        this.state.feedbackSources = null;
        this.#save();
        await this.#colibri.expireConference(this.state, bridgeId).catch((err: unknown) => this.#log.warn('colibri.expire_failed', { err }));
      }
    });
  }

  /** Invites everyone without a session once enough participants are here (Jicofo min-participants). */
  #inviteWaiting(): Promise<void> {
    if (this.participants.length < this.#config.minParticipants) return Promise.resolve();
    const waiting = this.participants.filter((p) => p.jingle === null && !p.mediaDeclined && p.reinvites < this.#config.maxReinvites);
    return Promise.all(waiting.map((p) => this.#invite(p))).then(() => undefined);
  }

  #invite(p: ParticipantState): Promise<void> {
    p.jingle = { sid: crypto.randomUUID().replaceAll('-', '').slice(0, 16), state: 'allocating', since: this.#host.now(), iqId: null };
    this.#save();
    const sid = p.jingle.sid;
    return this.#enqueue('invite', () => this.#allocateAndOffer(p, sid));
  }

  /** Whether `p` is still the participant under its endpoint id (not gone, not replaced by a rejoin). */
  #current(p: ParticipantState): boolean {
    return this.state.participants[p.endpointId] === p;
  }

  /** Whether `sid` is still the invitation `p` waits for (not superseded by a move or a re-invitation). */
  #awaiting(p: ParticipantState, sid: string): boolean {
    return this.#current(p) && p.jingle?.state === 'allocating' && p.jingle.sid === sid;
  }

  /** Allocates `p`'s endpoint for the invitation `sid` and offers it the session. */
  async #allocateAndOffer(p: ParticipantState, sid: string): Promise<void> {
    if (!this.#awaiting(p, sid)) return;
    let bridgeId: string | null = null;
    try {
      await this.#ensureBridge(p.region);
      bridgeId = this.state.bridgeId;
      const allocation = await this.#colibri.allocate(this.state, p);
      // The endpoint exists on the bridge from here on: whoever expires it must know where.
      p.bridgeId = bridgeId;
      this.state.bridgeConference = true;
      if (allocation.feedbackSources) this.state.feedbackSources = allocation.feedbackSources;
      this.#bridgeAvailable(true);
      if (!this.#awaiting(p, sid)) {
        // Left (or rejoined under the same nick, or was moved) while the allocation was in flight.
        this.#log.info('conference.allocation_unused', { endpoint: p.endpointId, bridge: bridgeId });
        await this.#colibri.expire(this.state, p);
        p.bridgeId = null;
        return;
      }
      this.#offer(p, allocation.transport);
      // A new endpoint (first, or after a move) starts unmuted on the bridge: re-apply force-mutes.
      if (p.audioMuted || p.videoMuted) {
        await this.#colibri.forceMute(this.state, p, { audio: p.audioMuted || undefined, video: p.videoMuted || undefined });
      }
    } catch (err) {
      if (err instanceof ColibriAllocationFailedError && err.bridgeFailed && bridgeId) {
        this.#log.warn('bridge.failed', { bridge: bridgeId, err });
        // The moves are queued behind this operation: awaiting them here would wait for itself.
        this.#moveOffBridge(bridgeId, false, true);
        return;
      }
      if (this.#awaiting(p, sid)) {
        p.jingle = null;
        this.#save();
      }
      if (err instanceof BridgeSelectionFailedError) {
        this.#log.warn('bridge.none_available', { endpoint: p.endpointId });
        this.#bridgeAvailable(false);
        this.#host.scheduleWakeUp(this.#host.now() + 5_000);
        return;
      }
      throw err;
    }
  }

  async #ensureBridge(region: string): Promise<void> {
    const candidates = await this.#host.bridges.list();
    const chosen = this.#strategy.select(candidates, {
      current: this.state.bridgeId, region: region || this.#config.defaultRegion, exclude: new Set(this.state.failedBridges),
    });
    if (!chosen) throw new BridgeSelectionFailedError();
    if (chosen.id !== this.state.bridgeId) {
      this.state.bridgeId = chosen.id;
      this.state.bridgeConference = false;
      this.state.feedbackSources = null;
      this.#log.info('bridge.selected', { bridge: chosen.id, stress: chosen.stressLevel, region: chosen.region });
    }
    this.#save();
  }

  #offer(p: ParticipantState, transport: IceUdpTransport): void {
    const known = sourcesFor(p, this.participants);
    const sources = { ...known };
    if (this.state.feedbackSources) sources[BRIDGE_OWNER] = withOwner(this.state.feedbackSources, BRIDGE_OWNER);
    if (p.moving) {
      // Make-before-break: the old bridge still forwards until the new session is on its way.
      this.#host.send(sessionTerminate(this.#occupant(p.endpointId), this.#nextId('st'), p.moving.sid,
        { condition: 'success', text: 'moving' }, `${this.state.meetingId}:${p.moving.bridgeId}`));
      p.moving = null;
    }
    const id = this.#nextId('si');
    p.jingle = { sid: p.jingle!.sid, state: 'initiated', since: this.#host.now(), iqId: id };
    p.signaled = snapshot(known);
    this.#save();
    this.#host.send(sessionInitiate({
      to: this.#occupant(p.endpointId), id, sid: p.jingle.sid, initiator: `${this.#config.focusJid}/${this.#config.focusNick}`,
      transport, sources, bridgeSessionId: `${this.state.meetingId}:${p.bridgeId}`,
    }));
    this.#host.scheduleWakeUp(this.#host.now() + this.#config.sessionAcceptTimeoutMs);
    this.#log.info('jingle.session_initiate', { endpoint: p.endpointId, bridge: p.bridgeId, sources: Object.keys(sources).length });
  }

  // Jingle from participants (already matched to the participant's session by the component)

  /** Validates synchronously (throws StanzaError); the returned promise is the bridge update. */
  sessionAccept(p: ParticipantState, sources: EndpointSources, transport: IceUdpTransport | undefined): Promise<void> {
    this.#checkSources(p, sources);
    p.sources = sources;
    p.jingle = { ...p.jingle!, state: 'active', since: this.#host.now() };
    p.reinvites = 0;
    this.#save();
    this.#log.info('jingle.session_accept', { endpoint: p.endpointId, ssrcs: ssrcsOf(sources).length });
    // The others learn p's sources; p learns what changed since its offer.
    this.#signalSoon();
    return this.#enqueueFor('accept', p, () => this.#colibri.update(this.state, p, { transport, sources }));
  }

  transportInfo(p: ParticipantState, transport: IceUdpTransport): Promise<void> {
    return this.#enqueueFor('transport', p, () => this.#colibri.update(this.state, p, { transport }));
  }

  sourceAdd(p: ParticipantState, added: EndpointSources): Promise<void> {
    const next = mergeSources(p.sources, added);
    this.#checkSources(p, next);
    p.sources = next;
    this.#save();
    this.#signalSoon();
    return this.#enqueueFor('source-add', p, () => this.#colibri.update(this.state, p, { sources: next }));
  }

  sourceRemove(p: ParticipantState, removed: EndpointSources): Promise<void> {
    p.sources = removeSources(p.sources, removed);
    this.#save();
    this.#signalSoon();
    return this.#enqueueFor('source-remove', p, () => this.#colibri.update(this.state, p, { sources: p.sources }));
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
    this.#save();
    this.#signalSoon();
    const expired = this.#enqueue('terminate', async () => {
      await this.#colibri.expire(this.state, p);
      p.bridgeId = null;
      this.#save();
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
    const current = `${this.state.meetingId}:${p.bridgeId}`;
    if (!p.jingle || p.jingle.state === 'allocating' || (bridgeSessionId && bridgeSessionId !== current)) {
      this.#log.info('participant.ice_failed_ignored', { endpoint: p.endpointId, session: bridgeSessionId ?? null });
      return Promise.resolve();
    }
    this.#log.warn('participant.ice_failed', { endpoint: p.endpointId, bridge: p.bridgeId });
    this.#host.send(sessionTerminate(this.#occupant(p.endpointId), this.#nextId('st'), p.jingle.sid,
      { condition: 'success', text: 'ICE failed, restarting' }, current));
    return this.sessionTerminated(p, true);
  }

  /** The session-initiate was refused or the participant never answered: try again, boundedly. */
  reinvite(p: ParticipantState, why: string): Promise<void> {
    if (p.reinvites >= this.#config.maxReinvites) {
      this.#log.warn('participant.given_up', { endpoint: p.endpointId, why });
      p.jingle = null;
      this.#save();
      return this.#enqueue('expire', () => this.#colibri.expire(this.state, p));
    }
    p.reinvites += 1;
    this.#log.info('participant.reinvite', { endpoint: p.endpointId, why, attempt: p.reinvites });
    // The bridge still has the old endpoint: expire it first, or the new allocation conflicts.
    const old = p.bridgeId;
    if (old) {
      p.jingle = null;
      void this.#enqueue('expire', async () => {
        await this.#colibri.expire(this.state, p);
        if (p.bridgeId === old) p.bridgeId = null;
      });
    }
    return this.#invite(p);
  }

  async forceMute(target: ParticipantState, media: 'audio' | 'video'): Promise<void> {
    await this.setForceMute(target, media, true);
  }

  /** Drops (or lets through again) `target`'s `media` at the bridge. */
  async setForceMute(target: ParticipantState, media: 'audio' | 'video', muted: boolean): Promise<void> {
    if ((media === 'audio' ? target.audioMuted : target.videoMuted) === muted) return;
    if (media === 'audio') target.audioMuted = muted;
    else target.videoMuted = muted;
    this.#save();
    await this.#enqueueFor('force-mute', target, () => this.#colibri.forceMute(this.state, target, { [media]: muted }));
  }

  /** Whether `p` may unmute `media` under AV moderation (always, when it is off; read from the room's component). */
  mayUnmute(p: ParticipantState, media: 'audio' | 'video'): boolean {
    const approved = this.#host.avModeration?.()[media];
    return approved === undefined || p.role === 'moderator' || approved.includes(p.endpointId);
  }

  #checkSources(p: ParticipantState, sources: EndpointSources): void {
    const reserved = this.state.feedbackSources ? ssrcsOf(this.state.feedbackSources) : [];
    try {
      validateSources(p.endpointId, sources, this.participants, this.#config, reserved);
    } catch (err) {
      if (err instanceof AppError) throw new StanzaError('bad-request', { text: err.message });
      throw err;
    }
  }

  /**
   * Signals sources once the current stanza's handling is over (a microtask later): a participant
   * hears the result of its session-accept before the sources queued for it (as Jicofo sends
   * them), and several changes in one turn go out as one update.
   */
  #signalSoon(): void {
    if (this.#signalQueued) return;
    this.#signalQueued = true;
    void Promise.resolve().then(() => {
      this.#signalQueued = false;
      this.#signalSources();
    }).catch((err: unknown) => this.#log.error('conference.signal_failed', { err }));
  }

  #signalQueued = false;

  /**
   * Brings every accepted session up to date with the others' sources: each is sent what changed
   * since it was last told (source-remove first, then source-add). Sessions not yet accepted get
   * theirs when they are (see source-signaling.ts).
   */
  #signalSources(): void {
    let changed = false;
    for (const q of this.participants) {
      if (q.jingle?.state !== 'active' || !q.signaled) continue;
      const desired = sourcesFor(q, this.participants);
      const update = diffSources(q.signaled, desired);
      if (isEmptyUpdate(update)) continue;
      const to = this.#occupant(q.endpointId);
      if (Object.keys(update.remove).length > 0) this.#host.send(sourceUpdate('source-remove', to, this.#nextId('src'), q.jingle.sid, update.remove));
      if (Object.keys(update.add).length > 0) this.#host.send(sourceUpdate('source-add', to, this.#nextId('src'), q.jingle.sid, update.add));
      q.signaled = snapshot(desired);
      changed = true;
    }
    if (changed) this.#save();
  }

  // Failures

  /**
   * A bridge failed (`alive` false: gone, its media too) or is shutting down (`alive` true: it
   * still forwards for a while). Everyone on it is moved to another bridge, as Jicofo's
   * reInviteParticipants does: each mover's sources leave the conference at once (the others
   * are told, and nobody is offered them again), each gets a fresh session on the new bridge, and
   * its new sources reach the others when it accepts. A live bridge keeps the old sessions until
   * the new ones are offered; if no other bridge can take them, they stay where they are.
   */
  async bridgeDown(bridgeId: string, alive = false): Promise<void> {
    if (this.state.bridgeId !== bridgeId && !this.participants.some((p) => p.bridgeId === bridgeId)) return;
    if (alive) {
      const others = (await this.#host.bridges.list()).filter((b) => b.id !== bridgeId && b.connected && b.healthy && !b.shuttingDown);
      if (others.length === 0) {
        this.#log.warn('bridge.shutting_down_no_alternative', { bridge: bridgeId });
        return;
      }
    }
    // Not excluded for later: the Registry no longer offers a dead node, nor one shutting down; a
    // node that comes back under the same id is a new process and may host the conference again.
    await this.#moveOffBridge(bridgeId, alive, false);
  }

  /** `exclude`: the bridge failed this conference itself (an allocation), so it is never selected for it again. */
  #moveOffBridge(bridgeId: string, alive: boolean, exclude: boolean): Promise<void> {
    if (exclude && !this.state.failedBridges.includes(bridgeId)) this.state.failedBridges.push(bridgeId);
    if (this.state.bridgeId === bridgeId) {
      this.state.bridgeId = null;
      this.state.bridgeConference = false;
      this.state.feedbackSources = null;
    }
    const moved = this.participants.filter((p) => p.bridgeId === bridgeId || p.jingle?.state === 'allocating');
    for (const p of moved) {
      const old = p.jingle && p.jingle.state !== 'allocating' && p.bridgeId === bridgeId ? p.jingle.sid : null;
      if (old && alive) p.moving = { sid: old, bridgeId };
      else if (old) {
        this.#host.send(sessionTerminate(this.#occupant(p.endpointId), this.#nextId('st'), old,
          { condition: 'success', text: 'moving' }, `${this.state.meetingId}:${bridgeId}`));
      }
      p.sources = emptySources();
      p.signaled = null;
      p.bridgeId = null;
      p.jingle = { sid: crypto.randomUUID().replaceAll('-', '').slice(0, 16), state: 'allocating', since: this.#host.now(), iqId: null };
    }
    this.#save();
    this.#log.warn('bridge.moving', { bridge: bridgeId, participants: moved.length, alive });
    // Participants elsewhere (none while a conference has one bridge) forget the movers' sources.
    this.#signalSoon();
    // Runs inside the queue already when called from an allocation: queue instead of awaiting.
    const work = moved.map((p) => {
      const sid = p.jingle!.sid;
      return this.#enqueue('move', () => this.#allocateAndOffer(p, sid));
    });
    if (alive) work.push(this.#enqueue('expire-old', () => this.#colibri.expireConference(this.state, bridgeId)));
    return Promise.all(work).then(() => undefined);
  }

  /** Wake-up: retry waiting invitations; re-invite participants that never accepted. */
  onWakeUp(): void {
    const now = this.#host.now();
    for (const p of this.participants) {
      if (p.jingle?.state === 'initiated' && now - p.jingle.since >= this.#config.sessionAcceptTimeoutMs) {
        void this.reinvite(p, 'no session-accept');
      }
    }
    void this.#inviteWaiting();
  }
}
