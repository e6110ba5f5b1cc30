/**
 * The focus of one room (`focus.<domain>`, Jicofo's role): answers the `conference` IQ, joins the
 * MUC as `focus`, follows occupants through their presence, keeps one owner, handles Jingle from
 * participants and mute requests, and drives the {@link Conference}. It talks only through
 * {@link FocusHost}; the host delivers stanzas addressed to the focus occupant and presence
 * broadcasts via {@link FocusComponent.handleStanza}.
 * @module
 */
import {
  FEATURE_SSRC_REWRITING, NS_JINGLE, NS_JINGLE_ERRORS, StanzaError, buildBridgeNotAvailable, buildDiscoInfoGet, parseDiscoFeatures, buildConferenceAnswer, buildConferenceProperties, buildIq,
  buildIqError, buildMucLeave, buildMucPresence, buildMute, buildRecordingStatus, findJibri, findMute, mutedMediaType, parseConferenceRequest,
  parseJingle, parseJitsiPresence, parseMucUser, sourcesFromContents, startMutedThresholds, tryParseJid, xml, type Element, type EndpointSources, type Jingle,
  type Mute, type StartMutedThresholds,
} from '@edgemeet/protocol';
import type { FocusConfig } from './config.ts';
import { Conference } from './conference.ts';
import type { FocusHost, FocusLogger } from './host.ts';
import { JibriRecorder } from './jibri/jibri-recorder.ts';
import { mergeSources } from './sources.ts';
import { emptySources, type ConferenceState, type ParticipantState } from './state.ts';


export interface FocusComponentOptions {
  host: FocusHost;
  config: FocusConfig;
  mucDomain: string;
  room: string;
  /** The room's meeting id (`muc#roominfo_meetingId`), used as the Colibri2 meeting-id. */
  meetingId: () => string;
  /**
   * Jicofo's `authentication.enabled` (secure domain): only authenticated users may start the
   * conference; others are answered not-authorized until it exists.
   */
  authentication?: boolean;
}

/** Who sent a conference IQ, as far as the focus cares. */
export interface ConferenceRequester {
  /** Logged in with a verified token (not a guest). */
  readonly authenticated: boolean;
}

/** Distinct client caps whose features a room remembers. */
const MAX_CACHED_CAPS = 32;
/** disco#info questions a room keeps waiting for an answer to. */
const MAX_PENDING_DISCO = 256;

export class FocusComponent {
  readonly #o: FocusComponentOptions;
  readonly #log: FocusLogger;
  readonly #roomJid: string;
  #conference: Conference | null = null;
  #jibri: JibriRecorder | null = null;
  #bridgeMissing = false;
  /** disco#info questions in flight: IQ id → nick (lost with an eviction: the wake-up then invites without features). */
  readonly #discoAsked = new Map<string, { nick: string; caps: string }>();
  /**
   * Features by XEP-0115 caps (`node#ver`), as Smack's caps cache serves Jicofo: a participant
   * whose client announces caps already answered in this room is invited at once, without asking.
   * Bounded; in memory (after an eviction the next participant is asked again).
   */
  readonly #capsFeatures = new Map<string, readonly string[]>();
  #discoSeq = 0;

  constructor(o: FocusComponentOptions) {
    this.#o = o;
    this.#roomJid = `${o.room}@${o.mucDomain}`;
    this.#log = o.host.log.child({ ns: 'focus', room: o.room });
    const saved = o.host.store.load() as ConferenceState | null;
    if (saved && saved.room === o.room) this.#conference = this.#makeConference(saved);
  }

  #makeConference(state: ConferenceState): Conference {
    this.#jibri = new JibriRecorder({
      host: this.#o.host, config: this.#o.config, state, roomJid: this.#roomJid, log: this.#log,
      save: () => this.#o.host.store.save(state),
      publish: () => {
        if (state.joined && this.#conference?.state === state) this.#o.host.send(this.#focusPresence(state, false));
      },
    });
    return new Conference({
      host: this.#o.host, config: this.#o.config, mucDomain: this.#o.mucDomain, state,
      onBridgeAvailability: (available) => {
        this.#bridgeMissing = !available;
        if (state.joined) this.#o.host.send(this.#focusPresence(state, false));
      },
    });
  }

  /** The focus's presence in the room (jitsi-wire-protocol §3.2: conference-properties, bridgeNotAvailable). */
  #focusPresence(state: ConferenceState, join: boolean): Element {
    const properties = buildConferenceProperties({ 'support-terminate-restart': 'true', 'created-ms': String(state.createdMs) });
    const extensions = [properties];
    if (this.#bridgeMissing) extensions.push(buildBridgeNotAvailable());
    // Jicofo keeps the last recording status in its presence (lib-jitsi-meet ignores repeats).
    if (state.recordingStatus) extensions.push(buildRecordingStatus(state.recordingStatus));
    return buildMucPresence({ to: `${this.#roomJid}/${this.#o.config.focusNick}`, join: join ? {} : undefined, extensions });
  }

  /** The conference, once the focus runs one in this room. */
  get conference(): Conference | null { return this.#conference; }

  /** Recording and live streaming of the conference. */
  get jibri(): JibriRecorder | null { return this.#conference ? this.#jibri : null; }

  /** True while the focus is an occupant of the room. */
  get joined(): boolean { return this.#conference?.state.joined ?? false; }

  /**
   * The `conference` IQ to `focus.<domain>` (jitsi-wire-protocol §2.3): the focus joins the room
   * if it has not yet, and answers ready with its JID.
   */
  handleConferenceIq(conferenceEl: Element, requester: ConferenceRequester = { authenticated: true }): Element {
    const room = parseConferenceRequest(conferenceEl).room.toLowerCase();
    if (room !== this.#roomJid) throw new StanzaError('not-allowed', { text: `this connection belongs to ${this.#roomJid}` });
    const authentication = this.#o.authentication === true;
    // Jicofo's ConferenceIqHandler: only authenticated users create a conference; lib-jitsi-meet
    // turns not-authorized into AUTHENTICATION_REQUIRED and jitsi-meet shows "waiting for the host".
    if (authentication && !requester.authenticated && this.#conference === null) {
      throw new StanzaError('not-authorized', { text: 'not authorized user domain' });
    }
    if (!this.joined) this.#join(startMutedThresholds(parseConferenceRequest(conferenceEl).properties));
    return buildConferenceAnswer({
      room: this.#roomJid, ready: true, focusJid: this.#o.config.focusJid,
      properties: { authentication: String(authentication), ...(authentication ? { externalAuth: 'true' } : {}), 'visitors-supported': 'false' },
    });
  }

  /** `thresholds`: the start-muted thresholds of the request that creates the conference (Jicofo keeps the first's). */
  #join(thresholds: StartMutedThresholds): void {
    const state: ConferenceState = this.#conference?.state ?? {
      room: this.#o.room, meetingId: this.#o.meetingId(), createdMs: this.#o.host.now(), joined: false, bridgeId: null,
      bridgeConference: false, feedbackSources: null, failedBridges: [], participants: {}, startMutedThresholds: thresholds,
    };
    this.#conference ??= this.#makeConference(state);
    this.#conference.setJoined(true);
    this.#o.host.send(this.#focusPresence(state, true));
    this.#log.info('focus.joined');
  }

  /** A stanza delivered to the focus occupant (presence broadcasts, IQs from occupants, replies). */
  async handleStanza(stanza: Element): Promise<void> {
    const conference = this.#conference;
    if (!conference) return;
    const from = tryParseJid(stanza.attrs.from as string | undefined);
    if (!from || from.bare().toString() !== this.#roomJid || !from.resource) return;
    if (stanza.name === 'presence') return this.#presence(conference, stanza, from.resource);
    if (stanza.name === 'iq') return this.#iq(conference, stanza, from.resource);
  }

  #presence(conference: Conference, presence: Element, nick: string): void {
    if (nick === this.#o.config.focusNick) {
      if (presence.attrs.type === 'unavailable') conference.setJoined(false);
      return;
    }
    if (presence.attrs.type === 'unavailable') {
      const leaving = conference.removeParticipant(nick);
      // Only hidden occupants (recorders) left: nobody to record (the recorder then leaves too).
      if (!conference.participants.some((p) => !p.hidden)) this.#jibri?.roomEmpty();
      leaving.then(() => {
        if (conference.participants.length === 0) this.#leave(conference);
      }).catch((err: unknown) => this.#log.error('focus.leave_failed', { err, endpoint: nick }));
      return;
    }
    if (presence.attrs.type !== undefined) return;
    const item = parseMucUser(presence)?.item;
    const realJid = item?.jid ?? '';
    const isOwner = item?.affiliation === 'owner';
    const role = item?.role ?? 'participant';
    if (conference.participant(nick)) {
      conference.updateOccupant(nick, { isOwner, role });
      return;
    }
    const extensions = parseJitsiPresence(presence);
    const hidden = tryParseJid(realJid)?.domain === this.#o.config.hiddenDomain;
    // As Jicofo, the participant's features (disco#info) decide how it is invited (SSRC rewriting).
    // Only clients announcing XEP-0115 caps are asked (lib-jitsi-meet does; a client without caps may never answer).
    const caps = extensions.caps ? `${extensions.caps.node}#${extensions.caps.ver}` : undefined;
    const known = caps === undefined ? undefined : this.#capsFeatures.get(caps);
    const askFeatures = this.#o.config.ssrcRewriting && caps !== undefined && known === undefined;
    const now = this.#o.host.now();
    conference.addParticipant({
      endpointId: nick, realJid, statsId: extensions.statsId ?? null,
      region: extensions.region ?? '', audioMuted: false, videoMuted: false, isOwner, role, ...(hidden ? { hidden } : {}),
      ...(askFeatures ? { featuresAskedAt: now } : {}),
      ...(this.#o.config.ssrcRewriting && known?.includes(FEATURE_SSRC_REWRITING) ? { ssrcRewriting: true } : {}),
    }).catch((err: unknown) => this.#log.error('focus.invite_failed', { err, endpoint: nick }));
    if (askFeatures) {
      const id = `disco-${++this.#discoSeq}`;
      this.#discoAsked.set(id, { nick, caps: caps! });
      // Clients that never answer leave their question behind (the wake-up invites them anyway): keep the newest only.
      if (this.#discoAsked.size > MAX_PENDING_DISCO) this.#discoAsked.delete(this.#discoAsked.keys().next().value!);
      this.#o.host.send(buildDiscoInfoGet(`${this.#roomJid}/${nick}`, id));
      this.#o.host.scheduleWakeUp(now + this.#o.config.featuresTimeoutMs);
    }
    // Joining a moderated conference: muted until approved (before the first allocation, so it starts muted on the bridge).
    const joined = conference.participant(nick);
    const focus = `${this.#roomJid}/${this.#o.config.focusNick}`;
    // A recorder sends no media: AV moderation has nothing to mute (Jicofo's shouldSuppressForceMute for Jibri).
    if (joined && !joined.hidden) {
      for (const media of ['audio', 'video'] as const) {
        this.#moderate(conference, joined, media, focus).catch((err: unknown) => this.#log.error('focus.moderate_failed', { err, endpoint: nick, media }));
      }
    }
  }

  /**
   * The last participant left: the conference is over (its bridge conference was expired by
   * removeParticipant); the focus leaves the room so that the MUC can be destroyed.
   */
  #leave(conference: Conference): void {
    if (this.#conference !== conference || conference.participants.length > 0) return;
    this.#conference = null;
    this.#o.host.store.save(null);
    this.#o.host.send(buildMucLeave(`${this.#roomJid}/${this.#o.config.focusNick}`));
    this.#log.info('focus.left');
  }


  async #iq(conference: Conference, iq: Element, nick: string): Promise<void> {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') return this.#reply(conference, iq, nick);
    const p = conference.participant(nick);
    const jibri = findJibri(iq);
    if (jibri && type === 'set') return this.#jibriRequest(iq, jibri, p);
    try {
      const jingle = iq.getChild('jingle', NS_JINGLE);
      const mute = findMute(iq);
      let work: Promise<void> | undefined;
      if (jingle && type === 'set') {
        if (!p) throw new StanzaError('item-not-found', { text: 'not a participant' });
        work = this.#jingle(conference, p, jingle);
      } else if (mute && type === 'set') {
        work = this.#mute(conference, nick, mute);
      } else {
        throw new StanzaError('service-unavailable');
      }
      this.#o.host.send(buildIq('result', iq.attrs.from, iq.attrs.id));
      await work;
    } catch (err) {
      const error = StanzaError.from(err);
      if (!(err instanceof StanzaError)) this.#log.error('focus.iq_failed', { err, from: nick });
      this.#o.host.send(buildIqError(iq.attrs.from, iq.attrs.id, error));
    }
  }

  /** A `jibri` IQ from an occupant: answered when the recorder has (Jicofo's JibriRecorder waits for its "pending"). */
  async #jibriRequest(iq: Element, payload: Element, p: ParticipantState | undefined): Promise<void> {
    const from = String(iq.attrs.from);
    try {
      const answer = await this.#jibri!.handleRequest(from, p, payload);
      this.#o.host.send(buildIq('result', from, iq.attrs.id, answer ?? undefined));
    } catch (err) {
      const error = StanzaError.from(err);
      if (!(err instanceof StanzaError)) this.#log.error('focus.jibri_failed', { err, from });
      this.#o.host.send(buildIqError(from, iq.attrs.id, error));
    }
  }

  /**
   * A `jibri` IQ set from a recorder (its status), `from` its brewery occupant JID: throws
   * StanzaError item-not-found when it is not the recorder of this room's session.
   */
  recorderIq(from: string, payload: Element): Promise<void> {
    const jibri = this.jibri;
    if (!jibri) return Promise.reject(new StanzaError('item-not-found', { text: 'no conference here' }));
    return jibri.handleRecorderIq(from, payload);
  }

  /** The Registry says a recorder is gone: the session on it fails over or ends. */
  recorderDown(recorderId: string): Promise<void> {
    return this.jibri?.recorderDown(recorderId) ?? Promise.resolve();
  }

  /** Validates synchronously (throwing StanzaError); returns the asynchronous bridge work. */
  #jingle(conference: Conference, p: ParticipantState, el: Element): Promise<void> {
    let j: Jingle;
    try {
      j = parseJingle(el);
    } catch (err) {
      throw new StanzaError('bad-request', { text: err instanceof Error ? err.message : 'malformed jingle', cause: err });
    }
    if (!p.jingle || p.jingle.sid !== j.sid) {
      throw new StanzaError('item-not-found', { text: 'unknown session', application: xml('unknown-session', { xmlns: NS_JINGLE_ERRORS }) });
    }
    const transport = j.contents.find((c) => c.transport)?.transport;
    switch (j.action) {
      case 'session-accept':
        return conference.sessions.sessionAccept(p, this.#sources(j, p.endpointId), transport);
      case 'transport-info':
        if (!transport) throw new StanzaError('bad-request', { text: 'transport-info without a transport' });
        return conference.sessions.transportInfo(p, transport);
      case 'source-add':
      case 'addsource':
        return conference.sessions.sourceAdd(p, this.#sources(j, p.endpointId));
      case 'source-remove':
      case 'removesource':
        return conference.sessions.sourceRemove(p, this.#sources(j, p.endpointId));
      case 'session-terminate':
        return conference.sessions.sessionTerminated(p, j.bridgeSession?.restart === true);
      case 'session-info':
        // lib-jitsi-meet reports an ICE failure with the bridge this way; other session-info is informational.
        return j.iceState === 'failed' ? conference.sessions.iceFailed(p, j.bridgeSession?.id) : Promise.resolve();
      default:
        throw new StanzaError('feature-not-implemented', { text: `unsupported action ${j.action}` });
    }
  }

  /** Everything the participant announced, as its own (clients cannot announce others' sources). */
  #sources(j: Jingle, endpointId: string): EndpointSources {
    let all = emptySources();
    const maps = [sourcesFromContents(j.contents, endpointId), j.jsonSources ?? {}];
    try {
      for (const map of maps) for (const s of Object.values(map)) all = mergeSources(all, s);
    } catch (err) {
      throw new StanzaError('bad-request', { text: err instanceof Error ? err.message : 'bad sources' });
    }
    return all;
  }

  /** A moderator's mute request (jitsi-wire-protocol §3.4): forwarded to the target and enforced on the bridge. */
  #mute(conference: Conference, actorNick: string, mute: Mute): Promise<void> {
    const actor = conference.participant(actorNick);
    if (!actor) throw new StanzaError('not-allowed', { text: 'not a participant' });
    const targetJid = tryParseJid(mute.jid);
    const target = targetJid?.resource ? conference.participant(targetJid.resource) : undefined;
    if (!target) throw new StanzaError('item-not-found', { text: 'no such participant' });
    const media = mutedMediaType(mute.media);
    if (!mute.mute) {
      // lib-jitsi-meet asks to be let through again when it unmutes after a mute by the focus.
      if (target !== actor) throw new StanzaError('not-allowed', { text: 'only the participant itself can unmute' });
      if (!conference.mayUnmute(target, media)) throw new StanzaError('not-allowed', { text: 'AV moderation: not approved to unmute' });
      this.#log.info('participant.unmuted', { target: target.endpointId, media });
      return conference.setForceMute(target, media, false);
    }
    if (actor.role !== 'moderator') throw new StanzaError('not-allowed', { text: 'only moderators may mute others' });
    this.#o.host.send(buildIq('set', `${this.#roomJid}/${target.endpointId}`, `mute-${this.#o.host.now().toString(36)}`,
      buildMute({ media: mute.media, mute: true, actor: `${this.#roomJid}/${actorNick}` })));
    this.#log.info('participant.muted', { target: target.endpointId, media, actor: actorNick });
    return conference.forceMute(target, media);
  }

  /**
   * AV moderation changed for `media` (from the room's av_moderation component): on enabling, every
   * participant who is neither a moderator nor approved is muted, told so by a mute IQ and
   * force-muted on the bridge (Jicofo's muteAllParticipants); approved ones may unmute themselves.
   */
  async avModeration(media: 'audio' | 'video', enabled: boolean, actorNick: string): Promise<void> {
    const conference = this.#conference;
    if (!conference || !enabled) return;
    const work = conference.participants.map((p) => this.#moderate(conference, p, media, `${this.#roomJid}/${actorNick}`));
    this.#log.info('av_moderation.enabled', { media, participants: work.length });
    await Promise.all(work);
  }

  /** Mutes `p` (mute IQ + bridge) if AV moderation does not let it speak or show video. */
  #moderate(conference: Conference, p: ParticipantState, media: 'audio' | 'video', actor: string): Promise<void> {
    if (conference.mayUnmute(p, media) || (media === 'audio' ? p.audioMuted : p.videoMuted)) return Promise.resolve();
    this.#o.host.send(buildIq('set', `${this.#roomJid}/${p.endpointId}`, `avmute-${p.endpointId}-${this.#o.host.now().toString(36)}`,
      buildMute({ media, mute: true, actor })));
    return conference.setForceMute(p, media, true);
  }

  #reply(conference: Conference, iq: Element, nick: string): void {
    const asked = this.#discoAsked.get(iq.attrs.id as string);
    if (asked !== undefined) {
      this.#discoAsked.delete(iq.attrs.id as string);
      if (asked.nick !== nick) return;
      const features = parseDiscoFeatures(iq);
      if (features && this.#capsFeatures.size < MAX_CACHED_CAPS) this.#capsFeatures.set(asked.caps, features);
      conference.setFeatures(nick, features).catch((err: unknown) => this.#log.error('focus.invite_failed', { err, endpoint: nick }));
      return;
    }
    const p = conference.participant(nick);
    if (!p?.jingle || p.jingle.iqId !== iq.attrs.id) return;
    if (iq.attrs.type === 'error') conference.sessions.reinvite(p, 'session-initiate refused').catch((err: unknown) => this.#log.error('focus.reinvite_failed', { err, endpoint: nick }));
  }

  /**
   * The room was destroyed under the focus (a moderator ended the meeting): the conference stops as
   * Jicofo's does when its room goes — every endpoint and the bridge conference are expired, the
   * state is dropped, and nothing more is sent to the room (it is gone). The conference is dropped
   * at once (presences that follow are ignored); the promise is the bridge work.
   */
  roomDestroyed(): Promise<void> {
    const conference = this.#conference;
    if (!conference) return Promise.resolve();
    this.#jibri?.shutdown();
    this.#conference = null;
    this.#bridgeMissing = false;
    this.#o.host.store.save(null);
    this.#log.info('focus.room_destroyed', { participants: conference.participants.length });
    return conference.stop();
  }

  /** The Registry says a media node is gone (`alive` false) or shutting down while it still forwards (`alive` true). */
  bridgeDown(bridgeId: string, alive = false): Promise<void> {
    return this.#conference?.bridgeDown(bridgeId, alive) ?? Promise.resolve();
  }

  onWakeUp(): void {
    this.#conference?.onWakeUp().catch((err: unknown) => this.#log.error('focus.wake_up_failed', { err }));
    this.jibri?.onWakeUp().catch((err: unknown) => this.#log.error('focus.jibri_wake_up_failed', { err }));
  }
}


