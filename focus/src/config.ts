/**
 * Focus settings, with Jicofo's defaults (jicofo reference.conf) where Jicofo has one.
 * @module
 */
import { FOCUS_NICK, focusDomain, focusJid, hiddenDomain } from '@edgemeet/protocol';

export interface FocusConfig {
  /** The XMPP domain (`hosts.domain`). */
  readonly domain: string;
  /** The focus component address (`focus.<domain>`). */
  readonly focusDomain: string;
  /** The focus user's bare JID, announced as `focusjid` (`focus@auth.<domain>`). */
  readonly focusJid: string;
  /** The focus's nickname in every room; lib-jitsi-meet requires `focus`. */
  readonly focusNick: string;
  /** Participants needed before anyone is invited to a bridge (Jicofo `min-participants`). */
  readonly minParticipants: number;
  readonly maxSsrcsPerMedia: number;
  readonly maxGroupsPerMedia: number;
  /** How long a participant may take to accept a session-initiate before it is re-invited. */
  readonly sessionAcceptTimeoutMs: number;
  /** Re-invitations after bridge failures, per participant, before giving up. */
  readonly maxReinvites: number;
  /** Region to prefer for new conferences when participants announce none. */
  readonly defaultRegion: string;
  /**
   * SSRC rewriting for participants whose disco#info lists `http://jitsi.org/ssrc-rewriting-1`
   * (Jicofo's `use-ssrc-rewriting`, on by default): the bridge, not the focus, tells them the sources.
   */
  readonly ssrcRewriting: boolean;
  /** How long to wait for a participant's disco#info answer before inviting it without its features. */
  readonly featuresTimeoutMs: number;
  /**
   * Occupants whose real JID is on this domain are hidden (recorders: Jitsi's `hiddenDomain`): never
   * moderators, not counted toward min-participants nor as the room's participants.
   */
  readonly hiddenDomain: string;
  /** How long a recording may stay pending before another recorder is tried (Jicofo `jibri.pending-timeout`, 90 s); 0: no limit. */
  readonly jibriPendingTimeoutMs: number;
  /** Retries on other recorders per recording session (Jicofo `jibri.num-retries`, 5); -1: no limit. */
  readonly jibriNumRetries: number;
  /** A recording on for this long is stopped; 0: no limit (Jibri's `usage-timeout`, by default none). */
  readonly recordingMaxDurationMs: number;
}

export function focusConfig(domain: string, overrides: Partial<FocusConfig> = {}): FocusConfig {
  return Object.freeze({
    domain,
    focusDomain: focusDomain(domain),
    focusJid: focusJid(domain),
    focusNick: FOCUS_NICK,
    minParticipants: 2,
    maxSsrcsPerMedia: 20,
    maxGroupsPerMedia: 20,
    sessionAcceptTimeoutMs: 15_000,
    maxReinvites: 3,
    defaultRegion: '',
    ssrcRewriting: true,
    featuresTimeoutMs: 3_000,
    hiddenDomain: hiddenDomain(domain),
    jibriPendingTimeoutMs: 90_000,
    jibriNumRetries: 5,
    recordingMaxDurationMs: 0,
    ...overrides,
  });
}
