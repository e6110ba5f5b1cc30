/**
 * XML namespace constants used on the wire. Every package takes namespaces from here,
 * never as inline string literals.
 * @module
 */

/** RFC 6120 / 7395 stream-level namespaces. */
export const NS_CLIENT = 'jabber:client';
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';

/** XEP-0198 stream management. */
export const NS_SM = 'urn:xmpp:sm:3';
/** XEP-0199 ping. */
export const NS_PING = 'urn:xmpp:ping';
/** XEP-0030 service discovery. */
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
/** XEP-0004 data forms. */
export const NS_DATA_FORMS = 'jabber:x:data';
/** XEP-0115 entity capabilities. */
export const NS_CAPS = 'http://jabber.org/protocol/caps';
/** XEP-0172 user nickname. */
export const NS_NICK = 'http://jabber.org/protocol/nick';
/** XEP-0215 external service discovery (STUN/TURN). */
export const NS_EXTDISCO = 'urn:xmpp:extdisco:2';
/** XEP-0203 delayed delivery. */
export const NS_DELAY = 'urn:xmpp:delay';

/** XEP-0045 multi-user chat. */
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
export const NS_MUC_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
/** XEP-0045 §6.4 / XEP-0421: occupant ids stay stable (a disco#info feature). */
export const NS_MUC_STABLE_ID = 'http://jabber.org/protocol/muc#stable_id';

/** Jitsi extensions. */
export const NS_FOCUS = 'http://jitsi.org/protocol/focus';
export const NS_JITMEET = 'http://jitsi.org/jitmeet';
/** The mute IQs (jitsi-wire-protocol §3.4), one namespace per media; desktop mutes the screen share. */
export const NS_JITMEET_AUDIO = 'http://jitsi.org/jitmeet/audio';
export const NS_JITMEET_VIDEO = 'http://jitsi.org/jitmeet/video';
export const NS_JITMEET_DESKTOP = 'http://jitsi.org/jitmeet/desktop';
/** Jingle's start-muted policy element. */
export const NS_JITMEET_START_MUTED = 'http://jitsi.org/jitmeet/start-muted';
export const NS_COLIBRI2 = 'jitsi:colibri2';

/** The `xml:` prefix, bound by definition (Namespaces in XML 1.0 §3). */
export const NS_XML = 'http://www.w3.org/XML/1998/namespace';
/** Colibri (v1) namespace: bridge stats in brewery presence, the `web-socket` element. */
export const NS_COLIBRI = 'http://jitsi.org/protocol/colibri';
/** Jicofo ↔ bridge health checks. */
export const NS_HEALTHCHECK = 'http://jitsi.org/protocol/healthcheck';

/** XEP-0166 Jingle and its Jitsi-used extensions (jitsi-wire-protocol §4). */
export const NS_JINGLE = 'urn:xmpp:jingle:1';
export const NS_JINGLE_ERRORS = 'urn:xmpp:jingle:errors:1';
export const NS_JINGLE_RTP = 'urn:xmpp:jingle:apps:rtp:1';
export const NS_JINGLE_RTCP_FB = 'urn:xmpp:jingle:apps:rtp:rtcp-fb:0';
export const NS_JINGLE_RTP_HDREXT = 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0';
export const NS_JINGLE_SSMA = 'urn:xmpp:jingle:apps:rtp:ssma:0';
export const NS_JINGLE_ICE_UDP = 'urn:xmpp:jingle:transports:ice-udp:1';
export const NS_JINGLE_DTLS = 'urn:xmpp:jingle:apps:dtls:0';
export const NS_JINGLE_SCTP = 'urn:xmpp:jingle:transports:dtls-sctp:1';
export const NS_JINGLE_GROUPING = 'urn:xmpp:jingle:apps:grouping:0';
/** Jibri: the `jibri` IQ, brewery `jibri-status`, the focus's `jibri-recording-status` (jitsi-wire-protocol §7.2–7.3). */
export const NS_JIBRI = 'http://jitsi.org/protocol/jibri';
/** The `health-status` element of Jibri's brewery presence. */
export const NS_HEALTH = 'http://jitsi.org/protocol/health';
