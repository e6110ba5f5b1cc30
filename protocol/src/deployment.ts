/**
 * Addresses of a Jitsi deployment, derived from its XMPP domain as Jitsi's Prosody configuration
 * lays them out (jitsi-wire-protocol §2–3, §7.1), and the form of a region name. One place, so the
 * edge, the focus and the media nodes cannot disagree.
 * @module
 */

/** The focus's nickname in every room: lib-jitsi-meet recognises the focus by it. */
export const FOCUS_NICK = 'focus';

/**
 * The focus component's address (`focus.<domain>`), where clients send the `conference` IQ.
 *
 * @example
 * focusDomain('meet.jitsi'); // 'focus.meet.jitsi'
 */
export function focusDomain(domain: string): string {
  return `focus.${domain}`;
}

/**
 * The focus user's bare JID (`focus@auth.<domain>`): announced as `focusjid`, owner of every room.
 *
 * @example
 * focusJid('meet.jitsi'); // 'focus@auth.meet.jitsi'
 */
export function focusJid(domain: string): string {
  return `focus@${authDomain(domain)}`;
}

/**
 * The domain internal users log in to (`auth.<domain>`): the focus, and media nodes with their credential.
 *
 * @example
 * authDomain('meet.jitsi'); // 'auth.meet.jitsi'
 */
export function authDomain(domain: string): string {
  return `auth.${domain}`;
}

/**
 * The bridge brewery MUC media nodes join (`jvbbrewery@internal.auth.<domain>`, JVB's default).
 *
 * @example
 * breweryJid('meet.jitsi'); // 'jvbbrewery@internal.auth.meet.jitsi'
 */
export function breweryJid(domain: string): string {
  return `jvbbrewery@internal.${authDomain(domain)}`;
}

/**
 * The Jibri brewery MUC recorders join (`jibribrewery@internal.auth.<domain>`, Jicofo's `jicofo.jibri.brewery-jid`
 * in Jitsi's Debian and Docker set-ups).
 *
 * @example
 * jibriBreweryJid('meet.jitsi'); // 'jibribrewery@internal.auth.meet.jitsi'
 */
export function jibriBreweryJid(domain: string): string {
  return `jibribrewery@internal.${authDomain(domain)}`;
}

/**
 * The hidden domain recorders join rooms from (Jitsi's `hiddenDomain`, `recorder.<domain>`): clients
 * give occupants whose real JID is there no tile and count them as no participant.
 *
 * @example
 * hiddenDomain('meet.jitsi'); // 'recorder.meet.jitsi'
 */
export function hiddenDomain(domain: string): string {
  return `recorder.${domain}`;
}

/** A region name: lower-case letters, digits and dashes, at most 63 characters (a DNS label). */
export const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * @example
 * isRegion('eu-west-1'); // true
 * isRegion('EU West');   // false
 */
export function isRegion(s: string): boolean {
  return REGION_PATTERN.test(s);
}
