/**
 * The XMPP server of one room: stream negotiation ({@link StreamNegotiator}), then bound
 * sessions whose stanzas are rate-limited, checked (`from`), counted for XEP-0198 and handed to
 * the {@link StanzaRouter}. Runtime-neutral: the Durable Object shell feeds it frames and closes.
 * @module
 */
// Internal: not exported from the package entry.
import { NS_SM, StanzaError, StreamError, bareJid, errorReply, focusJid, jid, serialize, type Element } from '@edgemeet/protocol';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Authenticator } from '../xmpp/authenticator.ts';
import type { Connection } from '../xmpp/connection.ts';
import { TokenBuckets } from '../xmpp/rate-limit.ts';
import { StreamNegotiator, type StreamHost } from '../xmpp/stream-negotiator.ts';
import { MucRoom } from './muc/muc-room.ts';
import { createRoomIqRouter } from './muc/room-iq.ts';
import { AvModeration } from './av-moderation.ts';
import { ConferenceDuration } from './conference-duration.ts';
import { EndConference } from './end-conference.ts';
import { Lobby } from './lobby.ts';
import { Polls } from './polls.ts';
import { RoomMetadata } from './room-metadata.ts';
import { SpeakerStats } from './speaker-stats.ts';
import { FOCUS_SID, FocusLink, type RegistryClient } from './focus-link.ts';
import { createMucServiceIqRouter, createServerIqRouter } from './server-iq.ts';
import { Sessions } from './sessions.ts';
import { StanzaRouter } from './stanza-router.ts';
import type { OccupantRow, RoomStore, SessionRow } from './store.ts';

export interface RoomXmppServerOptions {
  config: EdgeConfig;
  log: Logger;
  store: RoomStore;
  roomName: string;
  authenticator: Authenticator;
  now?: () => number;
  /** Wake the host at `at` (epoch ms); the Durable Object sets an alarm. */
  scheduleWakeUp: (at: number) => void;
  /** Where media nodes are found; without it the room runs no focus (plain XMPP MUC). */
  registry?: RegistryClient;
  /**
   * Asks the host to finish work that happened outside an entry point ({@link settle} and the
   * wake-ups): the Durable Object's pump.
   */
  kick: () => void;
}

const STANZAS = new Set(['iq', 'message', 'presence']);

export class RoomXmppServer implements StreamHost {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #buckets: TokenBuckets;
  readonly #negotiator: StreamNegotiator;
  readonly authenticator: Authenticator;
  readonly streamManagement = true;
  readonly sessions: Sessions;
  readonly room: MucRoom;
  readonly #router: StanzaRouter;
  readonly focus: FocusLink | null;
  readonly avModeration: AvModeration;
  readonly speakerStats: SpeakerStats;
  readonly endConference: EndConference;
  readonly roomMetadata: RoomMetadata;
  readonly conferenceDuration: ConferenceDuration;
  readonly lobby: Lobby;
  readonly polls: Polls;

  constructor(o: RoomXmppServerOptions) {
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
    this.authenticator = o.authenticator;
    this.#buckets = new TokenBuckets(o.config.rateLimitPerSecond, o.config.rateLimitBurst);
    this.#negotiator = new StreamNegotiator({ domain: o.config.domain, guestDomain: o.config.auth.guestDomain, hiddenDomain: o.config.hiddenDomain, maxStanzaBytes: o.config.maxStanzaBytes, log: o.log, host: this });
    this.sessions = new Sessions({
      store: o.store, config: o.config, log: o.log, now: this.#now,
      hooks: {
        sessionEnded: (sid) => {
          this.room.removeSession(sid);
          this.lobby.removeSession(sid);
        },
        scheduleWakeUp: o.scheduleWakeUp,
      },
    });
    const focusBare = focusJid(o.config.domain);
    const superOwners = o.registry ? [focusBare] : [];
    this.room = new MucRoom({
      jid: jid(o.roomName, o.config.mucDomain), store: o.store, sessions: this.sessions, config: o.config, log: o.log, now: this.#now,
      superOwners,
      policy: { preJoin: (attempt) => this.lobby.preJoin(attempt) },
      onConfigured: (actor, before, after) => this.lobby.configured(actor, before, after),
      onDestroyed: () => this.lobby.mainDestroyed(),
      onJoining: (occ) => this.roomMetadata.occupantJoining(occ),
      onJoined: (occ) => {
        this.avModeration.occupantJoined(occ);
        this.conferenceDuration.occupantJoined(occ);
        this.speakerStats.occupantJoined(occ);
        this.polls.occupantJoined(occ);
      },
      onLeaving: (occ) => this.speakerStats.occupantLeaving(occ),
    });
    const isService = (occ: OccupantRow) => occ.sid === FOCUS_SID;
    const onHandlerError = (err: unknown, iq: Element) => this.#log.error('iq.handler_failed', { err, iq: serialize(iq).slice(0, 512) });
    this.focus = o.registry
      ? new FocusLink({
        config: o.config, log: o.log, store: o.store, sessions: this.sessions, room: this.room, roomName: o.roomName,
        registry: o.registry, now: this.#now, scheduleWakeUp: o.scheduleWakeUp,
        route: (stanza) => this.#routeFromFocus(stanza), kick: o.kick,
      })
      : null;
    this.avModeration = new AvModeration({
      address: o.config.avModerationDomain, room: this.room, sessions: this.sessions, log: o.log,
      onChange: this.focus ? (media, enabled, actor) => this.focus!.focus.avModeration(media, enabled, actor) : undefined,
    });
    this.speakerStats = new SpeakerStats({
      address: o.config.speakerStatsDomain, room: this.room, sessions: this.sessions, log: o.log, now: this.#now, isService,
    });
    this.endConference = new EndConference({
      address: o.config.endConferenceDomain, room: this.room, log: o.log,
      onEnd: this.focus ? () => this.focus!.focus.roomDestroyed() : undefined,
    });
    this.roomMetadata = new RoomMetadata({ address: o.config.roomMetadataDomain, room: this.room, sessions: this.sessions, log: o.log, isService });
    this.lobby = new Lobby({
      config: o.config, log: o.log, roomName: o.roomName, main: this.room, store: o.store.lobby, sessions: this.sessions,
      metadata: this.roomMetadata, now: this.#now, superOwners,
    });
    this.conferenceDuration = new ConferenceDuration({
      address: o.config.conferenceDurationDomain, room: this.room, sessions: this.sessions, now: this.#now, isService,
    });
    this.polls = new Polls({
      address: o.config.pollsDomain, room: this.room, sessions: this.sessions, log: o.log, isService,
      tokenFeatures: (sid) => o.store.sessionAuth(sid)?.features,
    });
    this.#router = new StanzaRouter({
      config: o.config, log: o.log, sessions: this.sessions, room: this.room, roomName: o.roomName,
      serverIq: createServerIqRouter(onHandlerError), mucServiceIq: createMucServiceIqRouter(onHandlerError),
      roomIq: createRoomIqRouter(onHandlerError), focusIq: this.focus?.iqRouter(onHandlerError), avModeration: this.avModeration,
      lobby: this.lobby, lobbyServiceIq: this.lobby.serviceIqRouter(onHandlerError),
      components: [this.speakerStats, this.endConference, this.roomMetadata, this.conferenceDuration, this.polls],
    });
  }

  async #routeFromFocus(stanza: Element): Promise<void> {
    const session = this.sessions.get(FOCUS_SID);
    if (!session) return;
    stanza.attrs.from = session.jid;
    await this.#router.route(session, stanza);
  }

  /**
   * Hands queued stanzas to local sessions (the focus) and what they answer to everyone, then
   * flushes sockets. The host runs it after every entry point and whenever it is kicked.
   */
  async settle(): Promise<void> {
    await this.sessions.drainLocal((err) => this.#log.error('local.stanza_failed', { err }));
    this.sessions.flush();
  }

  /** RPC from the Registry: a media node is gone or shutting down; the focus moves its participants. */
  async bridgeDown(bridgeId: string, alive: boolean): Promise<void> {
    await this.focus?.focus.bridgeDown(bridgeId, alive);
  }

  /** Takes over a connection that existed before hibernation. */
  adopt(conn: Connection): void {
    this.sessions.adopt(conn);
  }

  /** One WebSocket message. */
  async onMessage(conn: Connection, data: string | ArrayBuffer): Promise<void> {
    await this.#negotiator.onMessage(conn, data);
  }

  /** The socket closed or failed without a `<close/>` from the client. */
  async onClose(conn: Connection): Promise<void> {
    this.#buckets.forget(conn.state.cid);
    this.sessions.disconnected(conn, false);
  }

  /** Alarm: expire sessions whose resumption window passed, wake the focus; returns the next deadline. */
  async onWakeUp(): Promise<number | null> {
    const next = this.sessions.expire();
    this.focus?.focus.onWakeUp();
    return next;
  }

  // StreamHost

  bound(conn: Connection, fullJid: string): void {
    this.sessions.bind(conn, fullJid);
  }

  resume(conn: Connection, el: Element): void {
    this.sessions.resume(conn, el);
  }

  ended(conn: Connection, clean: boolean): void {
    const sid = conn.state.sid;
    if (!sid) return;
    if (clean) this.sessions.disconnected(conn, true);
    else this.sessions.end(sid, 'stream-error');
  }

  async element(conn: Connection, el: Element): Promise<void> {
    const session = conn.state.sid ? this.sessions.get(conn.state.sid) : undefined;
    if (!session) throw new StreamError('not-authorized', { text: 'the session has ended' });
    if (el.attrs.xmlns === NS_SM) return this.sessions.handleSm(conn, el);
    if (!STANZAS.has(el.name)) throw new StreamError('unsupported-stanza-type', { text: `unexpected <${el.name}/>` });
    this.sessions.received(session.sid);
    if (!this.#buckets.take(conn.state.cid, this.#now())) return this.#throttled(session, el);
    const from = el.attrs.from as string | undefined;
    // RFC 6120 §8.1.2.1: the server stamps `from`; a client may only name itself.
    if (from !== undefined && from !== session.jid && from !== bareJid(session.jid)) {
      throw new StreamError('invalid-from', { text: 'from must be your own JID' });
    }
    el.attrs.from = session.jid;
    delete el.attrs.xmlns;
    await this.#router.route(session, el);
  }

  #throttled(session: SessionRow, el: Element): void {
    this.#log.warn('stanza.throttled', { sid: session.sid, name: el.name });
    if (el.name === 'presence' || el.attrs.type === 'error' || el.attrs.type === 'result') return;
    const reply = errorReply(el, new StanzaError('resource-constraint', { text: 'too many stanzas; slow down' }));
    reply.attrs.to = session.jid;
    this.sessions.deliver(session.sid, reply);
  }
}
