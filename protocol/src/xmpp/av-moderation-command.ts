/**
 * A moderator's command to the AV moderation component (Prosody's mod_av_moderation, as
 * lib-jitsi-meet's AVModeration sends it): `<av_moderation mediaType="audio|video"/>` with
 * `enable="true|false"`, or `jidToWhitelist` / `jidToBlacklist` (an occupant JID). Parsed
 * strictly: anything else is bad-request.
 * @module
 */
import type { Element } from '../xml/element.ts';
import { tryParseJid, type Jid } from './jid.ts';
import { StanzaError } from './stanza-error.ts';

export type AvModerationMedia = 'audio' | 'video';
export type AvModerationCommand =
  | { media: AvModerationMedia; enable: boolean }
  | { media: AvModerationMedia; approve: Jid }
  | { media: AvModerationMedia; reject: Jid };

function bad(text: string): never {
  throw new StanzaError('bad-request', { text });
}

export function parseAvModerationCommand(el: Element): AvModerationCommand {
  const { mediaType, enable, jidToWhitelist, jidToBlacklist } = el.attrs as Record<string, string | undefined>;
  if (mediaType !== 'audio' && mediaType !== 'video') bad('mediaType must be audio or video');
  const given = [enable, jidToWhitelist, jidToBlacklist].filter((v) => v !== undefined).length;
  if (given !== 1) bad('expected one of enable, jidToWhitelist or jidToBlacklist');
  if (enable !== undefined) {
    if (enable !== 'true' && enable !== 'false') bad('enable must be true or false');
    return { media: mediaType, enable: enable === 'true' };
  }
  const target = tryParseJid(jidToWhitelist ?? jidToBlacklist);
  if (!target?.resource) bad('expected an occupant JID');
  return jidToWhitelist !== undefined ? { media: mediaType, approve: target } : { media: mediaType, reject: target };
}
