/**
 * Jitsi's mute IQs (jitsi-wire-protocol §3.4): `<mute xmlns="http://jitsi.org/jitmeet/<media>"
 * jid="room/target" [actor="room/moderator"]>true|false</mute>`. A moderator asks the focus to mute
 * someone (`jid`); the focus tells the target, naming the `actor`; a participant muted by the
 * focus asks with `false` to be let through again.
 * @module
 */
import { xml, type Element } from '../xml/element.ts';
import { NS_JITMEET_AUDIO, NS_JITMEET_DESKTOP, NS_JITMEET_VIDEO } from '../xml/namespaces.ts';

export type MuteMedia = 'audio' | 'video' | 'desktop';

export const MUTE_NAMESPACES: Readonly<Record<MuteMedia, string>> = Object.freeze({
  audio: NS_JITMEET_AUDIO, video: NS_JITMEET_VIDEO, desktop: NS_JITMEET_DESKTOP,
});

const MEDIA_BY_NS: ReadonlyMap<string, MuteMedia> = new Map(Object.entries(MUTE_NAMESPACES).map(([m, ns]) => [ns, m as MuteMedia]));

export interface Mute {
  media: MuteMedia;
  mute: boolean;
  /** The occupant JID to mute (requests to the focus). */
  jid?: string;
  /** The occupant JID of who muted (the focus's notice to the target). */
  actor?: string;
}

/**
 * @example
 * buildIq('set', `${room}/focus`, id, buildMute({ media: 'audio', mute: true, jid: `${room}/${target}` }));
 */
export function buildMute(m: Mute): Element {
  return xml('mute', { xmlns: MUTE_NAMESPACES[m.media], jid: m.jid, actor: m.actor }, String(m.mute));
}

/** The mute payload of an IQ, if it has one in one of the three namespaces. */
export function findMute(iq: Element): Mute | undefined {
  for (const child of iq.getChildElements()) {
    if (child.name !== 'mute') continue;
    const media = MEDIA_BY_NS.get(String(child.attrs.xmlns));
    if (!media) continue;
    const m: Mute = { media, mute: child.text().trim() === 'true' };
    if (typeof child.attrs.jid === 'string') m.jid = child.attrs.jid;
    if (typeof child.attrs.actor === 'string') m.actor = child.attrs.actor;
    return m;
  }
  return undefined;
}

/** The media a mute acts on: a desktop mute mutes the (screen-share) video. */
export function mutedMediaType(media: MuteMedia): 'audio' | 'video' {
  return media === 'audio' ? 'audio' : 'video';
}
