/**
 * The focus `conference` IQ (jitsi-wire-protocol §2.3): what a client asks `focus.<domain>` for
 * before joining a room, and the focus's ready answer. Properties are `<property name value/>`.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_FOCUS } from '../xml/namespaces.ts';

export interface ConferenceRequest {
  /** `room@muc`. */
  room: string;
  machineUid?: string;
  /** The JWT, when the client has one. */
  token?: string;
  sessionId?: string;
  /** startAudioMuted, startVideoMuted, rtcstatsEnabled, visitors-version, … */
  properties: Record<string, string>;
}

export interface ConferenceAnswer {
  room: string;
  /** True once the focus is in the room: the client may join. */
  ready: boolean;
  /** The focus's bare JID; an occupant whose real JID starts with it is the focus. */
  focusJid: string;
  /** authentication, visitors-supported, … */
  properties: Record<string, string>;
}

function buildProperties(properties: Readonly<Record<string, string>>): Element[] {
  return Object.entries(properties).map(([name, value]) => xml('property', { name, value }));
}

function parseProperties(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of el.getChildren('property')) if (typeof p.attrs.name === 'string') out[p.attrs.name] = String(p.attrs.value ?? '');
  return out;
}

/**
 * The `<conference/>` payload of the request.
 *
 * @example
 * buildIq('set', 'focus.meet.jitsi', 'c1', buildConferenceRequest({ room: 'r1@conference.meet.jitsi', properties: {} }));
 */
export function buildConferenceRequest(r: ConferenceRequest): Element {
  return xml('conference', { xmlns: NS_FOCUS, room: r.room, 'machine-uid': r.machineUid, token: r.token, 'session-id': r.sessionId },
    ...buildProperties(r.properties));
}

/** Reads the request's `<conference/>`; the room as sent (callers compare it lower-cased). */
export function parseConferenceRequest(el: Element): ConferenceRequest {
  const r: ConferenceRequest = { room: String(el.attrs.room ?? ''), properties: parseProperties(el) };
  const { 'machine-uid': machineUid, token, 'session-id': sessionId } = el.attrs as Record<string, unknown>;
  if (typeof machineUid === 'string') r.machineUid = machineUid;
  if (typeof token === 'string') r.token = token;
  if (typeof sessionId === 'string') r.sessionId = sessionId;
  return r;
}

export function buildConferenceAnswer(a: ConferenceAnswer): Element {
  return xml('conference', { xmlns: NS_FOCUS, room: a.room, ready: String(a.ready), focusjid: a.focusJid }, ...buildProperties(a.properties));
}

export function parseConferenceAnswer(el: Element): ConferenceAnswer {
  return {
    room: String(el.attrs.room ?? ''), ready: el.attrs.ready === 'true', focusJid: String(el.attrs.focusjid ?? ''),
    properties: parseProperties(el),
  };
}

/** The start-muted thresholds of a conference request: participants beyond them start muted (null: none). */
export interface StartMutedThresholds {
  readonly audio: number | null;
  readonly video: number | null;
}

/** Java's Integer.parseInt: an optional sign and decimal digits within 32 bits; anything else is null (Jicofo ignores it). */
function javaInt(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '' || !/^[+-]?\d+$/.test(v)) return null;
  const n = Number(v);
  return n >= -2_147_483_648 && n <= 2_147_483_647 ? n : null;
}

/**
 * The `startAudioMuted` / `startVideoMuted` properties of a conference request (jitsi-meet's
 * config, sent by lib-jitsi-meet), as Jicofo's JitsiMeetConfig reads them.
 */
export function startMutedThresholds(properties: Readonly<Record<string, string>>): StartMutedThresholds {
  return { audio: javaInt(properties.startAudioMuted), video: javaInt(properties.startVideoMuted) };
}
