/**
 * Jitsi's extensions to MUC presence (jitsi-wire-protocol §3.1–3.2): what lib-jitsi-meet puts in
 * its presence (display name, mute state, video type, SourceInfo, stats id, region, codecs, raised
 * hand, features), the `<identity/>` Prosody adds for token users, and what the focus adds to its
 * own (conference-properties, bridgeNotAvailable). Built in the order our web app sends them;
 * parsing is lenient, as lib-jitsi-meet's is: a malformed value reads as absent.
 * @module
 */
import { parseBoundedJson, type JsonLimits } from '../json/bounded-json.ts';
import { xml, type Element } from '../xml/element.ts';
import { NS_CAPS, NS_FOCUS, NS_JITMEET, NS_NICK } from '../xml/namespaces.ts';

/** One source in `<SourceInfo/>`: source name (`<endpoint>-a0`, `-v0`) → state. */
export interface SourceInfoEntry { muted?: boolean; videoType?: string }

/** The token user Prosody's presence_identity vouches for (`context.user` of the JWT). */
export interface JitsiIdentity { id?: string; name?: string; email?: string; avatar?: string }

export interface JitsiPresence {
  /** XEP-0172 display name. */
  nick?: string;
  /** Legacy mute and video-type elements (read by lib-jitsi-meet only without SourceInfo). */
  audioMuted?: boolean;
  videoMuted?: boolean;
  videoType?: string;
  /** `jitsi_participant_raisedHand`: when the hand went up (epoch ms as text). */
  raisedHand?: string;
  sourceInfo?: Record<string, SourceInfoEntry>;
  /** Analytics pseudonym, passed on to the bridge as Colibri2 `stats-id`. */
  statsId?: string;
  /** `jitsi_participant_region`, for bridge selection. */
  region?: string;
  /** `jitsi_participant_codecList`, lower-case, preferred first. */
  codecList?: string[];
  /** XEP-0115 caps. */
  caps?: { hash: string; node: string; ver: string };
  /** `<features><feature var/></features>`. */
  features?: string[];
  identity?: JitsiIdentity;
}

/** SourceInfo is small; anything bigger is not a client's source list. */
const SOURCE_INFO_LIMITS: JsonLimits = Object.freeze({ maxChars: 16_384, maxDepth: 3, maxEntries: 200, maxTotalEntries: 600, maxStringChars: 256 });
const IDENTITY_FIELDS = ['id', 'name', 'email', 'avatar'] as const;

const text = (name: string, value: string | undefined) => (value !== undefined ? xml(name, null, value) : null);
const bool = (value: boolean | undefined) => (value === undefined ? undefined : String(value));

/** `<identity><user><id/><name/><email/><avatar/></user></identity>` for the fields present. */
export function buildIdentity(user: JitsiIdentity): Element {
  return xml('identity', null, xml('user', null, ...IDENTITY_FIELDS.map((k) => text(k, user[k]))));
}

/**
 * The extension elements for `p`, to put in a presence after the MUC part.
 *
 * @example
 * buildJitsiPresence({ nick: 'Alice', audioMuted: false, videoMuted: true, videoType: 'camera' });
 */
export function buildJitsiPresence(p: JitsiPresence): Element[] {
  const out = [
    p.nick !== undefined ? xml('nick', { xmlns: NS_NICK }, p.nick) : null,
    text('audiomuted', bool(p.audioMuted)),
    text('videomuted', bool(p.videoMuted)),
    text('videoType', p.videoType),
    text('jitsi_participant_raisedHand', p.raisedHand),
    p.sourceInfo !== undefined ? xml('SourceInfo', null, JSON.stringify(p.sourceInfo)) : null,
    text('stats-id', p.statsId),
    text('jitsi_participant_region', p.region),
    text('jitsi_participant_codecList', p.codecList?.join(',')),
    p.caps ? xml('c', { xmlns: NS_CAPS, hash: p.caps.hash, node: p.caps.node, ver: p.caps.ver }) : null,
    p.features ? xml('features', null, ...p.features.map((v) => xml('feature', { var: v }))) : null,
    p.identity ? buildIdentity(p.identity) : null,
  ];
  return out.filter((e): e is Element => e !== null);
}

function parseBool(value: string | null): boolean | undefined {
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

function parseSourceInfo(value: string): Record<string, SourceInfoEntry> | undefined {
  let parsed: unknown;
  try {
    parsed = parseBoundedJson(value, SOURCE_INFO_LIMITS);
  } catch {
    return undefined; // lib-jitsi-meet ignores a SourceInfo it cannot parse.
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const out: Record<string, SourceInfoEntry> = {};
  for (const [name, v] of Object.entries(parsed)) {
    if (typeof v !== 'object' || v === null) continue;
    const { muted, videoType } = v as Record<string, unknown>;
    const entry: SourceInfoEntry = {};
    if (typeof muted === 'boolean') entry.muted = muted;
    if (typeof videoType === 'string') entry.videoType = videoType;
    out[name] = entry;
  }
  return out;
}

/** Reads the Jitsi extensions among a presence's children. */
export function parseJitsiPresence(presence: Element): JitsiPresence {
  const p: JitsiPresence = {};
  const get = (name: string) => presence.getChildText(name);
  const nick = presence.getChildText('nick', NS_NICK);
  if (nick !== null) p.nick = nick;
  const audio = parseBool(get('audiomuted'));
  if (audio !== undefined) p.audioMuted = audio;
  const video = parseBool(get('videomuted'));
  if (video !== undefined) p.videoMuted = video;
  const strings = { videoType: 'videoType', raisedHand: 'jitsi_participant_raisedHand', statsId: 'stats-id', region: 'jitsi_participant_region' } as const;
  for (const [key, name] of Object.entries(strings) as Array<[keyof typeof strings, string]>) {
    const v = get(name);
    if (v !== null) p[key] = v;
  }
  const sourceInfo = get('SourceInfo');
  if (sourceInfo !== null) {
    const parsed = parseSourceInfo(sourceInfo);
    if (parsed) p.sourceInfo = parsed;
  }
  const codecs = get('jitsi_participant_codecList');
  if (codecs !== null) p.codecList = codecs.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const caps = presence.getChild('c', NS_CAPS);
  if (caps) p.caps = { hash: String(caps.attrs.hash ?? ''), node: String(caps.attrs.node ?? ''), ver: String(caps.attrs.ver ?? '') };
  const features = presence.getChild('features');
  if (features) p.features = features.getChildren('feature').map((f) => String(f.attrs.var ?? ''));
  const user = presence.getChild('identity')?.getChild('user');
  if (user) {
    const identity: JitsiIdentity = {};
    for (const k of IDENTITY_FIELDS) {
      const v = user.getChildText(k);
      if (v !== null) identity[k] = v;
    }
    p.identity = identity;
  }
  return p;
}

/**
 * `<conference-properties xmlns=focus>` of the focus's presence (jitsi-wire-protocol §3.2):
 * `<property key value/>` per entry.
 */
export function buildConferenceProperties(properties: Readonly<Record<string, string>>): Element {
  return xml('conference-properties', { xmlns: NS_FOCUS },
    ...Object.entries(properties).map(([key, value]) => xml('property', { key, value })));
}

export function parseConferenceProperties(presence: Element): Record<string, string> | undefined {
  const el = presence.getChild('conference-properties', NS_FOCUS);
  if (!el) return undefined;
  const out: Record<string, string> = {};
  for (const p of el.getChildren('property')) {
    if (typeof p.attrs.key === 'string') out[p.attrs.key] = String(p.attrs.value ?? '');
  }
  return out;
}

/**
 * What a moderator may use when the server decides (Prosody's mod_jitsi_permissions defaults,
 * `jitsi_default_permissions`): sent to a moderator whose token carries no `context.features`.
 */
export const DEFAULT_PERMISSIONS: Readonly<Record<string, boolean>> = Object.freeze({
  livestreaming: true, recording: true, transcription: true, 'outbound-call': true, 'create-polls': true,
  'send-groupchat': true, 'send-private-message': true, flip: true, 'live-translation': true, 'live-translation-subscribe': true,
});

/** `<permissions xmlns=jitmeet><p name val/>…</permissions>` in a participant's self-presence. */
export function buildPermissions(features: Readonly<Record<string, boolean>>): Element {
  return xml('permissions', { xmlns: NS_JITMEET }, ...Object.entries(features).map(([name, val]) => xml('p', { name, val: String(val) })));
}

/** The `<permissions/>` of a self-presence, if any. */
export function parsePermissions(presence: Element): Record<string, boolean> | undefined {
  const el = presence.getChild('permissions', NS_JITMEET);
  if (!el) return undefined;
  const out: Record<string, boolean> = {};
  for (const p of el.getChildren('p').slice(0, 64)) if (typeof p.attrs.name === 'string') out[p.attrs.name] = p.attrs.val === 'true';
  return out;
}

/** `<bridgeNotAvailable/>` in the focus presence makes lib-jitsi-meet report BRIDGE_DOWN. */
export function buildBridgeNotAvailable(): Element {
  return xml('bridgeNotAvailable', { xmlns: NS_FOCUS });
}

/** Whether a focus presence says no bridge is available (inside conference-properties, or on its own). */
export function hasBridgeNotAvailable(presence: Element): boolean {
  return (presence.getChild('conference-properties', NS_FOCUS)?.getChild('bridgeNotAvailable')
    ?? presence.getChild('bridgeNotAvailable')) !== undefined;
}
