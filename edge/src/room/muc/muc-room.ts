/**
 * The XEP-0045 room held by a Room DO: joins, presence updates, leaves, nickname changes,
 * groupchat and private messages, IQs between occupants, roles and affiliations, kicks and
 * destruction. Settings follow Jitsi's Prosody profile: rooms are created unlocked on first join,
 * non-anonymous (`whois = anyone`), temporary (destroyed when the last occupant leaves).
 * @module
 */
// Internal: not exported from the package entry.
import {
  DEFAULT_PERMISSIONS, NS_CLIENT, StanzaError, bareJid, buildConfigChanged, buildPermissions, buildRoomSubject, errorReply, parseMucPresence, jid as makeJid, tryParseJid, xml, type Element, type Jid,
} from '@edgemeet/protocol';
import type { EdgeConfig } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { TokenContext } from '../../auth/token-context.ts';
import type { Sessions } from '../sessions.ts';
import type { MucStore, OccupantRow, RoomSettings } from '../store.ts';
import { isFullFor } from './occupant-limit.ts';
import { STATUS, occupantPresence, storablePresence, type PresenceExtras } from './occupant-presence.ts';

export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

const AFFILIATION_RANK: Record<Affiliation, number> = { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 };

export function roleFor(affiliation: Affiliation): Role {
  return affiliation === 'owner' || affiliation === 'admin' ? 'moderator' : 'participant';
}

export function atLeast(affiliation: Affiliation, floor: Affiliation): boolean {
  return AFFILIATION_RANK[affiliation] >= AFFILIATION_RANK[floor];
}

/** A join a pre-join rule looks at (Prosody's muc-occupant-pre-join event). */
export interface JoinAttempt {
  readonly sid: string;
  readonly from: string;
  readonly presence: Element;
  readonly nick: string;
  readonly affiliation: Affiliation;
  readonly token: TokenContext | undefined;
  readonly settings: RoomSettings;
}

/** A pre-join rule's decision: refuse with this error presence, or admit with this affiliation (the password waived), or no say. */
export type JoinDecision = { readonly refuse: Element } | { readonly affiliation?: Affiliation; readonly passwordWaived?: boolean } | null;

/**
 * How a room differs from Jitsi's main MUC (the lobby MUC's rooms do): where affiliations come
 * from, whether an owner is elected, whether it outlives its last occupant, who may create it,
 * extra join rules, and who sees whose presence and messages.
 */
export interface MucPolicy {
  /** Affiliations kept elsewhere (a lobby's are its main room's). */
  affiliationOf?(bare: string): Affiliation;
  /** Elect an owner when none is present (Jicofo's AutoOwnerRoleManager); default true. */
  readonly autoOwner?: boolean;
  /** Kept when its last occupant leaves; default false (temporary rooms). */
  readonly persistent?: boolean;
  /** Joining does not create it (Prosody's restrict_room_creation); default false. */
  readonly restrictCreation?: boolean;
  /** Moderators are told their permissions (mod_jitsi_permissions); default true. */
  readonly permissions?: boolean;
  /** Runs before the password and members-only checks. */
  preJoin?(attempt: JoinAttempt): JoinDecision;
  /** Whether `to` gets `about`'s presence or message; default: everyone gets everything. */
  visible?(to: OccupantRow, about: OccupantRow, kind: 'presence' | 'message', unavailable: boolean): boolean;
}

export class MucRoom {
  readonly jid: string;
  readonly #store: MucStore;
  readonly #policy: MucPolicy;
  readonly #sessions: Sessions;
  readonly #config: EdgeConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #onJoined: ((occ: OccupantRow) => void) | undefined;
  readonly #onJoining: ((occ: OccupantRow) => void) | undefined;
  readonly #onLeaving: ((occ: OccupantRow) => void) | undefined;
  readonly #onKicked: ((occ: OccupantRow, actor: OccupantRow | null) => void) | undefined;
  readonly #onDestroyed: (() => void) | undefined;
  readonly #onConfigured: ((actor: OccupantRow, before: RoomSettings, after: RoomSettings) => void) | undefined;

  /** Bare JIDs that own every room (the focus user, as Jitsi's Prosody makes focus@auth an admin). */
  readonly #superOwners: ReadonlySet<string>;

  constructor(options: {
    jid: Jid; store: MucStore; sessions: Sessions; config: EdgeConfig; log: Logger; now: () => number; superOwners?: readonly string[];
    policy?: MucPolicy;
    /** Called once a new occupant's presence went out (components greet newcomers). */
    onJoined?: (occ: OccupantRow) => void;
    /** Called when a newcomer is admitted, before its self-presence goes out (room metadata is sent first). */
    onJoining?: (occ: OccupantRow) => void;
    /** Called when an occupant is about to leave, its last presence still at hand. */
    onLeaving?: (occ: OccupantRow) => void;
    /** Called when a moderator kicked an occupant (status 307), after it left. */
    onKicked?: (occ: OccupantRow, actor: OccupantRow | null) => void;
    /** Called once the room is gone (destroyed, or left by its last occupant). */
    onDestroyed?: () => void;
    /** Called after an owner submitted the room's configuration (Prosody's muc-config-submitted). */
    onConfigured?: (actor: OccupantRow, before: RoomSettings, after: RoomSettings) => void;
  }) {
    this.#onKicked = options.onKicked;
    this.#onDestroyed = options.onDestroyed;
    this.#onConfigured = options.onConfigured;
    this.#policy = options.policy ?? {};
    this.#onJoined = options.onJoined;
    this.#onJoining = options.onJoining;
    this.#onLeaving = options.onLeaving;
    this.jid = options.jid.toString();
    this.#superOwners = new Set(options.superOwners ?? []);
    this.#store = options.store;
    this.#sessions = options.sessions;
    this.#config = options.config;
    this.#log = options.log;
    this.#now = options.now;
  }

  get settings(): RoomSettings | null { return this.#store.settings; }
  get occupants(): ReadonlyMap<string, OccupantRow> { return this.#store.occupants; }

  affiliationOf(fullOrBare: string): Affiliation {
    if (this.#superOwners.has(bareJid(fullOrBare))) return 'owner';
    if (this.#policy.affiliationOf) return this.#policy.affiliationOf(bareJid(fullOrBare));
    return (this.#store.affiliations.get(bareJid(fullOrBare)) ?? 'none') as Affiliation;
  }

  occupantBySid(sid: string): OccupantRow | undefined {
    for (const o of this.#store.occupants.values()) if (o.sid === sid) return o;
    return undefined;
  }

  // Presence

  /** Presence from a session to `room/nick` (XEP-0045 §7.2, §7.6, §7.14). */
  handlePresence(sid: string, from: string, presence: Element, nick: string): void {
    const type = presence.attrs.type as string | undefined;
    const self = this.occupantBySid(sid);
    if (type === 'unavailable' || type === 'error') {
      if (self) this.leave(self, { statuses: [] });
      return;
    }
    if (type !== undefined) return; // subscription presence types mean nothing to a room
    if (!self) return this.#join(sid, from, presence, nick);
    if (self.nick === nick) return this.#update(self, presence);
    this.#changeNick(self, presence, nick);
  }

  #join(sid: string, from: string, presence: Element, nick: string): void {
    const created = this.#store.settings === null;
    const refuse = (condition: ConstructorParameters<typeof StanzaError>[0], text?: string) => {
      const reply = errorReply(presence, new StanzaError(condition, { text }));
      reply.attrs.from = `${this.jid}/${nick}`;
      reply.attrs.to = from;
      this.#sessions.deliver(sid, reply);
    };
    if (created && this.#policy.restrictCreation && !this.#superOwners.has(bareJid(from))) {
      return refuse('not-allowed', 'Room creation is restricted');
    }
    const settings = this.#store.settings ?? this.#newSettings();
    const token = this.#store.sessionAuth(sid);
    const roomName = this.jid.slice(0, this.jid.indexOf('@'));
    // Prosody's token_verification: a token is for one room (or `*`).
    if (token && token.room !== '*' && token.room !== roomName.toLowerCase()) return refuse('not-allowed', 'room and token mismatched');
    // Secure domain with guests: a guest cannot create a room (the focus, a super owner, can).
    if (created && !token && this.#config.auth.policy === 'guests' && this.affiliationOf(from) !== 'owner') {
      return refuse('not-authorized', 'only authenticated users may create this room; wait for the host');
    }
    // Prosody's token_affiliation: a moderator claim makes an owner. A hidden occupant (a recorder) never is one.
    const hidden = this.#isHidden(from);
    let affiliation: Affiliation = hidden ? 'none' : (created || token?.moderator) && !this.#policy.affiliationOf ? 'owner' : this.affiliationOf(from);
    const password = parseMucPresence(presence).join?.password ?? null;
    const holder = this.#store.occupants.get(nick);
    if (affiliation === 'outcast') return refuse('forbidden', 'you are banned from this room');
    // Recorders were sent by the focus: no lobby for them (Jitsi whitelists the recorder domain).
    const decision = created || hidden ? null : this.#policy.preJoin?.({ sid, from, presence, nick, affiliation, token, settings }) ?? null;
    if (decision && 'refuse' in decision) {
      decision.refuse.attrs.from = `${this.jid}/${nick}`;
      decision.refuse.attrs.to = from;
      this.#sessions.deliver(sid, decision.refuse);
      return;
    }
    if (decision?.affiliation && decision.affiliation !== affiliation) {
      affiliation = decision.affiliation;
      this.#store.setAffiliation(bareJid(from), affiliation);
    }
    // Recorders logged in with RECORDER_SECRET; they cannot know the password.
    if (settings.password !== null && password !== settings.password && !decision?.passwordWaived && !hidden) {
      return refuse('not-authorized', 'a password is required');
    }
    if (settings.membersOnly && AFFILIATION_RANK[affiliation] < AFFILIATION_RANK.member) {
      return refuse('registration-required', 'this room is members-only');
    }
    if (holder) return refuse('conflict', 'that nickname is already in use');
    if (this.#store.occupants.size >= settings.maxOccupants) return refuse('service-unavailable', 'the room is full');
    if (isFullFor(this.#config.occupantLimit, from, [...this.#store.occupants.values()].map((o) => o.jid))) {
      this.#log.info('occupant.refused_room_full', { nick, max: this.#config.occupantLimit.max });
      return refuse('service-unavailable');
    }

    if (created) {
      this.#store.saveSettings(settings);
      this.#log.info('room.created', { room: this.jid });
    }
    if (affiliation === 'owner') this.#store.setAffiliation(bareJid(from), 'owner');
    const occ: OccupantRow = {
      nick, sid, jid: from, role: roleFor(affiliation), presence: storablePresence(presence, token), joinedAt: this.#now(),
    };
    for (const other of this.#store.occupants.values()) {
      if (!this.#visible(occ, other, 'presence', false)) continue;
      this.#sessions.deliver(sid, occupantPresence(this.jid, other, this.affiliationOf(other.jid), from));
    }
    this.#store.putOccupant(occ);
    this.#onJoining?.(occ);
    this.#broadcastPresence(occ, {}, created ? [STATUS.NON_ANONYMOUS, STATUS.CREATED] : [STATUS.NON_ANONYMOUS]);
    this.#sessions.deliver(sid, buildRoomSubject(this.jid, from, settings.subject));
    this.#log.info('occupant.joined', { nick, occupants: this.#store.occupants.size });
    this.#ensureModerator();
    this.#onJoined?.(occ);
  }

  #newSettings(): RoomSettings {
    return {
      name: this.jid.slice(0, this.jid.indexOf('@')), createdAt: this.#now(), meetingId: crypto.randomUUID(),
      password: null, membersOnly: false, subject: '', title: '', maxOccupants: this.#config.maxOccupants,
    };
  }

  #update(occ: OccupantRow, presence: Element): void {
    occ.presence = storablePresence(presence, this.#store.sessionAuth(occ.sid));
    this.#store.putOccupant(occ);
    this.#broadcastPresence(occ);
  }

  #changeNick(occ: OccupantRow, presence: Element, nick: string): void {
    if (this.#store.occupants.has(nick)) {
      const reply = errorReply(presence, new StanzaError('conflict', { text: 'that nickname is already in use' }));
      reply.attrs.from = `${this.jid}/${nick}`;
      reply.attrs.to = occ.jid;
      this.#sessions.deliver(occ.sid, reply);
      return;
    }
    this.#broadcastPresence(occ, { type: 'unavailable', statuses: [STATUS.NICK_CHANGED], newNick: nick });
    this.#store.deleteOccupant(occ.nick);
    const renamed: OccupantRow = { ...occ, nick, presence: storablePresence(presence, this.#store.sessionAuth(occ.sid)) };
    this.#store.putOccupant(renamed);
    this.#broadcastPresence(renamed);
  }

  /** Sends `occ`'s presence to every occupant; the occupant's own copy gets status 110. */
  #broadcastPresence(occ: OccupantRow, extras: PresenceExtras = {}, selfStatuses: readonly string[] = []): void {
    const affiliation = this.affiliationOf(occ.jid);
    const unavailable = extras.type === 'unavailable';
    const recipients = [...this.#store.occupants.values()].filter((o) => o.sid !== occ.sid && this.#visible(o, occ, 'presence', unavailable));
    for (const other of recipients) {
      this.#sessions.deliver(other.sid, occupantPresence(this.jid, occ, affiliation, other.jid, extras));
    }
    const statuses = [...(extras.statuses ?? []), ...selfStatuses, STATUS.SELF];
    const self = occupantPresence(this.jid, occ, affiliation, occ.jid, { ...extras, statuses });
    const permissions = extras.type === 'unavailable' ? undefined : this.#permissionsFor(occ);
    if (permissions) self.children.push(permissions);
    this.#sessions.deliver(occ.sid, self);
  }

  /**
   * Prosody's mod_jitsi_permissions: a participant who becomes a moderator is told in its
   * self-presence what it may use (the defaults), unless its token carries `context.features`
   * (the client reads those from the token). Once per time it becomes a moderator.
   */
  #permissionsFor(occ: OccupantRow): Element | undefined {
    if (this.#policy.permissions === false) return undefined;
    if (occ.role !== 'moderator') {
      this.#permissionsSent.delete(occ.sid);
      return undefined;
    }
    if (this.#superOwners.has(bareJid(occ.jid)) || this.#permissionsSent.has(occ.sid)) return undefined;
    if (this.#store.sessionAuth(occ.sid)?.features) return undefined;
    this.#permissionsSent.add(occ.sid);
    return buildPermissions(DEFAULT_PERMISSIONS);
  }

  /** Sessions told their permissions while moderators (in memory: after an eviction they may be told again, harmlessly). */
  readonly #permissionsSent = new Set<string>();

  /** Removes an occupant, telling everyone (and the occupant, with status 110). */
  leave(occ: OccupantRow, extras: Omit<PresenceExtras, 'type'>): void {
    if (this.#store.occupants.get(occ.nick)?.sid !== occ.sid) return;
    this.#onLeaving?.(occ);
    this.#broadcastPresence(occ, { ...extras, type: 'unavailable' });
    this.#store.deleteOccupant(occ.nick);
    this.#permissionsSent.delete(occ.sid);
    this.#log.info('occupant.left', { nick: occ.nick, statuses: extras.statuses, occupants: this.#store.occupants.size });
    if (this.#store.occupants.size === 0 && !this.#policy.persistent) {
      this.#store.clearRoom();
      this.#log.info('room.destroyed', { room: this.jid, reason: 'empty' });
      this.#onDestroyed?.();
      return;
    }
    this.#ensureModerator();
  }

  /** Whether `to` is shown `about`'s presence or message (the policy's say; the occupant itself always). */
  #visible(to: OccupantRow, about: OccupantRow, kind: 'presence' | 'message', unavailable: boolean): boolean {
    if (to.sid === about.sid || !this.#policy.visible) return true;
    return this.#policy.visible(to, about, kind, unavailable);
  }

  /**
   * The room's one owner election (Jicofo's AutoOwnerRoleManager, which the focus does not repeat):
   * a room always has an owner among its participants; when none is (the focus created the room,
   * or the last owner left), the longest-present occupant becomes owner. The focus, owner of every
   * room, does not count.
   */
  #ensureModerator(): void {
    if (this.#policy.autoOwner === false) return;
    // Nor do hidden occupants (recorders): Jicofo's role manager skips Jibris.
    const occupants = [...this.#store.occupants.values()].filter((o) => !this.#superOwners.has(bareJid(o.jid)) && !this.#isHidden(o.jid));
    if (occupants.some((o) => this.affiliationOf(o.jid) === 'owner')) return;
    const next = occupants.sort((a, b) => a.joinedAt - b.joinedAt)[0];
    if (next) this.setAffiliation(bareJid(next.jid), 'owner', null);
  }

  /** A real JID on the hidden domain (Jitsi's `hiddenDomain`: recorders). */
  #isHidden(jid: string): boolean {
    return tryParseJid(jid)?.domain === this.#config.hiddenDomain;
  }

  /** Ends the session's presence in the room, e.g. when the session ends. */
  removeSession(sid: string, statuses: readonly string[] = []): void {
    const occ = this.occupantBySid(sid);
    if (occ) this.leave(occ, { statuses });
  }

  // Roles and affiliations (XEP-0045 §8–10); permission checks happen in muc-admin.ts

  setRole(occ: OccupantRow, role: Role, actor: OccupantRow | null, reason?: string): void {
    if (role === 'none') {
      this.leave(occ, { statuses: [STATUS.KICKED], actorNick: actor?.nick, reason });
      this.#onKicked?.(occ, actor);
      return;
    }
    occ.role = role;
    this.#store.putOccupant(occ);
    this.#broadcastPresence(occ, { actorNick: actor?.nick, reason });
  }

  setAffiliation(bare: string, affiliation: Affiliation, actor: OccupantRow | null, reason?: string): void {
    this.#store.setAffiliation(bare, affiliation);
    for (const occ of [...this.#store.occupants.values()]) {
      if (bareJid(occ.jid) !== bare) continue;
      if (affiliation === 'outcast') {
        this.leave(occ, { statuses: [STATUS.BANNED], actorNick: actor?.nick, reason });
      } else if (this.#store.settings?.membersOnly && AFFILIATION_RANK[affiliation] < AFFILIATION_RANK.member) {
        this.leave(occ, { statuses: [STATUS.AFFILIATION_CHANGED, STATUS.MEMBERS_ONLY], actorNick: actor?.nick, reason });
      } else {
        occ.role = roleFor(affiliation);
        this.#store.putOccupant(occ);
        this.#broadcastPresence(occ, { actorNick: actor?.nick, reason });
      }
    }
  }

  saveSettings(settings: RoomSettings): void {
    this.#store.saveSettings(settings);
  }

  /**
   * An owner's configuration (XEP-0045 §10.2). A room that becomes members-only loses its
   * non-members (status 322, as Prosody does: lib-jitsi-meet makes everyone present a member
   * first); everyone left is told with status 104 to re-read the room's disco#info.
   */
  configure(actor: OccupantRow, next: RoomSettings): void {
    const before = this.#store.settings;
    if (!before) return;
    this.#store.saveSettings(next);
    if (next.membersOnly && !before.membersOnly) {
      for (const occ of [...this.#store.occupants.values()]) {
        if (!atLeast(this.affiliationOf(occ.jid), 'member')) this.leave(occ, { statuses: [STATUS.MEMBERS_ONLY] });
      }
    }
    if (!this.#store.settings) return;
    for (const o of this.#store.occupants.values()) this.#sessions.deliver(o.sid, buildConfigChanged(this.jid, o.jid));
    this.#onConfigured?.(actor, before, next);
  }

  /**
   * Destroys the room (XEP-0045 §10.9): everyone leaves with a `<destroy/>` notice (its reason, and
   * the alternate venue if the owner named one).
   */
  destroy(reason?: string, alternate?: string): void {
    for (const occ of [...this.#store.occupants.values()]) {
      this.#broadcastPresence(occ, { type: 'unavailable', destroy: { reason, jid: alternate } });
      this.#store.deleteOccupant(occ.nick);
    }
    this.#store.clearRoom();
    this.#log.info('room.destroyed', { room: this.jid, reason: 'owner' });
    this.#onDestroyed?.();
  }

  /** Creates the room empty with these settings (a lobby is made by its main room, not by a join). */
  create(settings: RoomSettings): void {
    this.#store.saveSettings(settings);
    this.#log.info('room.created', { room: this.jid });
  }

  // Messages and IQs

  /** A groupchat message to the room: broadcast to every occupant as from `room/nick`. */
  handleGroupchat(sid: string, message: Element): void {
    const sender = this.occupantBySid(sid);
    if (!sender) throw new StanzaError('not-acceptable', { text: 'only occupants may send messages to the room' });
    const subject = message.getChild('subject');
    if (subject && !message.getChild('body')) {
      if (sender.role !== 'moderator') throw new StanzaError('forbidden', { text: 'only moderators may change the subject' });
      const settings = this.#store.settings;
      if (settings) this.#store.saveSettings({ ...settings, subject: subject.text() });
    }
    for (const occ of this.#store.occupants.values()) {
      if (!this.#visible(occ, sender, 'message', false)) continue;
      const copy = xml('message', { ...message.attrs, xmlns: NS_CLIENT, from: `${this.jid}/${sender.nick}`, to: occ.jid });
      copy.children = message.children;
      this.#sessions.deliver(occ.sid, copy);
    }
  }

  /**
   * A private message or IQ to `room/nick` (XEP-0045 §7.5, IQ proxying): delivered to the
   * occupant's real JID as from the sender's occupant JID. IQ responses travel the same way back.
   */
  relayToOccupant(sid: string, stanza: Element, nick: string): void {
    const sender = this.occupantBySid(sid);
    const isResponse = stanza.attrs.type === 'result' || stanza.attrs.type === 'error';
    if (!sender) {
      if (isResponse) return;
      throw new StanzaError('not-acceptable', { text: 'only occupants may address other occupants' });
    }
    const target = this.#store.occupants.get(nick);
    if (!target) {
      if (isResponse) return;
      throw new StanzaError('item-not-found', { text: 'no such occupant' });
    }
    // A message nobody may see is dropped, as Prosody's stanza filters drop it; IQs are never proxied across the filter.
    if (!this.#visible(target, sender, 'message', false)) {
      if (stanza.name === 'iq' && !isResponse) throw new StanzaError('not-allowed', { text: 'not between these occupants' });
      return;
    }
    const copy = xml(stanza.name, { ...stanza.attrs, xmlns: NS_CLIENT, from: `${this.jid}/${sender.nick}`, to: target.jid });
    copy.children = stanza.children;
    this.#sessions.deliver(target.sid, copy);
  }

  /** The occupant JID of a nickname, for replies built elsewhere. */
  occupantJid(nick: string): Jid {
    const at = this.jid.indexOf('@');
    return makeJid(this.jid.slice(0, at), this.jid.slice(at + 1), nick);
  }
}
