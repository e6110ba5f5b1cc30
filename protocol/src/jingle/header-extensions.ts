/**
 * RTP header extensions (RFC 8285) by URI: those the focus offers and tells the bridge about, and
 * those the bridge reads. One place for the URIs, so the offer and the node cannot drift apart.
 * @module
 */

/** RFC 6464 client-to-mixer audio level. */
export const HDREXT_AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
/** RFC 8843 media identification (BUNDLE). */
export const HDREXT_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
/** Absolute send time (Chrome's receive-side estimate). */
export const HDREXT_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
/** Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01). */
export const HDREXT_TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** AV1 RTP specification, appendix A: which layer frame a packet carries, and the layers' structure. */
export const HDREXT_AV1_DEPENDENCY_DESCRIPTOR = 'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension';
