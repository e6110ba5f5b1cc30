/**
 * One participant's meeting, speaking Jitsi's protocol as lib-jitsi-meet does: the `conference` IQ
 * to the focus, the MUC join with presence (display name, mute state, video type), chat, moderator
 * actions, and the Jingle session with the media node (media-session.ts). The UI listens to
 * {@link MeetingEvents}.
 * @module
 */
import {
  LOBBY_ROOMINFO_FIELD, NS_DATA_FORMS, NS_DISCO_INFO, NS_JINGLE, NS_JITMEET, NS_MUC_OWNER, NS_MUC_USER, NS_MUC_ROOMCONFIG, NS_NICK, StanzaError, bareJid, buildConferenceRequest, buildIq, buildIqError,
  buildJitsiPresence, buildMucAdmin, buildMucLeave, buildMucPresence, buildMute, findMute, hasBridgeNotAvailable, parseJingle, parseJitsiPresence,
  parseMucUser, buildPollCommand, buildRoomMetadataCommand, readPollsEvents, readStartMutedPolicy, serializeBridgeMessage, tryParseJid, xml, type Element,
  type Jingle, type Mute, type Poll, type StanzaErrorCondition,
} from '@edgemeet/protocol';
import { fetchIceServers } from './ice-servers.ts';
import { LobbyClient, type LobbyState } from './lobby-client.ts';
import { MediaSession, type Quality } from './media-session.ts';
import { PollBook } from './poll-book.ts';
import { RecordingControl, type RecordingView } from './recording.ts';
import { XmppConnection, XmppError } from './xmpp-connection.ts';

export interface ClientConfig {
  hosts: { domain: string; muc: string; focus: string; anonymousdomain?: string };
  serviceUrl: string;
  tokenAuthUrl?: string;
  /** The signed-in user's Jitsi JWT (login.ts), sent as `?token=` as lib-jitsi-meet does. */
  token?: string;
  /** jitsi-meet's deploymentInfo; `userRegion` is announced as jitsi_participant_region (bridge selection). */
  deploymentInfo?: { region?: string; userRegion?: string };
  /** Occupants whose real JID is on this domain (recorders) get no tile and count as no participant. */
  hiddenDomain?: string;
}

export interface Participant {
  id: string;
  name: string;
  role: string;
  audioMuted: boolean;
  videoMuted: boolean;
  videoType: string;
  handRaised: boolean;
  tracks: MediaStreamTrack[];
}

export interface MeetingEvents {
  participants(list: Participant[]): void;
  message(m: { from: string; name: string; text: string; self: boolean }): void;
  dominantSpeaker(id: string): void;
  /** The focus muted this participant (a moderator, or AV moderation). */
  mutedByFocus(media: 'audio' | 'video'): void;
  status(text: string): void;
  error(code: string, text: string): void;
  left(): void;
  /** A moderator ended the meeting for everyone (the room was destroyed), with the server's reason. */
  ended(reason: string): void;
  /** The lobby: whether the room has one, who knocks (for moderators). */
  lobby(state: LobbyState): void;
  /** Waiting in the lobby under this name (null: not, or no longer). */
  waiting(name: string | null): void;
  /** The room's polls changed (one created or answered, or the history arrived). */
  polls(list: Poll[]): void;
  /** The room's start-muted policy (its metadata), as moderators set it. */
  startMutedPolicy(policy: { audio: boolean; video: boolean }): void;
  /** The focus had this participant start muted (Jicofo's `<startmuted/>`). */
  startedMuted(media: 'audio' | 'video'): void;
  /** The recording's state changed (the focus's jibri-recording-status, or this participant's own start). */
  recording(view: RecordingView): void;
}

/** Dominant-speaker time of one participant (this one included), as lib-jitsi-meet's SpeakerStats keeps it. */
export interface SpeakerTime { id: string; name: string; ms: number }

const nickOf = (jid: string) => jid.slice(0, 8);
/** Above this many participants, only the most recent speakers' videos are received. */
const LAST_N = 25;

export class Meeting {
  readonly #config: ClientConfig;
  readonly #room: string;
  readonly #roomJid: string;
  readonly #events: MeetingEvents;
  #xmpp: XmppConnection | null = null;
  #media: MediaSession | null = null;
  /** TURN servers from the edge (XEP-0215), asked for once connected (ice-servers.ts). */
  #iceServers: Promise<RTCIceServer[]> = Promise.resolve([]);
  #chain: Promise<void> = Promise.resolve();
  #constraints: { maxHeight: number; onStage?: string } = { maxHeight: 360 };
  readonly participants = new Map<string, Participant>();
  readonly local: { stream: MediaStream; name: string; audioMuted: boolean; videoMuted: boolean; videoType: string; handRaised: boolean };
  myId = '';
  isModerator = false;
  joinedAt = 0;
  #leaving = false;
  /** Jitsi components found in the domain's disco#info, by identity type (`end_conference`, `speakerstats`). */
  readonly #components = new Map<string, string>();
  /** Speaking time: closed totals (the speaker stats component's for those before us), and who speaks since when. */
  readonly #speakerTotals = new Map<string, number>();
  readonly #speakerNames = new Map<string, string>();
  #speaking: { id: string; since: number } | null = null;
  readonly lobby: LobbyClient;
  readonly #polls = new PollBook();
  /** The room metadata's start-muted policy, as last heard. */
  startMutedPolicy = { audio: false, video: false };
  /** The first session-initiate's `<startmuted/>` was applied (as lib-jitsi-meet, an initial mute only). */
  #startMutedApplied = false;

  /** Recording: start/stop for moderators, the state for everyone. */
  readonly recording: RecordingControl;
  /** Hidden occupants (recorders) in the room: no tile, no participant. */
  readonly #hidden = new Set<string>();

  constructor(config: ClientConfig, room: string, local: Meeting['local'], events: MeetingEvents) {
    this.#config = config;
    this.#room = room.toLowerCase();
    this.#roomJid = `${this.#room}@${config.hosts.muc}`;
    this.local = local;
    this.#events = events;
    this.recording = new RecordingControl({
      focus: `${this.#roomJid}/focus`, iq: (el) => this.#xmpp?.iq(el), changed: (view) => this.#events.recording(view),
      nameOf: (occupant) => {
        const nick = occupant.slice(occupant.indexOf('/') + 1);
        return nick === this.myId ? this.local.name : this.participants.get(nick)?.name ?? nick;
      },
    });
    this.lobby = new LobbyClient({
      roomJid: this.#roomJid,
      myId: () => this.myId,
      displayName: () => this.local.name,
      isModerator: () => this.isModerator,
      memberJids: () => [...this.#realJids.values()],
      send: (el) => this.#xmpp?.send(el),
      iq: (el) => this.#xmpp ? this.#xmpp.iq(el) : Promise.reject(new Error('not connected')),
      rejoin: () => this.#xmpp?.send(this.#presence(true)),
      state: (s) => events.lobby(s),
      waiting: (name) => events.waiting(name),
      denied: (reason) => events.error('lobby-denied', reason),
    });
  }

  /** The room's disco#info: members-only and its lobby room (lib-jitsi-meet reads it after joining and on status 104). */
  async #roomInfo(): Promise<void> {
    try {
      const info = await this.#xmpp?.iq(buildIq('get', this.#roomJid, undefined, xml('query', { xmlns: NS_DISCO_INFO })));
      const query = info?.getChild('query');
      if (!query) return;
      const membersOnly = query.getChildren('feature').some((f) => f.attrs.var === 'muc_membersonly');
      const lobbyRoom = query.getChild('x', NS_DATA_FORMS)?.getChildren('field').find((f) => f.attrs.var === LOBBY_ROOMINFO_FIELD)?.getChildText('value') ?? undefined;
      this.lobby.roomInfo(membersOnly, lobbyRoom || undefined);
    } catch (err) {
      console.warn('room disco#info failed', err);
    }
  }

  get peerConnection(): RTCPeerConnection | null { return this.#media?.pc ?? null; }

  async join(password?: string): Promise<void> {
    this.#leaving = false;
    const { token, hosts } = this.#config;
    const url = `${this.#config.serviceUrl}?room=${encodeURIComponent(this.#room)}${token ? `&token=${encodeURIComponent(token)}` : ''}`;
    this.#events.status('Connecting…');
    // Without a token on a secure domain, guests log in to hosts.anonymousdomain (lib-jitsi-meet's XMPP.connect).
    const xmpp = await XmppConnection.connect(url, token ? hosts.domain : hosts.anonymousdomain ?? hosts.domain);
    this.#xmpp = xmpp;
    this.myId = nickOf(xmpp.jid);
    xmpp.onStanza = (el) => { this.#chain = this.#chain.then(() => this.#stanza(el)).catch((err: unknown) => console.error('stanza failed', err)); };
    xmpp.onClose = (reason) => { if (!this.#leaving) this.#events.error('connection-lost', `The connection was lost (${reason}).`); };
    // A network blip: the session is resumed (same participant, same room); media keeps its own path.
    xmpp.onResuming = (resuming) => this.#events.status(resuming ? 'Connection lost, reconnecting…' : '');
    this.#iceServers = fetchIceServers((el) => xmpp.iq(el), hosts.domain);
    await xmpp.iq(buildIq('set', this.#config.hosts.focus, undefined,
      buildConferenceRequest({ room: this.#roomJid, machineUid: this.myId, properties: { startAudioMuted: '9' } })));
    await this.#discoverComponents(xmpp);
    this.#events.status('Joining…');
    xmpp.send(this.#presence(true, password));
  }

  /** The components lib-jitsi-meet looks for (identities of the domain's disco#info). */
  async #discoverComponents(xmpp: XmppConnection): Promise<void> {
    try {
      const info = await xmpp.iq(buildIq('get', this.#config.hosts.domain, undefined, xml('query', { xmlns: NS_DISCO_INFO })));
      for (const id of info.getChild('query')?.getChildren('identity') ?? []) {
        if (id.attrs.category === 'component' && id.attrs.name) this.#components.set(String(id.attrs.type), String(id.attrs.name));
      }
    } catch (err) {
      console.warn('service discovery failed', err);
    }
  }

  /** The server can end the meeting for everyone (an end_conference component) and this participant may. */
  get canEndForAll(): boolean {
    return this.isModerator && this.#components.has('end_conference');
  }

  /** Ends the meeting for everyone (mod_end_conference, as lib-jitsi-meet's conference.end()). */
  endForAll(): void {
    const to = this.#components.get('end_conference');
    if (to) this.#xmpp?.send(xml('message', { to }, xml('end_conference')));
  }

  /** The server has a polls component (lib-jitsi-meet's `getPolls().isSupported()`). */
  get canPoll(): boolean {
    return this.#components.has('polls');
  }

  get polls(): PollBook {
    return this.#polls;
  }

  /** Creates a poll for everyone (lib-jitsi-meet's createPoll). */
  createPoll(question: string, answers: readonly string[]): void {
    const to = this.#components.get('polls');
    const pollId = crypto.randomUUID().slice(0, 12);
    if (to) this.#xmpp?.send(xml('message', { to, type: 'chat' }, buildPollCommand({ command: 'new-poll', pollId, question, answers: answers.map((name) => ({ name })) })));
  }

  /** Answers a poll (lib-jitsi-meet's answerPoll): one choice per answer. */
  answerPoll(pollId: string, answers: readonly boolean[]): void {
    const to = this.#components.get('polls');
    if (to) this.#xmpp?.send(xml('message', { to, type: 'chat' }, buildPollCommand({ command: 'answer-poll', pollId, answers })));
  }

  /** A moderator sets who starts muted from now on (lib-jitsi-meet's setStartMutedPolicy, through the room metadata). */
  setStartMutedPolicy(policy: { audio: boolean; video: boolean }): void {
    const to = this.#components.get('room_metadata');
    if (to && this.isModerator) this.#xmpp?.send(xml('message', { to }, buildRoomMetadataCommand(this.#roomJid, 'startMuted', policy)));
  }

  /** Everyone's speaking time so far (who left included), longest first. */
  speakerTimes(): SpeakerTime[] {
    const now = Date.now();
    const ids = new Set([...this.#speakerTotals.keys(), ...this.participants.keys(), this.myId]);
    return [...ids].map((id) => ({
      id, name: id === this.myId ? `${this.local.name} (you)` : this.participants.get(id)?.name ?? this.#speakerNames.get(id) ?? id,
      ms: (this.#speakerTotals.get(id) ?? 0) + (this.#speaking?.id === id ? now - this.#speaking.since : 0),
    })).sort((a, b) => b.ms - a.ms);
  }

  /** The bridge named a new dominant speaker: its time runs; if it is us, the speaker stats component is told (as lib-jitsi-meet does). */
  #dominantSpeaker(id: string): void {
    const now = Date.now();
    if (this.#speaking && this.#speaking.id !== id) {
      this.#speakerTotals.set(this.#speaking.id, (this.#speakerTotals.get(this.#speaking.id) ?? 0) + now - this.#speaking.since);
    }
    if (this.#speaking?.id !== id) this.#speaking = { id, since: now };
    const stats = this.#components.get('speakerstats');
    if (id === this.myId && stats) this.#xmpp?.send(xml('message', { to: stats }, xml('speakerstats', { xmlns: NS_JITMEET, room: this.#roomJid, silence: 'false' })));
    this.#events.dominantSpeaker(id);
  }

  /** Messages from the server's components: the speaker stats a newcomer gets, polls, the room metadata. */
  #componentMessage(el: Element): void {
    const from = el.attrs.from;
    let json: unknown;
    try {
      json = JSON.parse(el.getChildText('json-message', NS_JITMEET) ?? '{}');
    } catch {
      return;
    }
    if (from === this.#components.get('polls')) {
      if (this.#polls.apply(readPollsEvents(json))) this.#events.polls(this.#polls.list());
      return;
    }
    if (from === this.#components.get('room_metadata')) {
      const metadata = (json as { type?: unknown; metadata?: unknown }).metadata;
      if ((json as { type?: unknown }).type === 'room_metadata' && typeof metadata === 'object' && metadata !== null) {
        this.startMutedPolicy = readStartMutedPolicy(metadata as Record<string, unknown>);
        this.#events.startMutedPolicy(this.startMutedPolicy);
      }
      return;
    }
    if (from !== this.#components.get('speakerstats')) return;
    const body = json as { type?: string; users?: Record<string, { displayName?: string; totalDominantSpeakerTime?: number }> };
    if (body.type !== 'speakerstats' || !body.users) return;
    for (const [id, u] of Object.entries(body.users)) {
      if (typeof u.totalDominantSpeakerTime === 'number') this.#speakerTotals.set(id, u.totalDominantSpeakerTime);
      if (u.displayName) this.#speakerNames.set(id, u.displayName);
    }
  }

  #presence(join = false, password?: string): Element {
    const { local } = this;
    return buildMucPresence({
      to: `${this.#roomJid}/${this.myId}`, join: join ? { password: password || undefined } : undefined,
      extensions: buildJitsiPresence({
        nick: local.name, audioMuted: local.audioMuted, videoMuted: local.videoMuted, videoType: local.videoType,
        region: this.#config.deploymentInfo?.userRegion,
        raisedHand: local.handRaised ? String(Date.now()) : undefined,
        sourceInfo: {
          [`${this.myId}-a0`]: { muted: local.audioMuted }, [`${this.myId}-v0`]: { muted: local.videoMuted, videoType: local.videoType },
        },
      }),
    });
  }

  #publish(): void {
    this.#xmpp?.send(this.#presence());
  }

  setAudioMuted(muted: boolean): void {
    this.local.audioMuted = muted;
    for (const t of this.local.stream.getAudioTracks()) t.enabled = !muted;
    this.#publish();
    if (!muted) this.#unmuteAtFocus('audio');
  }

  setVideoMuted(muted: boolean): void {
    this.local.videoMuted = muted;
    for (const t of this.local.stream.getVideoTracks()) t.enabled = !muted;
    this.#publish();
    if (!muted) this.#unmuteAtFocus('video');
  }

  /** Media the focus muted (and the bridge drops) until this participant asks to be let through. */
  readonly #focusMuted = new Set<'audio' | 'video'>();

  /**
   * After a mute by the focus, unmuting locally is not enough: the bridge drops the media until the
   * focus lifts its force-mute, which it does on the participant's own unmute request (refused
   * under AV moderation without approval).
   */
  #unmuteAtFocus(media: 'audio' | 'video'): void {
    if (!this.#focusMuted.delete(media)) return;
    this.#xmpp?.iq(buildIq('set', `${this.#roomJid}/focus`, undefined, buildMute({ media, mute: false, jid: `${this.#roomJid}/${this.myId}` })))
      .catch((err: unknown) => {
        this.#focusMuted.add(media);
        this.#events.status(`You cannot unmute yet (${err instanceof XmppError ? err.condition : 'error'}).`);
      });
  }

  setHandRaised(raised: boolean): void {
    this.local.handRaised = raised;
    this.#publish();
  }

  /** Sends `track` instead of the current video (screen share and back); same SSRC, no renegotiation. */
  async replaceVideo(track: MediaStreamTrack, videoType: 'camera' | 'desktop'): Promise<void> {
    await this.#media?.replaceVideo(track);
    for (const old of this.local.stream.getVideoTracks()) this.local.stream.removeTrack(old);
    this.local.stream.addTrack(track);
    this.local.videoType = videoType;
    this.#publish();
  }

  sendChat(text: string): void {
    this.#xmpp?.send(xml('message', { to: this.#roomJid, type: 'groupchat' }, xml('body', null, text), xml('nick', { xmlns: NS_NICK }, this.local.name)));
  }

  /** Moderator actions (XEP-0045 roles, Jitsi's mute IQ to the focus). */
  kick(id: string): Promise<Element> | undefined {
    return this.#xmpp?.iq(buildIq('set', this.#roomJid, undefined, buildMucAdmin([{ nick: id, role: 'none' }])));
  }

  grantModerator(id: string): Promise<Element> | undefined {
    const p = this.#realJids.get(id);
    if (!p) return undefined;
    return this.#xmpp?.iq(buildIq('set', this.#roomJid, undefined, buildMucAdmin([{ jid: bareJid(p), affiliation: 'owner' }])));
  }

  muteParticipant(id: string): Promise<Element> | undefined {
    return this.#xmpp?.iq(buildIq('set', `${this.#roomJid}/focus`, undefined, buildMute({ media: 'audio', mute: true, jid: `${this.#roomJid}/${id}` })));
  }

  /** Sets (or clears, with '') the room password (muc#owner form), as a moderator. */
  async setPassword(password: string): Promise<void> {
    await this.#xmpp?.iq(buildIq('set', this.#roomJid, undefined, xml('query', { xmlns: NS_MUC_OWNER },
      xml('x', { xmlns: NS_DATA_FORMS, type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', null, NS_MUC_ROOMCONFIG)),
        xml('field', { var: 'muc#roomconfig_roomsecret' }, xml('value', null, password)),
        xml('field', { var: 'muc#roomconfig_passwordprotectedroom' }, xml('value', null, password ? '1' : '0')),
        // Keeps the lobby, as lib-jitsi-meet's lock does.
        this.lobby.enabled ? xml('field', { var: 'muc#roomconfig_membersonly' }, xml('value', null, 'true')) : null))));
  }

  /** The room was destroyed (the meeting ended for everyone): media and connection close, nothing reconnects. */
  #ended(reason: string): void {
    this.#leaving = true;
    this.#media?.close();
    this.#media = null;
    this.#xmpp?.close();
    this.participants.clear();
    this.#emit();
    this.#events.ended(reason);
  }

  leave(): void {
    this.#leaving = true;
    this.#xmpp?.send(buildMucLeave(`${this.#roomJid}/${this.myId}`));
    this.#media?.close();
    this.#media = null;
    this.#xmpp?.close();
    this.participants.clear();
    this.#events.left();
  }

  readonly #realJids = new Map<string, string>();

  async #stanza(el: Element): Promise<void> {
    const from = String(el.attrs.from ?? '');
    if (el.name === 'presence' && from.startsWith(`${this.#roomJid}/`)) return this.#roomPresence(el, from.slice(this.#roomJid.length + 1));
    if (el.name === 'presence' && this.lobby.isLobbyPresence(from)) return this.lobby.presence(el, from.slice(from.indexOf('/') + 1));
    if (el.name === 'message' && from === this.#roomJid) {
      const x = el.getChild('x', NS_MUC_USER);
      if (x?.getChild('invite')) this.lobby.invited();
      if (x?.getChildren('status').some((s) => s.attrs.code === '104')) await this.#roomInfo();
      return;
    }
    if (el.name === 'message' && el.attrs.type !== 'groupchat' && el.attrs.type !== 'error' && [...this.#components.values()].includes(from)) {
      this.#componentMessage(el);
      return;
    }
    if (el.name === 'message' && el.attrs.type === 'groupchat') {
      const body = el.getChildText('body');
      const id = from.slice(this.#roomJid.length + 1);
      if (body && id) this.#events.message({ from: id, name: el.getChildText('nick', NS_NICK) ?? this.participants.get(id)?.name ?? id, text: body, self: id === this.myId });
      return;
    }
    if (el.name === 'iq' && el.attrs.type === 'set') {
      const jingle = el.getChild('jingle', NS_JINGLE);
      // Only the focus drives media and mutes; other occupants' Jingle (P2P offers) is declined,
      // and lib-jitsi-meet then stays on the bridge.
      const fromFocus = from === `${this.#roomJid}/focus`;
      try {
        if (!fromFocus) throw new XmppError(jingle ? 'feature-not-implemented' : 'service-unavailable');
        const mute = jingle ? undefined : findMute(el);
        if (jingle) await this.#jingle(parseJingle(jingle));
        else if (mute) this.#mutedByFocus(mute);
        else throw new XmppError('service-unavailable');
        this.#xmpp?.send(buildIq('result', from, el.attrs.id));
      } catch (err) {
        if (!(err instanceof XmppError)) console.error('iq failed', err);
        const condition = (err instanceof XmppError ? err.condition : 'internal-server-error') as StanzaErrorCondition;
        this.#xmpp?.send(buildIqError(from, el.attrs.id, new StanzaError(condition, { type: 'cancel' })));
      }
    }
  }

  async #roomPresence(el: Element, nick: string): Promise<void> {
    const muc = parseMucUser(el);
    const item = muc?.item;
    const statuses = muc?.statuses ?? [];
    if (el.attrs.type === 'error') {
      if (nick === this.myId && this.lobby.refused(el)) return;
      const condition = el.getChild('error')?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'error';
      this.#events.error(condition, {
        'not-authorized': 'This room is locked: enter its password.', forbidden: 'You are banned from this room.',
        'registration-required': 'This room is for members only.', 'service-unavailable': 'The room is full.',
        'not-allowed': 'You are not allowed in this room.', conflict: 'That name is taken here.',
      }[condition] ?? `Could not join (${condition}).`);
      return;
    }
    if (nick === this.myId) {
      if (el.attrs.type === 'unavailable') {
        if (statuses.includes('307')) this.#events.error('kicked', 'A moderator removed you from the meeting.');
        if (muc?.destroy) this.#ended(muc.destroy.reason ?? 'The meeting has ended');
        return;
      }
      const first = !this.joinedAt;
      if (first) {
        this.joinedAt = performance.now();
        this.#events.status('');
        this.lobby.mainJoined();
      }
      const wasModerator = this.isModerator;
      this.isModerator = item?.role === 'moderator';
      this.#emit();
      if (first) await this.#roomInfo();
      else if (wasModerator !== this.isModerator) this.lobby.roleChanged();
      return;
    }
    if (nick === 'focus') {
      this.recording.focusPresence(el);
      if (hasBridgeNotAvailable(el)) {
        this.#events.error('no-bridge', 'No media server is available right now; the meeting will connect when one is.');
      }
      return;
    }
    // A recorder (Jitsi's hiddenDomain): in the room, but nobody to show.
    if (this.#hidden.has(nick) || (item?.jid && this.#config.hiddenDomain && tryParseJid(item.jid)?.domain === this.#config.hiddenDomain)) {
      if (el.attrs.type === 'unavailable') this.#hidden.delete(nick);
      else this.#hidden.add(nick);
      return;
    }
    if (el.attrs.type === 'unavailable') {
      this.participants.delete(nick);
      this.#realJids.delete(nick);
      this.#media?.removeOwner(nick).catch((err: unknown) => console.warn('renegotiation after a leave failed', err));
      this.#emit();
      return;
    }
    const p = this.participants.get(nick) ?? { id: nick, name: nick, role: 'participant', audioMuted: false, videoMuted: false, videoType: 'camera', handRaised: false, tracks: [] };
    const ext = parseJitsiPresence(el);
    p.name = ext.nick ?? p.name;
    p.role = item?.role ?? p.role;
    p.audioMuted = ext.audioMuted === true;
    p.videoMuted = ext.videoMuted === true;
    p.videoType = ext.videoType ?? 'camera';
    p.handRaised = ext.raisedHand !== undefined;
    if (item?.jid) this.#realJids.set(nick, item.jid);
    this.participants.set(nick, p);
    this.#emit();
  }

  #emit(): void {
    this.#events.participants([...this.participants.values()]);
  }

  /** The focus's start-muted policy for this participant, applied before its media starts. */
  #startMuted(policy: { audio: boolean; video: boolean }): void {
    if (policy.audio && !this.local.audioMuted) {
      this.setAudioMuted(true);
      this.#events.startedMuted('audio');
    }
    if (policy.video && !this.local.videoMuted) {
      this.setVideoMuted(true);
      this.#events.startedMuted('video');
    }
  }

  /** The focus asks this participant to mute (it only ever mutes; unmuting is the participant's choice). */
  #mutedByFocus(mute: Mute): void {
    if (!mute.mute) return;
    const media = mute.media === 'video' ? 'video' : 'audio';
    if (media === 'audio') this.setAudioMuted(true);
    else this.setVideoMuted(true);
    this.#focusMuted.add(media);
    this.#events.mutedByFocus(media);
  }

  async #jingle(j: Jingle): Promise<void> {
    if (j.action === 'session-initiate') {
      if (j.startMuted && !this.#startMutedApplied) this.#startMuted(j.startMuted);
      this.#startMutedApplied = true;
      this.#media?.close();
      this.#media = await MediaSession.accept(j, {
        localStream: this.local.stream, endpointId: this.myId, jid: this.#xmpp?.jid ?? '', iceServers: await this.#iceServers,
        sendAccept: (jingle, sid) => this.#xmpp?.send(buildIq('set', `${this.#roomJid}/focus`, `accept-${sid}`, jingle)),
        onTrack: (owner, track) => {
          const p = this.participants.get(owner);
          if (!p) return;
          p.tracks = [...p.tracks.filter((t) => t.kind !== track.kind), track];
          this.#emit();
        },
        onDominantSpeaker: (id) => this.#dominantSpeaker(id),
        constraints: () => this.#constraintsMessage(),
      });
      return;
    }
    if (j.action === 'transport-info' || j.action === 'session-info') return;
    if (!this.#media || j.sid !== this.#media.sid) throw new XmppError('item-not-found');
    switch (j.action) {
      case 'source-add': return this.#media.update(j, 'add');
      case 'source-remove': return this.#media.update(j, 'remove');
      case 'session-terminate':
        this.#media.close();
        this.#media = null;
        return;
      default:
        throw new XmppError('feature-not-implemented');
    }
  }

  #constraintsMessage(): string {
    const { maxHeight, onStage } = this.#constraints;
    return serializeBridgeMessage({
      colibriClass: 'ReceiverVideoConstraints', lastN: this.participants.size > LAST_N ? LAST_N : -1, defaultConstraints: { maxHeight },
      constraints: onStage ? { [onStage]: { maxHeight: 720 } } : {},
    });
  }

  /**
   * Tells the bridge what this page shows: tiles of `maxHeight`, the participant on stage large,
   * and, in large rooms, only the last-N most recent speakers' videos.
   */
  setReceiverConstraints(maxHeight: number, onStage?: string): void {
    this.#constraints = { maxHeight, onStage };
    this.#media?.sendConstraints();
  }

  /** Connection quality since the last call. */
  quality(): Promise<Quality> {
    return this.#media?.quality() ?? Promise.resolve('unknown');
  }
}
