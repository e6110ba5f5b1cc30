/**
 * What the focus needs from whoever hosts it (the Room Durable Object in production, scripted
 * fakes in tests). The focus never touches sockets, storage APIs or timers directly.
 * @module
 */
import type { BridgeCandidate, Element, Logger } from '@edgemeet/protocol';

/** The host's logger: protocol's {@link Logger} (the name stays for existing imports). */
export type FocusLogger = Logger;

export type { BridgeCandidate } from '@edgemeet/protocol';

/** Reaches media nodes (through the Registry in production). */
export interface BridgeDirectory {
  list(): Promise<BridgeCandidate[]>;
  /**
   * Sends a Colibri2 payload to a node; resolves with the node's reply IQ (result or error).
   * Rejects with an AppError when the node cannot be reached or does not answer.
   */
  request(bridgeId: string, payload: Element, options?: { expire?: boolean }): Promise<Element>;
}

/** A recorder as the focus addresses it: its id and its brewery occupant JID (Jicofo's instance JID). */
export interface RecorderRef {
  readonly id: string;
  readonly jid: string;
}

/** Reaches recorders (the Registry's Jibri brewery in production, scripted recorders in tests). */
export interface RecorderDirectory {
  /**
   * JibriDetector.selectJibri: an available recorder, marked selected; null when none may be
   * picked, with `anyConnected` telling "all busy" from "none at all".
   */
  select(): Promise<{ recorder: RecorderRef | null; anyConnected: boolean }>;
  /** JibriDetector.instanceFailed: not selected for a minute. */
  failed(recorderId: string): Promise<void>;
  /**
   * Sends a `<jibri/>` payload to a recorder; resolves with its reply IQ (result or error).
   * Rejects with an AppError when it cannot be reached or does not answer in time.
   */
  request(recorderId: string, payload: Element): Promise<Element>;
}

/** Durable JSON state of the focus for one room. */
export interface FocusStore {
  load(): unknown;
  save(state: unknown): void;
}

export interface FocusHost {
  /** Sends a stanza as the focus occupant; the host stamps `from` (`room@muc/focus`). */
  send(stanza: Element): void;
  readonly bridges: BridgeDirectory;
  /** Recorders; without them every start request is answered service-unavailable (no Jibris). */
  readonly recorders?: RecorderDirectory;
  readonly store: FocusStore;
  readonly log: FocusLogger;
  now(): number;
  /** Asks to be woken (FocusComponent.onWakeUp) at `at`, epoch ms. */
  scheduleWakeUp(at: number): void;
  /**
   * The room's AV moderation, owned by its av_moderation component (the focus keeps no copy): per
   * moderated media type, the endpoint ids approved to unmute; a type that is absent is not
   * moderated. Without it (no component), nothing is.
   */
  avModeration?(): Partial<Record<'audio' | 'video', readonly string[]>>;
  /**
   * The room's start-muted policy, owned by its metadata (`startMuted`, which moderators set and
   * Jicofo reads from the room metadata): who joins from now on is invited muted. Without it, none.
   */
  startMuted?(): { audio: boolean; video: boolean };
}
