/**
 * Hosts the focus (Jicofo's logic, focus/) inside a room: an in-process session whose occupant is
 * `room/focus`, stanzas to and from it through the same router as everyone's, its state in the
 * room's storage, and media nodes reached through the region's Registry.
 * @module
 */
// Internal: not exported from the package entry.
import { AppError, IqRouter, NS_FOCUS, parseXml, readStartMutedPolicy, serialize, type Element } from '@edgemeet/protocol';
import { FocusComponent, focusConfig, type BridgeDirectory, type RecorderDirectory } from '@edgemeet/focus';
import type { EdgeConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RegistryReply } from '../registry/registry-do.ts';
import type { RecorderSelection } from '../registry/jibri-brewery.ts';
import type { BridgeInfo } from '../registry/registry-server.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { FocusIqContext } from './stanza-router.ts';
import type { RoomStore } from './store.ts';

export const FOCUS_SID = 'focus';

/** What a room needs from the Registry (RPC to the Registry Durable Object in production). */
export interface RegistryClient {
  bridges(): Promise<BridgeInfo[]>;
  request(bridgeId: string, room: string, payloadXml: string, options?: { expire?: boolean }): Promise<RegistryReply>;
  /** The Jibri brewery: selection (JibriDetector, serialized in the Registry), failures, and requests to a recorder. */
  selectRecorder(): Promise<RecorderSelection>;
  recorderFailed(recorderId: string): Promise<void>;
  recorderRequest(recorderId: string, room: string, payloadXml: string): Promise<RegistryReply>;
}

export function bridgeDirectory(registry: RegistryClient, room: string): BridgeDirectory {
  return {
    list: () => registry.bridges(),
    async request(bridgeId, payload, options) {
      const answer = await registry.request(bridgeId, room, serialize(payload), options);
      if (!answer.ok) throw new AppError(answer.code, answer.message);
      return parseXml(answer.reply);
    },
  };
}

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

export interface FocusLinkOptions {
  config: EdgeConfig;
  log: Logger;
  store: RoomStore;
  sessions: Sessions;
  room: MucRoom;
  roomName: string;
  registry: RegistryClient;
  now: () => number;
  scheduleWakeUp: (at: number) => void;
  /** Routes a stanza from the focus session (set once the router exists). */
  route: (stanza: Element) => Promise<void>;
  /** Finishes what a stanza sent outside an entry point started (the room's {@link Pump}). */
  kick: () => void;
}

export class FocusLink {
  readonly focus: FocusComponent;
  readonly #o: FocusLinkOptions;
  readonly #jid: string;

  constructor(o: FocusLinkOptions) {
    this.#o = o;
    const config = focusConfig(o.config.domain, {
      focusDomain: o.config.focusDomain, sessionAcceptTimeoutMs: o.config.sessionAcceptTimeoutMs,
      // A participant who announces no region (jitsi_participant_region) gets this edge's region's nodes first.
      defaultRegion: o.config.region,
      hiddenDomain: o.config.hiddenDomain,
      jibriPendingTimeoutMs: o.config.recording.pendingTimeoutSeconds * 1000,
      jibriNumRetries: o.config.recording.numRetries,
      recordingMaxDurationMs: o.config.recording.maxDurationSeconds * 1000,
    });
    this.#jid = `${config.focusJid}/${config.focusNick}`;
    this.focus = new FocusComponent({
      config, mucDomain: o.config.mucDomain, room: o.roomName, authentication: o.config.auth.policy === 'guests',
      meetingId: () => o.room.settings?.meetingId ?? crypto.randomUUID(),
      host: {
        send: (stanza) => this.#send(stanza),
        bridges: bridgeDirectory(o.registry, o.roomName),
        ...(o.config.recorderSecret ? { recorders: recorderDirectory(o.registry, `${o.roomName}`) } : {}),
        store: { load: () => o.store.focusState, save: (state) => { o.store.focusState = state; } },
        log: o.log,
        now: o.now,
        scheduleWakeUp: o.scheduleWakeUp,
        // The av_moderation component owns the state (occupant JIDs); the focus reads nicks.
        avModeration: () => {
          const state = o.room.settings?.avModeration ?? {};
          const nicks = (jids: readonly string[]) => jids.map((j) => j.slice(j.indexOf('/') + 1));
          return { ...(state.audio ? { audio: nicks(state.audio) } : {}), ...(state.video ? { video: nicks(state.video) } : {}) };
        },
        // The room metadata owns the start-muted policy (moderators set `startMuted`, as with Jitsi).
        startMuted: () => readStartMutedPolicy(o.room.settings?.metadata ?? {}),
      },
    });
    if (o.store.sessions.has(FOCUS_SID)) this.#bind();
  }

  /** The focus's real JID (`focus@auth.<domain>/focus`): owner of every room. */
  get jid(): string {
    return this.#jid;
  }

  #bind(): void {
    this.#o.sessions.bindLocal(FOCUS_SID, this.#jid, (stanza) => this.focus.handleStanza(stanza));
  }

  /** The focus's stanzas are routed in order; whatever they cause locally is finished by the room's pump. */
  #send(stanza: Element): void {
    if (!this.#o.sessions.get(FOCUS_SID)) this.#bind();
    this.#sending = this.#sending
      .then(() => this.#o.route(stanza))
      .catch((err: unknown) => this.#o.log.error('focus.send_failed', { err, stanza: serialize(stanza).slice(0, 256) }))
      .finally(() => this.#o.kick());
  }

  #sending: Promise<void> = Promise.resolve();

  /** IQs to `focus.<domain>`: the conference request (jitsi-wire-protocol §2.3) and logout. */
  iqRouter(onHandlerError: (err: unknown, iq: Element) => void): IqRouter<FocusIqContext> {
    return new IqRouter<FocusIqContext>({ onHandlerError })
      .on('set', NS_FOCUS, 'conference', (ctx, _iq, payload) => {
        if (!this.#o.sessions.get(FOCUS_SID)) this.#bind();
        return this.focus.handleConferenceIq(payload, { authenticated: this.#o.store.sessionAuth(ctx.session.sid) !== undefined });
      })
      .on('set', NS_FOCUS, 'logout', () => null);
  }
}
