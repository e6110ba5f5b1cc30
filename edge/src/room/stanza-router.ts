/**
 * Routes a client's stanza by its `to` (RFC 6120 §10): the server itself, another session of
 * this room's DO, the MUC service, this room and its occupants, or the focus. Everything a
 * stanza may reach lives inside this one Durable Object, so stanzas for other rooms are refused.
 * @module
 */
// Internal: not exported from the package entry.
import {
  NS_CLIENT, StanzaError, checkJsonMessages, errorReply, readMediatedInvites, tryParseJid, xml, type Element, type IqRouter, type Jid,
} from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { AvModeration } from './av-moderation.ts';
import type { Lobby } from './lobby.ts';
import type { RoomComponent } from './component.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { RoomIqContext } from './muc/room-iq.ts';
import type { ServerIqContext } from './server-iq.ts';
import type { Sessions } from './sessions.ts';
import type { SessionRow } from './store.ts';

export interface StanzaRouterOptions {
  config: EdgeConfig;
  log: Logger;
  sessions: Sessions;
  room: MucRoom;
  roomName: string;
  serverIq: IqRouter<ServerIqContext>;
  mucServiceIq: IqRouter<ServerIqContext>;
  roomIq: IqRouter<RoomIqContext>;
  /** IQs to the focus component (`focus.<domain>`); absent where no focus runs. */
  focusIq?: IqRouter<FocusIqContext>;
  /** The AV moderation component (`avmoderation.<domain>`). */
  avModeration: AvModeration;
  /** The other Jitsi components of the room (speaker stats, end conference, metadata, duration, polls), by address. */
  components?: readonly RoomComponent[];
  /** The room's lobby (`<room>@lobby.<domain>`) and the IQs to the lobby MUC itself. */
  lobby: Lobby;
  lobbyServiceIq: IqRouter<null>;
}

export interface FocusIqContext {
  readonly session: SessionRow;
}

export class StanzaRouter {
  readonly #o: StanzaRouterOptions;

  constructor(options: StanzaRouterOptions) {
    this.#o = options;
  }

  /** Routes one stanza whose `from` has already been stamped with the session's full JID. */
  async route(session: SessionRow, stanza: Element): Promise<void> {
    try {
      await this.#route(session, stanza);
    } catch (err) {
      this.#bounce(session, stanza, err);
    }
  }

  async #route(session: SessionRow, stanza: Element): Promise<void> {
    const { config } = this.#o;
    // Whoever a message is for (occupants, other sessions, components) parses its JSON: bounded here, once.
    if (stanza.name === 'message' && stanza.attrs.type !== 'error') checkJsonMessages(stanza);
    const rawTo = stanza.attrs.to as string | undefined;
    const to = rawTo === undefined ? undefined : tryParseJid(rawTo);
    if (rawTo !== undefined && !to) throw new StanzaError('jid-malformed', { text: 'invalid to address' });
    const own = tryParseJid(session.jid);
    // Guests' JIDs live on the guest domain (policy guests), recorders' on the hidden domain: all are this server's users.
    const userDomain = to !== undefined && (to.domain === config.domain || to.domain === config.auth.guestDomain || to.domain === config.hiddenDomain);
    if (!to || (userDomain && (to.local === '' || (own && to.bare().equals(own.bare())) && !to.resource))) {
      return this.#toServer(session, stanza, to);
    }
    if (userDomain) return this.#toUser(stanza, to);
    if (to.domain === config.mucDomain) {
      if (to.local === '') return this.#iqOnly(session, stanza, this.#o.mucServiceIq, { config, roomJid: this.#roomJidIfExists() });
      if (to.local !== this.#o.roomName) {
        throw new StanzaError('not-allowed', { text: `this connection belongs to room ${this.#o.roomName}; open another connection for ${to.local}` });
      }
      return this.#toRoom(session, stanza, to, this.#o.room);
    }
    if (to.domain === config.lobbyDomain) {
      if (to.local === '') return this.#iqOnly(session, stanza, this.#o.lobbyServiceIq, null);
      if (to.local !== this.#o.roomName) {
        throw new StanzaError('not-allowed', { text: `this connection belongs to room ${this.#o.roomName}; open another connection for ${to.local}` });
      }
      return this.#toRoom(session, stanza, to, this.#o.lobby.room);
    }
    if (to.domain === config.avModerationDomain && to.local === '') return this.#o.avModeration.handle(session, stanza);
    const component = to.local === '' ? this.#o.components?.find((c) => c.address === to.domain) : undefined;
    if (component) return component.handle(session, stanza);
    if (to.domain === config.focusDomain && this.#o.focusIq) {
      return this.#iqOnly(session, stanza, this.#o.focusIq, { session });
    }
    throw new StanzaError('remote-server-not-found', { text: `unknown domain ${to.domain}` });
  }

  #roomJidIfExists(): string | null {
    return this.#o.room.settings ? this.#o.room.jid : null;
  }

  async #toServer(session: SessionRow, stanza: Element, to: Jid | undefined): Promise<void> {
    if (stanza.name === 'presence') {
      // A broadcast unavailable presence ends the user's presence everywhere, rooms included (RFC 6121 §4.5).
      if (!to && stanza.attrs.type === 'unavailable') {
        this.#o.room.removeSession(session.sid);
        this.#o.lobby.removeSession(session.sid);
      }
      return;
    }
    await this.#iqOnly(session, stanza, this.#o.serverIq, { config: this.#o.config, roomJid: this.#roomJidIfExists() });
  }

  async #iqOnly<C>(session: SessionRow, stanza: Element, router: IqRouter<C>, ctx: C): Promise<void> {
    if (stanza.name !== 'iq') {
      if (stanza.name === 'message' && stanza.attrs.type !== 'error') throw new StanzaError('service-unavailable');
      return;
    }
    const reply = await router.route(ctx, stanza);
    if (reply) this.#o.sessions.deliver(session.sid, reply);
  }

  #toUser(stanza: Element, to: Jid): void {
    const target = to.resource ? this.#o.sessions.byJid(to.toString()) : this.#bareTarget(to);
    if (!target) {
      if (stanza.name === 'presence' || stanza.attrs.type === 'result' || stanza.attrs.type === 'error') return;
      throw new StanzaError('service-unavailable', { text: 'no such user here' });
    }
    const copy = xml(stanza.name, { ...stanza.attrs, xmlns: NS_CLIENT });
    copy.children = stanza.children;
    this.#o.sessions.deliver(target.sid, copy);
  }

  #bareTarget(to: Jid): SessionRow | undefined {
    return this.#o.sessions.byBareJid(to.bare().toString());
  }

  async #toRoom(session: SessionRow, stanza: Element, to: Jid, room: MucRoom): Promise<void> {
    if (stanza.name === 'presence') {
      if (!to.resource) throw new StanzaError('jid-malformed', { text: 'join a room with room@service/nickname' });
      room.handlePresence(session.sid, session.jid, stanza, to.resource);
      return;
    }
    if (to.resource) {
      if (stanza.name === 'message' && stanza.attrs.type === 'groupchat') {
        throw new StanzaError('bad-request', { text: 'groupchat messages go to the bare room JID' });
      }
      if (stanza.name === 'iq' && this.#isSelfPing(room, session, stanza, to)) {
        this.#o.sessions.deliver(session.sid, xml('iq', { type: 'result', id: stanza.attrs.id, from: to.toString(), to: session.jid }));
        return;
      }
      room.relayToOccupant(session.sid, stanza, to.resource);
      return;
    }
    if (stanza.name === 'message') {
      if (stanza.attrs.type === 'error') return;
      // Mediated invites (lib-jitsi-meet's lobby approvals) to the main room; the lobby's own rooms take none.
      const invites = room === this.#o.room ? readMediatedInvites(stanza) : null;
      if (invites) return this.#o.lobby.invite(session, invites);
      if (stanza.attrs.type !== 'groupchat') throw new StanzaError('bad-request', { text: 'only groupchat messages go to the room' });
      room.handleGroupchat(session.sid, stanza);
      return;
    }
    const reply = await this.#o.roomIq.route({ sid: session.sid, from: session.jid, room, sessions: this.#o.sessions }, stanza);
    if (reply) this.#o.sessions.deliver(session.sid, reply);
  }

  /** XEP-0410 MUC self-ping: an occupant pinging its own occupant JID learns it is still joined. */
  #isSelfPing(room: MucRoom, session: SessionRow, iq: Element, to: Jid): boolean {
    const occ = room.occupants.get(to.resource);
    return iq.attrs.type === 'get' && occ?.sid === session.sid && iq.getChild('ping') !== undefined;
  }

  /** Answers a failed stanza with an error (never answering an error, RFC 6120 §8.3.1). */
  #bounce(session: SessionRow, stanza: Element, err: unknown): void {
    const error = StanzaError.from(err);
    if (!(err instanceof StanzaError)) this.#o.log.error('stanza.failed', { err, name: stanza.name, type: stanza.attrs.type });
    if (stanza.attrs.type === 'error' || stanza.attrs.type === 'result') return;
    const reply = errorReply(stanza, error);
    reply.attrs.to = session.jid;
    this.#o.sessions.deliver(session.sid, reply);
  }
}
