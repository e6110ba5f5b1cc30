/**
 * The room's lobby (jitsi-meet's mod_muc_lobby_rooms, with jitsi-contrib's token_lobby_bypass):
 * a second MUC room, `<room>@lobby.<domain>`, held by the same Durable Object as its main room
 * (lib-jitsi-meet moves one connection between them) and kept in the same storage.
 *
 * - A moderator makes the main room members-only (muc#owner form; lib-jitsi-meet makes everyone
 *   present a member first): the lobby room is created, its JID goes in the main room's
 *   disco#info (`muc#roominfo_lobbyroom`), everyone hears `lobby-notify` LOBBY-ENABLED and the
 *   metadata's `lobbyEnabled`. Making it open again destroys the lobby room with the main room as
 *   the alternate venue: whoever waits there joins the main room.
 * - A newcomer who is not a member is refused with the lobby room's JID (without a display name:
 *   display name required) unless the room's password or a `lobby_bypass` token makes a member.
 * - In the lobby room (affiliations are the main room's), knockers see only themselves and
 *   moderators see knockers; messages go between moderators and knockers only.
 * - A moderator admits with a mediated invite to the main room: the knocker becomes a member and
 *   gets the invitation (LOBBY-ACCESS-GRANTED to the main room); or refuses by kicking the knocker
 *   from the lobby room (LOBBY-ACCESS-DENIED).
 * @module
 */
// Internal: not exported from the package entry.
import {
  IqRouter, LOBBY_CLOSED_REASON, LOBBY_DISPLAY_NAME_REQUIRED_FEATURE, LOBBY_IDENTITY_TYPE, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING,
  StanzaError, bareJid, buildDisplayNameRequired, buildLobbyNotify, buildLobbyRefusal, buildMediatedInvite, jid, parseMucPresence,
  parseXml, presenceDisplayName, tryParseJid, xml, type Element, type LobbyNotice, type MediatedInvite,
} from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { MucRoom, atLeast, type JoinAttempt, type JoinDecision } from './muc/muc-room.ts';
import type { RoomMetadata } from './room-metadata.ts';
import type { Sessions } from './sessions.ts';
import type { LobbyStore, OccupantRow, RoomSettings, SessionRow } from './store.ts';

export interface LobbyOptions {
  readonly config: EdgeConfig;
  readonly log: Logger;
  readonly roomName: string;
  readonly main: MucRoom;
  readonly store: LobbyStore;
  readonly sessions: Sessions;
  readonly metadata: RoomMetadata;
  readonly now: () => number;
  /** Bare JIDs that own every room (the focus): never sent to the lobby, never notified. */
  readonly superOwners: readonly string[];
}

export class Lobby {
  readonly #o: LobbyOptions;
  readonly #superOwners: ReadonlySet<string>;
  /** The lobby room, `<room>@lobby.<domain>`. */
  readonly room: MucRoom;

  constructor(o: LobbyOptions) {
    this.#o = o;
    this.#superOwners = new Set(o.superOwners);
    this.room = new MucRoom({
      jid: jid(o.roomName, o.config.lobbyDomain), store: o.store, sessions: o.sessions, config: o.config,
      log: o.log.child({ muc: 'lobby' }), now: o.now, superOwners: o.superOwners,
      policy: {
        affiliationOf: (bare) => o.main.affiliationOf(bare),
        autoOwner: false, persistent: true, restrictCreation: true, permissions: false,
        visible: (to, about, kind, unavailable) => this.#visible(to, about, kind, unavailable),
      },
      onKicked: (occ, actor) => this.#denied(occ, actor),
    });
  }

  get address(): string {
    return this.#o.config.lobbyDomain;
  }

  /** Whether the main room has a lobby now. */
  get enabled(): boolean {
    return this.#o.main.settings?.lobbyRoom !== undefined && this.room.settings !== null;
  }

  #isModerator(occ: OccupantRow): boolean {
    return this.#o.main.affiliationOf(occ.jid) === 'owner';
  }

  /**
   * mod_muc_lobby_rooms' stanza filter: presences (not self-presence, not unavailable) only from
   * knockers to moderators; messages only to or from a moderator.
   */
  #visible(to: OccupantRow, about: OccupantRow, kind: 'presence' | 'message', unavailable: boolean): boolean {
    if (kind === 'message') return this.#isModerator(to) || this.#isModerator(about);
    return unavailable || (this.#isModerator(to) && !this.#isModerator(about));
  }

  // The main room's hooks

  /** The main room's pre-join rule (token_lobby_bypass, then mod_muc_lobby_rooms). */
  preJoin(a: JoinAttempt): JoinDecision {
    const s = a.settings;
    if (!s.membersOnly || !s.lobbyRoom || this.#superOwners.has(bareJid(a.from))) return null;
    if (!a.presence.getChild('x', NS_MUC)) return null;
    let affiliation = a.affiliation;
    if (a.token?.lobbyBypass && !atLeast(affiliation, 'member')) affiliation = 'member';
    const password = parseMucPresence(a.presence).join?.password ?? null;
    let passwordWaived = false;
    if (password !== null && s.password !== null && password === s.password) {
      if (affiliation === 'none' || affiliation === 'member') return { affiliation: 'member' };
    } else if (s.password !== null && affiliation === 'member' && password === null) {
      // Admitted earlier: the room lets the member in without the password (Jitsi adds it to the join).
      passwordWaived = true;
    }
    if (presenceDisplayName(a.presence) === '') return { refuse: buildDisplayNameRequired(a.presence) };
    if (!atLeast(affiliation, 'member')) return { refuse: buildLobbyRefusal(a.presence, s.lobbyRoom) };
    return { affiliation, passwordWaived };
  }

  /** An owner configured the main room: members-only attaches the lobby, open destroys it (the focus's forms are ignored). */
  configured(actor: OccupantRow, before: RoomSettings, after: RoomSettings): void {
    if (this.#superOwners.has(bareJid(actor.jid))) return;
    if (after.membersOnly && !before.lobbyRoom) this.#attach(actor);
    else if (!after.membersOnly && before.lobbyRoom) this.#close(actor);
  }

  #attach(actor: OccupantRow): void {
    const settings = this.#o.main.settings;
    if (!settings) return;
    if (!this.room.settings) {
      this.room.create({
        name: this.#o.roomName, createdAt: this.#o.now(), meetingId: settings.meetingId, password: null, membersOnly: false,
        subject: '', title: '', maxOccupants: this.#o.config.maxOccupants,
      });
    }
    this.#o.main.saveSettings({ ...settings, lobbyRoom: this.room.jid });
    this.#o.log.info('lobby.enabled', { actor: actor.nick });
    this.#notify(actor, { event: 'LOBBY-ENABLED', value: true });
    this.#o.metadata.setByServer('lobbyEnabled', true);
  }

  #close(actor: OccupantRow): void {
    this.#destroy(this.#o.main.jid);
    const settings = this.#o.main.settings;
    if (settings) {
      const { lobbyRoom: _gone, ...rest } = settings;
      this.#o.main.saveSettings(rest);
    }
    this.#o.log.info('lobby.disabled', { actor: actor.nick });
    this.#notify(actor, { event: 'LOBBY-ENABLED', value: false });
    this.#o.metadata.setByServer('lobbyEnabled', false);
  }

  /** Destroys the lobby room; `alternate` (the main room) tells those waiting to join it. */
  #destroy(alternate?: string): void {
    if (!this.room.settings) return;
    this.#o.log.info('lobby.destroyed', { waiting: this.room.occupants.size, alternate: alternate !== undefined });
    this.room.destroy(LOBBY_CLOSED_REASON, alternate);
  }

  /** The main room is gone: so is its lobby (those waiting get the destroy, no venue). */
  mainDestroyed(): void {
    this.#destroy();
  }

  /** A session's presence ends: it leaves the lobby too. */
  removeSession(sid: string): void {
    this.room.removeSession(sid);
  }

  /**
   * Mediated invites to the main room (lib-jitsi-meet's approveAccess): checked first, all of them,
   * so that a bad one changes nothing. In a members-only room only moderators invite (Prosody's
   * members_only rule) and an invitee becomes a member; with a lobby, an invitee must be waiting in it.
   */
  invite(session: SessionRow, invites: readonly MediatedInvite[]): void {
    const main = this.#o.main;
    const settings = main.settings;
    if (!settings) throw new StanzaError('item-not-found', { text: 'the room does not exist' });
    const actor = main.occupantBySid(session.sid);
    if (!actor) throw new StanzaError('not-acceptable', { text: 'only occupants may invite' });
    if (settings.membersOnly && !atLeast(main.affiliationOf(actor.jid), 'admin')) {
      throw new StanzaError('forbidden', { text: 'only moderators may invite to a members-only room' });
    }
    const targets = invites.map((invite) => {
      const to = tryParseJid(invite.to);
      if (!to) throw new StanzaError('jid-malformed', { text: 'invalid invitee JID' });
      const invitee = to.resource ? this.#o.sessions.byJid(to.toString()) : this.#o.sessions.byBareJid(to.bare().toString());
      const knocker = invitee && [...this.room.occupants.values()].find((o) => o.sid === invitee.sid);
      if (!invitee || (this.enabled && !knocker)) throw new StanzaError('item-not-found', { text: `${invite.to} is not waiting in the lobby` });
      return { invite, invitee, knocker };
    });
    for (const { invite, invitee, knocker } of targets) {
      if (settings.membersOnly && !atLeast(main.affiliationOf(invitee.jid), 'member')) {
        main.setAffiliation(bareJid(invitee.jid), 'member', actor, `Invited by ${session.jid}`);
      }
      if (knocker) {
        this.#o.log.info('lobby.admitted', { knocker: knocker.nick, actor: actor.nick });
        this.#notify(actor, { event: 'LOBBY-ACCESS-GRANTED', value: `${this.room.jid}/${knocker.nick}`, name: this.#displayName(knocker) });
      }
      this.#o.sessions.deliver(invitee.sid, buildMediatedInvite(main.jid, invitee.jid, session.jid, invite.reason));
    }
  }

  /** A moderator kicked a knocker from the lobby: the main room hears it was refused. */
  #denied(occ: OccupantRow, actor: OccupantRow | null): void {
    const mainActor = actor ? this.#o.main.occupantBySid(actor.sid) : undefined;
    this.#o.log.info('lobby.denied', { knocker: occ.nick, actor: actor?.nick });
    if (mainActor) this.#notify(mainActor, { event: 'LOBBY-ACCESS-DENIED', value: `${this.room.jid}/${occ.nick}`, name: this.#displayName(occ) });
  }

  #displayName(occ: OccupantRow): string {
    return presenceDisplayName(parseXml(occ.presence));
  }

  /** A `lobby-notify` to every main-room occupant, from the actor's occupant JID (only when the actor is in the main room). */
  #notify(actor: OccupantRow, notice: LobbyNotice): void {
    const main = this.#o.main;
    const from = main.occupantBySid(actor.sid);
    if (!from) return;
    for (const occ of main.occupants.values()) {
      if (this.#superOwners.has(bareJid(occ.jid))) continue;
      this.#o.sessions.deliver(occ.sid, buildLobbyNotify(`${main.jid}/${from.nick}`, occ.jid, notice));
    }
  }

  // The lobby MUC service itself

  /** disco#info of `lobby.<domain>`; on node `lobbyrooms`, whether knocking at this connection's room needs a display name. */
  #serviceInfo(payload: Element): Element {
    const node = payload.attrs.node as string | undefined;
    if (node === LOBBY_IDENTITY_TYPE) {
      return xml('query', { xmlns: NS_DISCO_INFO, node },
        this.enabled ? xml('feature', { var: LOBBY_DISPLAY_NAME_REQUIRED_FEATURE }) : null);
    }
    if (node !== undefined) throw new StanzaError('item-not-found', { text: `no node ${node}` });
    return xml('query', { xmlns: NS_DISCO_INFO },
      xml('identity', { category: 'conference', type: 'text', name: 'Lobby rooms' }),
      ...[NS_MUC, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING].map((v) => xml('feature', { var: v })));
  }

  /** IQs to `lobby.<domain>` itself. */
  serviceIqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<null> {
    return new IqRouter<null>({ onHandlerError })
      .on('get', NS_DISCO_INFO, 'query', (_ctx, _iq, payload) => this.#serviceInfo(payload))
      .on('get', NS_DISCO_ITEMS, 'query', () => xml('query', { xmlns: NS_DISCO_ITEMS }))
      .on('get', NS_PING, 'ping', () => null);
  }
}
