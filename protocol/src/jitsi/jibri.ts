/**
 * Jibri's wire formats (jitsi-wire-protocol §7.2–7.3; jitsi-xmpp-extensions' JibriIq,
 * JibriStatusPacketExt and RecordingStatus): the `<jibri/>` IQ payload a moderator sends the focus
 * and the focus sends a recorder (action start|stop) and a recorder answers or sends on its own
 * (status pending|on|off), the `<jibri-status/>` a recorder puts in its brewery presence, the
 * `<jibri-recording-status/>` in the focus's room presence, and the `<session_id/>`, `<mode/>` and
 * `<live-stream-view-url/>` a recorder's own occupant carries. Parsing is as lenient as Smack's
 * provider: an unknown enumeration value reads as absent (Jicofo's UNDEFINED); attribute values are
 * bounded, so one frame cannot carry a megabyte of app_data into every log line.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_HEALTH, NS_JIBRI } from '../xml/namespaces.ts';

export type JibriAction = 'start' | 'stop';
export type JibriStatus = 'on' | 'off' | 'pending';
export type JibriRecordingMode = 'file' | 'stream';
export type JibriFailureReason = 'busy' | 'error';

/** The attributes of a `<jibri xmlns="http://jitsi.org/protocol/jibri"/>` payload (all optional on the wire). */
export interface JibriIq {
  action?: JibriAction;
  status?: JibriStatus;
  recordingMode?: JibriRecordingMode;
  /** The room's bare JID (focus → recorder start). */
  room?: string;
  sessionId?: string;
  /** The RTMP URL or stream key (recording_mode stream). */
  streamId?: string;
  youTubeBroadcastId?: string;
  /** JSON from the client (`file_recording_metadata`, …), passed on as text. */
  appData?: string;
  displayName?: string;
  /** Set on SIP gateway requests, which no recorder here serves. */
  sipAddress?: string;
  failureReason?: JibriFailureReason;
  shouldRetry?: boolean;
  rtcStatsEnabled?: boolean;
}

/** Longest attribute value read (app_data is the long one: a JSON document of metadata). */
export const JIBRI_ATTRIBUTE_MAX_CHARS = 8192;

export class JibriFormatError extends Error {
  override name = 'JibriFormatError';
}

const ACTIONS = new Set<string>(['start', 'stop']);
const STATUSES = new Set<string>(['on', 'off', 'pending']);
const MODES = new Set<string>(['file', 'stream']);
const REASONS = new Set<string>(['busy', 'error']);

/** [wire name, field] of the text attributes, in JibriIq.toXML's order. */
const TEXT_ATTRS = [
  ['room', 'room'], ['streamid', 'streamId'], ['you_tube_broadcast_id', 'youTubeBroadcastId'], ['displayname', 'displayName'],
  ['sipaddress', 'sipAddress'], ['session_id', 'sessionId'],
] as const;

function attr(el: Element, name: string): string | undefined {
  const v = el.attrs[name];
  if (typeof v !== 'string') return undefined;
  if (v.length > JIBRI_ATTRIBUTE_MAX_CHARS) throw new JibriFormatError(`${name} is longer than ${JIBRI_ATTRIBUTE_MAX_CHARS} characters`);
  return v;
}

function oneOf<T extends string>(el: Element, name: string, allowed: ReadonlySet<string>): T | undefined {
  const v = attr(el, name)?.toLowerCase();
  return v !== undefined && allowed.has(v) ? (v as T) : undefined;
}

function boolAttr(el: Element, name: string): boolean | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : v.toLowerCase() === 'true';
}

/** The `<jibri/>` child of an IQ, if it has one. */
export function findJibri(iq: Element): Element | undefined {
  return iq.getChild('jibri', NS_JIBRI);
}

/**
 * Reads a `<jibri/>` payload; throws {@link JibriFormatError} only for an oversized value.
 *
 * @example
 * parseJibriIq(findJibri(iq)!); // { action: 'start', recordingMode: 'file', appData: '{}' }
 */
export function parseJibriIq(el: Element): JibriIq {
  const j: JibriIq = {};
  const action = oneOf<JibriAction>(el, 'action', ACTIONS);
  if (action) j.action = action;
  const status = oneOf<JibriStatus>(el, 'status', STATUSES);
  if (status) j.status = status;
  const mode = oneOf<JibriRecordingMode>(el, 'recording_mode', MODES);
  if (mode) j.recordingMode = mode;
  for (const [name, field] of TEXT_ATTRS) {
    const v = attr(el, name);
    if (v !== undefined && v !== '') j[field] = v;
  }
  const failure = oneOf<JibriFailureReason>(el, 'failure_reason', REASONS);
  if (failure) j.failureReason = failure;
  const retry = boolAttr(el, 'should_retry');
  if (retry !== undefined) j.shouldRetry = retry;
  const appData = attr(el, 'app_data');
  if (appData !== undefined && appData !== '') j.appData = appData;
  const rtcStats = boolAttr(el, 'rtcstats_enabled');
  if (rtcStats !== undefined) j.rtcStatsEnabled = rtcStats;
  return j;
}

/**
 * The `<jibri/>` payload for `j`, attributes in JibriIq.toXML's order.
 *
 * @example
 * buildIq('set', recorderJid, id, buildJibriIq({ action: 'start', recordingMode: 'file', room, sessionId }));
 */
export function buildJibriIq(j: JibriIq): Element {
  const attrs: Record<string, string | undefined> = { xmlns: NS_JIBRI, action: j.action, status: j.status, recording_mode: j.recordingMode };
  for (const [name, field] of TEXT_ATTRS) attrs[name] = j[field];
  attrs.failure_reason = j.failureReason;
  attrs.should_retry = j.shouldRetry === undefined ? undefined : String(j.shouldRetry);
  attrs.app_data = j.appData;
  attrs.rtcstats_enabled = j.rtcStatsEnabled === undefined ? undefined : String(j.rtcStatsEnabled);
  return xml('jibri', attrs);
}

/** What a recorder says of itself in the brewery (Jibri's JibriStatusPacketExt). */
export interface JibriInstanceStatus {
  busy: 'idle' | 'busy';
  health: 'healthy' | 'unhealthy';
}

/** Jicofo's JibriStatusPacketExt.isAvailable: healthy and idle. */
export function isJibriAvailable(s: JibriInstanceStatus): boolean {
  return s.busy === 'idle' && s.health === 'healthy';
}

/**
 * `<jibri-status><busy-status status/><health-status xmlns=…/health status/></jibri-status>`.
 *
 * @example
 * xml('presence', { to: `${jibriBreweryJid(domain)}/${id}` }, xml('x', { xmlns: NS_MUC }), buildJibriStatus({ busy: 'idle', health: 'healthy' }));
 */
export function buildJibriStatus(s: JibriInstanceStatus): Element {
  return xml('jibri-status', { xmlns: NS_JIBRI },
    xml('busy-status', { xmlns: NS_JIBRI, status: s.busy }),
    xml('health-status', { xmlns: NS_HEALTH, status: s.health }));
}

/**
 * The `<jibri-status/>` of a brewery presence; undefined when the presence has none. A missing or
 * unknown busy or health value reads as busy / unhealthy: such a recorder is never selected.
 */
export function parseJibriStatus(presence: Element): JibriInstanceStatus | undefined {
  const el = presence.getChild('jibri-status', NS_JIBRI);
  if (!el) return undefined;
  const busy = el.getChild('busy-status', NS_JIBRI)?.attrs.status;
  const health = el.getChild('health-status', NS_HEALTH)?.attrs.status;
  return { busy: busy === 'idle' ? 'idle' : 'busy', health: health === 'healthy' ? 'healthy' : 'unhealthy' };
}

/** The recording's state as the focus publishes it in its room presence (Jicofo's RecordingStatus). */
export interface RecordingStatus {
  status: JibriStatus;
  sessionId?: string;
  recordingMode?: JibriRecordingMode;
  /** The occupant JID who started (on) or stopped (off) it. */
  initiator?: string;
  failureReason?: JibriFailureReason;
}

/** `<jibri-recording-status xmlns=… status session_id recording_mode [failure_reason] [initiator]/>`. */
export function buildRecordingStatus(s: RecordingStatus): Element {
  return xml('jibri-recording-status', {
    xmlns: NS_JIBRI, status: s.status, failure_reason: s.failureReason, session_id: s.sessionId,
    recording_mode: s.recordingMode, initiator: s.initiator,
  });
}

/** The focus presence's recording status, as lib-jitsi-meet's getFocusRecordingUpdate reads it. */
export function parseRecordingStatus(presence: Element): RecordingStatus | undefined {
  const el = presence.getChild('jibri-recording-status', NS_JIBRI);
  if (!el) return undefined;
  const status = oneOf<JibriStatus>(el, 'status', STATUSES);
  if (!status) return undefined;
  const s: RecordingStatus = { status };
  const sessionId = attr(el, 'session_id');
  if (sessionId) s.sessionId = sessionId;
  const mode = oneOf<JibriRecordingMode>(el, 'recording_mode', MODES);
  if (mode) s.recordingMode = mode;
  const initiator = attr(el, 'initiator');
  if (initiator) s.initiator = initiator;
  const failure = oneOf<JibriFailureReason>(el, 'failure_reason', REASONS);
  if (failure) s.failureReason = failure;
  return s;
}

/** What a recorder's own room occupant announces (Jibri's browser does; lib-jitsi-meet's getHiddenDomainUpdate reads it). */
export interface RecorderOccupant {
  sessionId: string;
  mode: JibriRecordingMode;
  liveStreamViewUrl?: string;
}

/** `<session_id/>`, `<mode/>` and, for streams with a viewing URL, `<live-stream-view-url/>`: elements of the join presence. */
export function buildRecorderOccupant(r: RecorderOccupant): Element[] {
  return [
    xml('session_id', null, r.sessionId),
    xml('mode', null, r.mode),
    ...(r.liveStreamViewUrl ? [xml('live-stream-view-url', null, r.liveStreamViewUrl)] : []),
  ];
}

/** The recorder announcement of an occupant presence; undefined without a session id. */
export function parseRecorderOccupant(presence: Element): RecorderOccupant | undefined {
  const sessionId = presence.getChildText('session_id')?.trim();
  if (!sessionId || sessionId.length > 256) return undefined;
  const mode = presence.getChildText('mode')?.trim().toLowerCase() === 'stream' ? 'stream' : 'file';
  const url = presence.getChildText('live-stream-view-url')?.trim();
  return { sessionId, mode, ...(url && url.length <= 2048 ? { liveStreamViewUrl: url } : {}) };
}
