/**
 * The wire formats of Jitsi's room-feature components (jitsi-meet's Prosody plugins, as
 * lib-jitsi-meet speaks to them), read for behaviour, not copied:
 *
 * - speaker stats (`speakerstats.<domain>`, mod_speakerstats_component): a client that became
 *   dominant speaker sends `<message><speakerstats xmlns="http://jitsi.org/jitmeet" room="ROOM"
 *   silence="true|false"/></message>`; a newcomer gets `json-message` `{type: "speakerstats",
 *   users: {nick: {displayName, totalDominantSpeakerTime}}}`.
 * - end conference (`endconference.<domain>`, mod_end_conference): `<message><end_conference/></message>`.
 * - room metadata (`metadata.<domain>`, mod_room_metadata_component): `<message><room_metadata
 *   xmlns="http://jitsi.org/jitmeet" room="ROOM">{"key": K, "data": D}</room_metadata></message>`;
 *   everyone gets `json-message` `{type: "room_metadata", metadata: {...}}` (with a `room` attribute).
 * - conference duration (`conferenceduration.<domain>`, mod_conference_duration_component, for
 *   the 2021 lib-jitsi-meet): `json-message` `{type: "conference_duration", created_timestamp: MS}`.
 *
 * Prosody answers what these modules refuse (their `message/host` handler returns false) with
 * its unhandled-stanza reply, `cancel`/`service-unavailable`; what they ignore (return true) gets
 * nothing. {@link refused} is that error; the parsers return null for "ignored".
 * @module
 */
import { AppError } from '../errors.ts';
import { parseBoundedJson, type JsonLimits } from '../json/bounded-json.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_CLIENT, NS_JITMEET } from '../xml/namespaces.ts';
import { buildJsonMessage } from './json-message.ts';
import { StanzaError } from './stanza-error.ts';

/** What Prosody answers when a Jitsi component's handler refuses a message: cancel/service-unavailable. */
export function refused(text: string): StanzaError {
  return new StanzaError('service-unavailable', { text });
}

// Speaker stats

export interface SpeakerStatsReport {
  /** The room the sender says it is dominant speaker in (a bare room JID, unchecked). */
  readonly room: string | undefined;
  /** lib-jitsi-meet's `silence`: dominant but silent (its time does not count). */
  readonly silence: boolean;
}

/** The `<speakerstats/>` report in a message to the component; null when it has none (ignored). */
export function readSpeakerStatsReport(message: Element): SpeakerStatsReport | null {
  const el = message.getChild('speakerstats', NS_JITMEET);
  if (!el) return null;
  return { room: el.attrs.room as string | undefined, silence: el.attrs.silence === 'true' };
}

export interface SpeakerStatsEntry {
  readonly displayName?: string;
  /** Milliseconds as dominant speaker (not silent), up to now. */
  readonly totalDominantSpeakerTime: number;
}

/** The component's stats for a newcomer, keyed by occupant nick (lib-jitsi-meet's participant id). */
export function buildSpeakerStatsMessage(users: Readonly<Record<string, SpeakerStatsEntry>>): Element {
  return buildJsonMessage({ type: 'speakerstats', users });
}

// End conference

/** Whether a message to the end-conference component asks to end it (`<end_conference/>`, client namespace). */
export function isEndConferenceCommand(message: Element): boolean {
  return message.getChildren('end_conference').some((c) => c.attrs.xmlns === undefined || c.attrs.xmlns === NS_CLIENT);
}

/** The reason Prosody's mod_end_conference gives in the room's `<destroy/>`. */
export const END_CONFERENCE_REASON = 'The meeting has been terminated';

// Room metadata

/** Bounds of one metadata update (its JSON text) and of a room's whole metadata (serialized). */
export const ROOM_METADATA_LIMITS: JsonLimits & { readonly maxStoredChars: number; readonly maxKeys: number } = Object.freeze({
  maxChars: 16_384, maxDepth: 8, maxEntries: 256, maxTotalEntries: 1024, maxStringChars: 4096,
  maxStoredChars: 32_768, maxKeys: 64,
});

/**
 * Keys no client may set (mod_room_metadata_component's default `room_metadata_blocked_keys`):
 * server-controlled or filled in by the server when it sends.
 */
export const ROOM_METADATA_BLOCKED_KEYS: ReadonlySet<string> = new Set([
  'allownersEnabled', 'asyncTranscription', 'audioTranslationRequests', 'conferencePresetsServiceEnabled', 'dialinEnabled',
  'moderators', 'participants', 'participantsSoftLimit', 'services', 'transcriberType', 'transcription', 'visitorsEnabled',
]);

export interface RoomMetadataCommand {
  /** The room it is for (`room` attribute, unchecked). */
  readonly room: string;
  /** The JSON text, not yet parsed ({@link parseRoomMetadataUpdate}). */
  readonly json: string;
}

/**
 * The `<room_metadata/>` of a message to the metadata component; null (ignored, as Jitsi does)
 * when there is none, it is empty, or it names no room.
 */
export function readRoomMetadataCommand(message: Element): RoomMetadataCommand | null {
  const el = message.getChild('room_metadata', NS_JITMEET);
  const json = el?.text() ?? '';
  const room = el?.attrs.room as string | undefined;
  if (!el || json === '' || !room) return null;
  return { room, json };
}

/**
 * The update in a command's JSON: `{key, data}`. Refused ({@link refused}) if it is not JSON, is
 * over {@link ROOM_METADATA_LIMITS}, or has no `data` (or `data` null); null (ignored, as Jitsi
 * does) if `key` is not a string.
 */
export function parseRoomMetadataUpdate(json: string, limits: JsonLimits = ROOM_METADATA_LIMITS): { key: string; data: unknown } | null {
  let value: unknown;
  try {
    value = parseBoundedJson(json, limits);
  } catch (err) {
    throw refused(`room_metadata: ${err instanceof AppError ? err.message : 'not JSON'}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refused('room_metadata: expected an object');
  const { key, data } = value as { key?: unknown; data?: unknown };
  if (typeof key !== 'string') return null;
  if (data === undefined || data === null) throw refused('room_metadata: key or data missing');
  return { key, data };
}

/** A client's metadata update (lib-jitsi-meet's `getMetadataHandler().setMetadata(key, data)`). */
export function buildRoomMetadataCommand(roomJid: string, key: string, data: unknown): Element {
  return xml('room_metadata', { xmlns: NS_JITMEET, room: roomJid }, JSON.stringify({ key, data }));
}

/**
 * The room's start-muted policy in its metadata (`startMuted: {audio, video}`, what lib-jitsi-meet's
 * `setStartMutedPolicy()` sets and Jicofo reads): a flag counts only when it is `true`; no
 * `startMuted` object, nothing is muted.
 */
export function readStartMutedPolicy(metadata: Readonly<Record<string, unknown>>): { audio: boolean; video: boolean } {
  const policy = metadata.startMuted;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return { audio: false, video: false };
  const { audio, video } = policy as { audio?: unknown; video?: unknown };
  return { audio: audio === true, video: video === true };
}

/** The room's metadata to an occupant (`json-message` with the room's JID, as the component sends it). */
export function buildRoomMetadataMessage(roomJid: string, metadata: Readonly<Record<string, unknown>>): Element {
  const el = buildJsonMessage({ type: 'room_metadata', metadata });
  el.attrs.room = roomJid;
  return el;
}

// Conference duration

/** When the meeting started (epoch ms), as mod_conference_duration_component tells an occupant who joins. */
export function buildConferenceDurationMessage(createdTimestamp: number): Element {
  return buildJsonMessage({ type: 'conference_duration', created_timestamp: createdTimestamp });
}

/** A component's message to an occupant: `<message from=component to=occupant>` with `payload`. */
export function buildComponentMessage(from: string, to: string, payload: Element): Element {
  return xml('message', { xmlns: NS_CLIENT, from, to }, payload);
}
