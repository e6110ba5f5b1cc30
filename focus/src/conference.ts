/**
 * One conference as the focus runs it (Jicofo's JitsiMeetConferenceImpl): who takes part, which
 * bridge hosts them, bridge-side mutes and AV moderation, and moving everyone off a bridge that
 * fails. Each participant's Jingle session and source signalling is participant-sessions.ts;
 * Colibri2 is behind colibri-sessions.ts (colibri-session.ts); bridge operations run in order in
 * bridge-queue.ts; the stanza plumbing is focus-component.ts.
 * @module
 */
import { FEATURE_SSRC_REWRITING } from '@edgemeet/protocol';
import { SingleBridgeSelectionStrategy, type BridgeSelectionStrategy } from './bridge-selector.ts';
import { BridgeQueue } from './bridge-queue.ts';
import { ColibriSessionManager } from './colibri-session.ts';
import type { ColibriSessions } from './colibri-sessions.ts';
import type { FocusConfig } from './config.ts';
import { BridgeSelectionFailedError } from './errors.ts';
import type { FocusHost, FocusLogger } from './host.ts';
import { sessionTerminate } from './jingle/jingle-messages.ts';
import { newSid, ParticipantSessions } from './participant-sessions.ts';
import { snapshot, sourcesFor } from './source-signaling.ts';
import { emptySources, type ConferenceState, type ParticipantState } from './state.ts';

export interface ConferenceOptions {
  host: FocusHost;
  config: FocusConfig;
  mucDomain: string;
  state: ConferenceState;
  strategy?: BridgeSelectionStrategy;
  /** The bridge side; default Colibri2 through `host.bridges`. Told to report bridge failures to the conference. */
  colibri?: (listener: { bridgeFailed(bridgeId: string, err: Error): void }) => ColibriSessions;
  /** Told when no bridge can be found for a participant, and when one is found again. */
  onBridgeAvailability?: (available: boolean) => void;
}

export class Conference {
  readonly #host: FocusHost;
  readonly #config: FocusConfig;
  readonly #log: FocusLogger;
  readonly #colibri: ColibriSessions;
  readonly #strategy: BridgeSelectionStrategy;
  readonly #roomJid: string;
  readonly #queue: BridgeQueue;
  readonly state: ConferenceState;
  /** Every participant's Jingle session with the focus. */
  readonly sessions: ParticipantSessions;
  readonly #onBridgeAvailability: (available: boolean) => void;
  #bridgeMissing = false;
  #ids = 0;

  constructor(o: ConferenceOptions) {
    this.#host = o.host;
    this.#config = o.config;
    this.state = o.state;
    this.#roomJid = `${o.state.room}@${o.mucDomain}`;
    this.#log = o.host.log.child({ ns: 'focus:conference', room: o.state.room });
    this.#queue = new BridgeQueue(this.#log);
    const listener = {
      bridgeFailed: (bridgeId: string, err: Error) => {
        this.#log.warn('bridge.failed', { bridge: bridgeId, err });
        // The moves are queued behind the failed operation; nothing may await them there.
        this.#moveOffBridge(bridgeId, false, true).catch((e: unknown) => this.#log.error('bridge.move_failed', { err: e }));
      },
    };
    this.#colibri = o.colibri?.(listener) ?? new ColibriSessionManager(o.host.bridges, o.mucDomain, listener);
    this.#strategy = o.strategy ?? new SingleBridgeSelectionStrategy();
    this.#onBridgeAvailability = o.onBridgeAvailability ?? (() => undefined);
    this.sessions = new ParticipantSessions({
      state: this.state, host: this.#host, config: this.#config, log: this.#log, colibri: this.#colibri, queue: this.#queue,
      save: () => this.#save(), nextId: (prefix) => this.#nextId(prefix), occupant: (id) => `${this.#roomJid}/${id}`,
      ensureBridge: (region) => this.#ensureBridge(region), bridgeAvailable: (available) => this.#bridgeAvailable(available),
    });
    // State saved before per-session source signalling: an active session knew the current sources.
    for (const p of this.participants) {
      p.moving ??= null;
      p.invited ??= p.jingle !== null || p.bridgeId !== null;
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

  /**
   * A participant's features arrived (its disco#info answer; null: it did not answer in time or
   * refused): it may now be invited, with SSRC rewriting if it supports it and the focus allows it.
   */
  setFeatures(endpointId: string, features: readonly string[] | null): Promise<void> {
    const p = this.state.participants[endpointId];
    if (!p || p.featuresAskedAt === undefined) return Promise.resolve();
    delete p.featuresAskedAt;
    p.ssrcRewriting = this.#config.ssrcRewriting && (features?.includes(FEATURE_SSRC_REWRITING) ?? false);
    this.#save();
    this.#log.info('participant.features', { endpoint: endpointId, answered: features !== null, ssrcRewriting: p.ssrcRewriting });
    return this.sessions.inviteWaiting();
  }

  #save(): void {
    this.#host.store.save(this.state);
  }

  #nextId(prefix: string): string {
    this.#ids += 1;
    return `${prefix}-${this.#host.now().toString(36)}-${this.#ids}`;
  }

  // Membership

  /** A participant joined the room: it is invited once enough participants are here. */
  addParticipant(p: Omit<ParticipantState, 'bridgeId' | 'jingle' | 'sources' | 'signaled' | 'moving' | 'reinvites' | 'mediaDeclined'>): Promise<void> {
    if (this.state.participants[p.endpointId]) return Promise.resolve();
    this.state.participants[p.endpointId] = {
      ...p, bridgeId: null, jingle: null, sources: emptySources(), signaled: null, moving: null, reinvites: 0, mediaDeclined: false,
    };
    this.#save();
    this.#log.info('participant.added', { endpoint: p.endpointId, participants: this.participants.length });
    return this.sessions.inviteWaiting();
  }

  /** A participant left the room: its endpoint is expired, and the bridge conference with the last one. */
  removeParticipant(endpointId: string): Promise<void> {
    const p = this.state.participants[endpointId];
    if (!p) return Promise.resolve();
    delete this.state.participants[endpointId];
    this.#save();
    this.#log.info('participant.removed', { endpoint: endpointId, participants: this.participants.length });
    this.sessions.forget(endpointId);
    return this.#queue.run('expire', async () => {
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

  /**
   * The conference is over (its room was destroyed): everyone is forgotten and the conference is
   * expired on every bridge that hosts part of it, after the bridge work already queued.
   */
  stop(): Promise<void> {
    const bridges = new Set<string>();
    if (this.state.bridgeId) bridges.add(this.state.bridgeId);
    for (const p of this.participants) {
      if (p.bridgeId) bridges.add(p.bridgeId);
      if (p.moving) bridges.add(p.moving.bridgeId);
      this.sessions.forget(p.endpointId);
    }
    this.state.participants = {};
    this.state.bridgeId = null;
    this.state.bridgeConference = false;
    this.state.feedbackSources = null;
    this.state.joined = false;
    this.#log.info('conference.stopped', { bridges: [...bridges] });
    return this.#queue.run('expire', async () => {
      for (const bridgeId of bridges) {
        await this.#colibri.expireConference(this.state, bridgeId).catch((err: unknown) => this.#log.warn('colibri.expire_failed', { err }));
      }
    });
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

  // Mutes

  async forceMute(target: ParticipantState, media: 'audio' | 'video'): Promise<void> {
    await this.setForceMute(target, media, true);
  }

  /** Drops (or lets through again) `target`'s `media` at the bridge. */
  async setForceMute(target: ParticipantState, media: 'audio' | 'video', muted: boolean): Promise<void> {
    if ((media === 'audio' ? target.audioMuted : target.videoMuted) === muted) return;
    if (media === 'audio') target.audioMuted = muted;
    else target.videoMuted = muted;
    this.#save();
    await this.#queue.run('force-mute', () => this.#colibri.forceMute(this.state, target, { [media]: muted }),
      () => (this.state.participants[target.endpointId] === target ? null : `${target.endpointId} left`));
  }

  /** Whether `p` may unmute `media` under AV moderation (always, when it is off; read from the room's component). */
  mayUnmute(p: ParticipantState, media: 'audio' | 'video'): boolean {
    const approved = this.#host.avModeration?.()[media];
    return approved === undefined || p.role === 'moderator' || approved.includes(p.endpointId);
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
        this.#host.send(sessionTerminate(`${this.#roomJid}/${p.endpointId}`, this.#nextId('st'), old,
          { condition: 'success', text: 'moving' }, `${this.state.meetingId}:${bridgeId}`));
      }
      p.sources = emptySources();
      p.signaled = null;
      p.bridgeId = null;
      p.jingle = { sid: newSid(), state: 'allocating', since: this.#host.now(), iqId: null, startMuted: this.sessions.decideStartMuted(p) };
    }
    this.#save();
    this.#log.warn('bridge.moving', { bridge: bridgeId, participants: moved.length, alive });
    // Participants elsewhere (none while a conference has one bridge) forget the movers' sources.
    this.sessions.signalSoon();
    const work = moved.map((p) => this.sessions.allocateAndOffer(p));
    if (alive) work.push(this.#queue.run('expire-old', () => this.#colibri.expireConference(this.state, bridgeId)));
    return Promise.all(work).then(() => undefined);
  }

  /** Wake-up: retry waiting invitations; re-invite participants that never accepted. */
  onWakeUp(): Promise<void> {
    const now = this.#host.now();
    const late = this.participants.filter((p) => p.featuresAskedAt !== undefined && now - p.featuresAskedAt >= this.#config.featuresTimeoutMs);
    return Promise.all([...late.map((p) => this.setFeatures(p.endpointId, null)), this.sessions.onWakeUp()]).then(() => undefined);
  }
}
