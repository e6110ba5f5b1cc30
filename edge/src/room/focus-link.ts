/**
 * Hosts the focus (Jicofo's logic, focus/) inside a room's Durable Object. As Jicofo runs one
 * conference per MUC room on one XMPP connection, the object runs one {@link FocusComponent} per
 * room it holds — the main room and each breakout room — behind one in-process session
 * (`focus@auth.<domain>/focus`, {@link FocusHub}): stanzas to that session go to the focus of the
 * room they come from, `conference` IQs to the focus of the room they name, and each focus keeps
 * its own state document, meeting id and bridge conference.
 * @module
 */
// Internal: not exported from the package entry.
import {
  AppError, IqRouter, NS_FOCUS, StanzaError, bareJid, parseConferenceRequest, parseXml, serialize, tryParseJid, type Element,
} from '@edgemeet/protocol';
import { FocusComponent, focusConfig, type BridgeDirectory, type FocusStore, type RecorderDirectory } from '@edgemeet/focus';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RegistryReply } from '../registry/registry-do.ts';
import type { RecorderSelection } from '../registry/jibri-brewery.ts';
import type { BridgeInfo } from '../registry/registry-server.ts';
import type { Sessions } from './sessions.ts';
import type { RoomStore, SessionRow } from './store.ts';

export const FOCUS_SID = 'focus';

/** Who sent an IQ to `focus.<domain>`. */
export interface FocusIqContext {
  readonly session: SessionRow;
}

/** What a room needs from the Registry (RPC to the Registry Durable Object in production). */
export interface RegistryClient {
  bridges(): Promise<BridgeInfo[]>;
  request(bridgeId: string, room: string, payloadXml: string, options?: { expire?: boolean }): Promise<RegistryReply>;
  /** The Jibri brewery: selection (JibriDetector, serialized in the Registry), failures, and requests to a recorder. */
  selectRecorder(): Promise<RecorderSelection>;
  recorderFailed(recorderId: string): Promise<void>;
  recorderRequest(recorderId: string, room: string, payloadXml: string): Promise<RegistryReply>;
}

/** The Registry as one conference's focus sees it; `placement` is the key its bridge conference is placed under. */
export function bridgeDirectory(registry: RegistryClient, placement: string): BridgeDirectory {
  return {
    list: () => registry.bridges(),
    async request(bridgeId, payload, options) {
      const answer = await registry.request(bridgeId, placement, serialize(payload), options);
      if (!answer.ok) throw new AppError(answer.code, answer.message);
      return parseXml(answer.reply);
    },
  };
}

/** The Jibri brewery as a room's focus sees it; `room` is the Room DO the recorder's status IQs come back to. */
export function recorderDirectory(registry: RegistryClient, room: string): RecorderDirectory {
  return {
    select: () => registry.selectRecorder(),
    failed: (recorderId) => registry.recorderFailed(recorderId),
    async request(recorderId, payload) {
      const answer = await registry.recorderRequest(recorderId, room, serialize(payload));
      if (!answer.ok) throw new AppError(answer.code, answer.message);
      return parseXml(answer.reply);
    },
  };
}

export interface FocusHubOptions {
  config: EdgeConfig;
  log: Logger;
  store: RoomStore;
  sessions: Sessions;
  registry: RegistryClient;
  now: () => number;
  scheduleWakeUp: (at: number) => void;
  /** Routes a stanza from the focus session (set once the router exists). */
  route: (stanza: Element) => Promise<void>;
  /** Finishes what a stanza sent outside an entry point started (the room's {@link Pump}). */
  kick: () => void;
}

/** One room's conference as the hub hosts it. */
export interface FocusRoom {
  /** The room's node (`<name>` or a breakout room's id) and MUC service. */
  readonly room: string;
  readonly mucDomain: string;
  /** The Registry placement key of its bridge conference (protocol's `placementKey`). */
  readonly placement: string;
  readonly store: FocusStore;
  readonly meetingId: () => string;
  /** The room's AV moderation (the main room's av_moderation component); none for breakout rooms. */
  readonly avModeration?: () => Partial<Record<'audio' | 'video', readonly string[]>>;
  /** The start-muted policy moderators set in the room metadata (the main room's); none for breakout rooms. */
  readonly startMuted?: () => { audio: boolean; video: boolean };
  /**
   * The Room DO recorders' status IQs come back to (the Registry routes them by it): set for the
   * main room, whose focus records; breakout rooms have no recording (their focus answers
   * service-unavailable, as with no recorders at all).
   */
  readonly recordingRoom?: string;
}

/** The focus session of a room's Durable Object and the conference of each room it holds. */
export class FocusHub {
  readonly #o: FocusHubOptions;
  readonly #jid: string;
  readonly #focusBare: string;
  /** By bare room JID, lower case. */
  readonly #rooms = new Map<string, FocusComponent>();
  #sending: Promise<void> = Promise.resolve();

  constructor(o: FocusHubOptions) {
    this.#o = o;
    const config = this.#focusConfig();
    this.#jid = `${config.focusJid}/${config.focusNick}`;
    this.#focusBare = config.focusJid;
    if (o.store.sessions.has(FOCUS_SID)) this.#bind();
  }

  #focusConfig() {
    const c = this.#o.config;
    return focusConfig(c.domain, {
      focusDomain: c.focusDomain, sessionAcceptTimeoutMs: c.sessionAcceptTimeoutMs,
      // A participant who announces no region (jitsi_participant_region) gets this edge's region's nodes first.
      defaultRegion: c.region,
      hiddenDomain: c.hiddenDomain,
      jibriPendingTimeoutMs: c.recording.pendingTimeoutSeconds * 1000,
      jibriNumRetries: c.recording.numRetries,
      recordingMaxDurationMs: c.recording.maxDurationSeconds * 1000,
    });
  }

  /** The focus's real JID (`focus@auth.<domain>/focus`): owner of every room. */
  get jid(): string {
    return this.#jid;
  }

  /** Starts (or finds) the focus of a room; its saved state, if any, is loaded. */
  add(r: FocusRoom): FocusComponent {
    const key = `${r.room}@${r.mucDomain}`.toLowerCase();
    const existing = this.#rooms.get(key);
    if (existing) return existing;
    const focus = new FocusComponent({
      config: this.#focusConfig(), mucDomain: r.mucDomain, room: r.room, authentication: this.#o.config.auth.policy === 'guests',
      meetingId: r.meetingId,
      host: {
        send: (stanza) => this.#send(stanza),
        bridges: bridgeDirectory(this.#o.registry, r.placement),
        store: r.store,
        log: this.#o.log,
        now: this.#o.now,
        scheduleWakeUp: this.#o.scheduleWakeUp,
        ...(r.avModeration ? { avModeration: r.avModeration } : {}),
        ...(r.startMuted ? { startMuted: r.startMuted } : {}),
        ...(r.recordingRoom !== undefined && this.#o.config.recorderSecret ? { recorders: recorderDirectory(this.#o.registry, r.recordingRoom) } : {}),
      },
    });
    this.#rooms.set(key, focus);
    return focus;
  }

  /** Forgets a room's focus (its room is gone; its conference was stopped by `roomDestroyed`). */
  remove(roomJid: string): void {
    this.#rooms.delete(roomJid.toLowerCase());
  }

  #bind(): void {
    this.#o.sessions.bindLocal(FOCUS_SID, this.#jid, (stanza) => this.#dispatch(stanza));
  }

  /** A stanza to the focus session: to the focus of the room it comes from (an occupant's presence, IQ or reply). */
  async #dispatch(stanza: Element): Promise<void> {
    const from = tryParseJid(stanza.attrs.from as string | undefined);
    const focus = from ? this.#rooms.get(from.bare().toString().toLowerCase()) : undefined;
    if (focus) await focus.handleStanza(stanza);
  }

  /** The focuses' stanzas are routed in order; whatever they cause locally is finished by the room's pump. */
  #send(stanza: Element): void {
    if (!this.#o.sessions.get(FOCUS_SID)) this.#bind();
    this.#sending = this.#sending
      .then(() => this.#o.route(stanza))
      .catch((err: unknown) => this.#o.log.error('focus.send_failed', { err, stanza: serialize(stanza).slice(0, 256) }))
      .finally(() => this.#o.kick());
  }

  /** Whether `bare` is the focus user (owner of every room, left out of the components). */
  isFocus(fullOrBare: string): boolean {
    return bareJid(fullOrBare) === this.#focusBare;
  }

  /** IQs to `focus.<domain>`: the conference request (jitsi-wire-protocol §2.3), to the focus of the room it names; and logout. */
  iqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<FocusIqContext> {
    return new IqRouter<FocusIqContext>({ onHandlerError })
      .on('set', NS_FOCUS, 'conference', (ctx, _iq, payload) => {
        const room = parseConferenceRequest(payload).room.toLowerCase();
        const focus = this.#rooms.get(room);
        if (!focus) throw new StanzaError('not-allowed', { text: `no conference ${room} on this connection` });
        if (!this.#o.sessions.get(FOCUS_SID)) this.#bind();
        return focus.handleConferenceIq(payload, { authenticated: this.#o.store.sessionAuth(ctx.session.sid) !== undefined });
      })
      .on('set', NS_FOCUS, 'logout', () => null);
  }

  /** A media node is gone or shutting down: every conference that uses it moves (the others ignore it). */
  async bridgeDown(bridgeId: string, alive: boolean): Promise<void> {
    await Promise.all([...this.#rooms.values()].map((f) => f.bridgeDown(bridgeId, alive)));
  }

  onWakeUp(): void {
    for (const f of this.#rooms.values()) f.onWakeUp();
  }
}
