/**
 * The web app's side of Jitsi's lobby, as lib-jitsi-meet's Lobby does it: a moderator turns the
 * room members-only (making everyone present a member first) and waits in the lobby room to see
 * who knocks, admits with a mediated invite to the main room or refuses with a kick from the
 * lobby; a newcomer refused with the lobby's JID knocks there with its display name, joins the
 * main room when invited (or when the lobby closes naming it), and leaves the lobby once in.
 * @module
 */
import {
  NS_DATA_FORMS, NS_MUC_OWNER, NS_MUC_ROOMCONFIG, buildIq, buildJitsiPresence, buildLobbyApproval, buildMucAdmin, buildMucLeave,
  buildMucPresence, parseJitsiPresence, parseMucUser, readLobbyRefusal, xml, type Element,
} from '@edgemeet/protocol';

export interface Knocker { id: string; name: string; jid: string }

export interface LobbyState {
  /** The room has a lobby (members-only with a lobby room). */
  enabled: boolean;
  /** Who waits (what a moderator in the lobby sees). */
  knockers: Knocker[];
}

export interface LobbyHost {
  readonly roomJid: string;
  myId(): string;
  displayName(): string;
  isModerator(): boolean;
  /** Real JIDs of everyone in the main room (made members before the room turns members-only). */
  memberJids(): string[];
  send(el: Element): void;
  iq(el: Element): Promise<Element>;
  /** Joins the main room again (admitted, or the lobby closed). */
  rejoin(): void;
  state(s: LobbyState): void;
  /** Waiting in the lobby under this name; null when no longer waiting. */
  waiting(name: string | null): void;
  denied(reason: string): void;
}

const roomConfig = (fields: Record<string, string>) => xml('query', { xmlns: NS_MUC_OWNER },
  xml('x', { xmlns: NS_DATA_FORMS, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', null, NS_MUC_ROOMCONFIG)),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: `muc#roomconfig_${k}` }, xml('value', null, v)))));

export class LobbyClient {
  readonly #host: LobbyHost;
  #lobbyJid: string | null = null;
  #enabled = false;
  /** In the lobby room: as a moderator watching it, or knocking. */
  #in: 'moderator' | 'knocker' | null = null;
  readonly #knockers = new Map<string, Knocker>();

  constructor(host: LobbyHost) {
    this.#host = host;
  }

  get enabled(): boolean { return this.#enabled; }

  /** Whether a presence comes from this room's lobby. */
  isLobbyPresence(from: string): boolean {
    return this.#lobbyJid !== null && from.startsWith(`${this.#lobbyJid}/`);
  }

  /** The main room refused the join: with a lobby to knock at, knock (true); otherwise not ours (false). */
  refused(el: Element): boolean {
    const refusal = readLobbyRefusal(el);
    if (!refusal?.lobbyRoom) return false;
    this.#lobbyJid = refusal.lobbyRoom;
    this.#in = 'knocker';
    this.#joinLobby(this.#host.displayName());
    this.#host.waiting(this.#host.displayName());
    return true;
  }

  /** What the main room's disco#info says (after joining, after each configuration change). */
  roomInfo(membersOnly: boolean, lobbyRoom: string | undefined): void {
    if (lobbyRoom) this.#lobbyJid = lobbyRoom;
    this.#enabled = membersOnly && lobbyRoom !== undefined;
    this.#update();
  }

  /** The local role may have changed: a moderator of a room with a lobby watches it (lib-jitsi-meet's _maybeJoinLobbyRoom). */
  #update(): void {
    if (this.#enabled && this.#host.isModerator() && this.#in === null) {
      this.#in = 'moderator';
      this.#joinLobby(this.#host.displayName());
    }
    if (!this.#enabled && this.#in === 'moderator') {
      this.#in = null;
      this.#knockers.clear();
    }
    this.#emit();
  }

  roleChanged(): void {
    this.#update();
  }

  #joinLobby(name: string): void {
    if (!this.#lobbyJid) return;
    this.#host.send(buildMucPresence({ to: `${this.#lobbyJid}/${this.#host.myId()}`, join: {}, extensions: buildJitsiPresence({ nick: name }) }));
  }

  /** A presence from the lobby room. */
  presence(el: Element, nick: string): void {
    const muc = parseMucUser(el);
    if (nick === this.#host.myId()) {
      if (el.attrs.type !== 'unavailable') return;
      const wasKnocking = this.#in === 'knocker';
      this.#in = null;
      this.#knockers.clear();
      if (wasKnocking && muc?.statuses.includes('307')) {
        this.#host.waiting(null);
        this.#host.denied(muc.item?.reason ?? 'A moderator declined your request to join.');
      } else if (wasKnocking && muc?.destroy?.jid) {
        // The lobby closed, naming the main room: go in.
        this.#host.rejoin();
      } else if (wasKnocking) {
        this.#host.waiting(null);
      }
      this.#emit();
      return;
    }
    if (this.#in !== 'moderator') return;
    if (el.attrs.type === 'unavailable') this.#knockers.delete(nick);
    else if (muc?.item?.jid && !this.#host.memberJids().includes(muc.item.jid)) {
      this.#knockers.set(nick, { id: nick, name: parseJitsiPresence(el).nick ?? nick, jid: muc.item.jid });
    }
    this.#emit();
  }

  /** The main room invited us (a moderator admitted us): join it. */
  invited(): void {
    if (this.#in === 'knocker') this.#host.rejoin();
  }

  /** We are in the main room: leave the lobby if we were knocking. */
  mainJoined(): void {
    if (this.#in !== 'knocker' || !this.#lobbyJid) return;
    this.#in = null;
    this.#host.send(buildMucLeave(`${this.#lobbyJid}/${this.#host.myId()}`));
    this.#host.waiting(null);
  }

  /** A moderator turns the lobby on: everyone present becomes a member first, then the room members-only. */
  async enable(): Promise<void> {
    const jids = [...new Set(this.#host.memberJids().map((j) => j.replace(/\/.*$/, '')))];
    if (jids.length) await this.#host.iq(buildIq('set', this.#host.roomJid, undefined, buildMucAdmin(jids.map((jid) => ({ jid, affiliation: 'member' })))));
    await this.#host.iq(buildIq('set', this.#host.roomJid, undefined, roomConfig({ membersonly: 'true' })));
  }

  async disable(): Promise<void> {
    await this.#host.iq(buildIq('set', this.#host.roomJid, undefined, roomConfig({ membersonly: 'false' })));
  }

  admit(id: string): void {
    const k = this.#knockers.get(id);
    if (k) this.#host.send(buildLobbyApproval(this.#host.roomJid, [k.jid]));
  }

  async reject(id: string): Promise<void> {
    if (!this.#lobbyJid) return;
    await this.#host.iq(buildIq('set', this.#lobbyJid, undefined, buildMucAdmin([{ nick: id, role: 'none', reason: 'A moderator declined your request to join.' }])));
  }

  #emit(): void {
    this.#host.state({ enabled: this.#enabled, knockers: [...this.#knockers.values()] });
  }
}
