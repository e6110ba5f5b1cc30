/**
 * @edgemeet/protocol: the runtime-agnostic XMPP core shared by the edge, the focus and the
 * media nodes. Explicit named exports only.
 * @module
 */
export { Element, xml, serialize } from './xml/element.ts';
export type { XmlAttrs, XmlChild } from './xml/element.ts';
export { parseXml, getNamespace, XmlParseError, MAX_XML_DEPTH } from './xml/parse.ts';
export type { ParseXmlOptions, XmlParseErrorCondition } from './xml/parse.ts';
export {
  NS_CLIENT,
  NS_FRAMING,
  NS_STREAMS,
  NS_STREAM_ERRORS,
  NS_STANZAS,
  NS_SASL,
  NS_BIND,
  NS_SESSION,
  NS_SM,
  NS_PING,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_DATA_FORMS,
  NS_CAPS,
  NS_NICK,
  NS_EXTDISCO,
  NS_DELAY,
  NS_MUC,
  NS_MUC_USER,
  NS_MUC_ADMIN,
  NS_MUC_OWNER,
  NS_MUC_ROOMCONFIG,
  NS_MUC_ROOMINFO,
  NS_MUC_STABLE_ID,
  NS_FOCUS,
  NS_JITMEET,
  NS_JITMEET_AUDIO,
  NS_JITMEET_VIDEO,
  NS_JITMEET_DESKTOP,
  NS_JITMEET_START_MUTED,
  NS_COLIBRI2,
  NS_COLIBRI,
  NS_HEALTHCHECK,
  NS_JINGLE,
  NS_JINGLE_ERRORS,
  NS_JINGLE_RTP,
  NS_JINGLE_RTCP_FB,
  NS_JINGLE_RTP_HDREXT,
  NS_JINGLE_SSMA,
  NS_JINGLE_ICE_UDP,
  NS_JINGLE_DTLS,
  NS_JINGLE_SCTP,
  NS_JINGLE_GROUPING,
  NS_XML,
  NS_JIBRI,
  NS_HEALTH,
} from './xml/namespaces.ts';

export type { Logger, LogFields } from './log.ts';
export { FOCUS_NICK, REGION_PATTERN, authDomain, breweryJid, focusDomain, focusJid, hiddenDomain, isRegion, jibriBreweryJid } from './deployment.ts';
export { AppError, InvalidStateError, ERROR_TABLE } from './errors.ts';
export type { ErrorCode, ErrorMapping } from './errors.ts';
export { DEFAULT_JSON_LIMITS, JsonLimitError, checkJsonLimits, parseBoundedJson } from './json/bounded-json.ts';
export type { JsonLimits } from './json/bounded-json.ts';

export { Jid, JidError, parseJid, tryParseJid, jid, bareJid, resourceOf, escapeLocal, unescapeLocal } from './xmpp/jid.ts';
export { StanzaError, StreamError, errorReply } from './xmpp/stanza-error.ts';
export type {
  StanzaErrorType,
  StanzaErrorCondition,
  StanzaErrorOptions,
  StreamErrorCondition,
} from './xmpp/stanza-error.ts';
export { IqRouter, resultReply } from './xmpp/iq-router.ts';
export { JSON_MESSAGE_LIMITS, buildJsonMessage, checkJsonMessages, parseJsonMessage } from './xmpp/json-message.ts';
export { parseAvModerationCommand } from './xmpp/av-moderation-command.ts';
export type { AvModerationCommand, AvModerationMedia } from './xmpp/av-moderation-command.ts';
export {
  END_CONFERENCE_REASON, ROOM_METADATA_BLOCKED_KEYS, ROOM_METADATA_LIMITS, buildComponentMessage, buildConferenceDurationMessage, buildRoomMetadataCommand,
  buildRoomMetadataMessage, buildSpeakerStatsMessage, isEndConferenceCommand, parseRoomMetadataUpdate, readRoomMetadataCommand,
  readSpeakerStatsReport, readStartMutedPolicy, refused,
} from './xmpp/room-features.ts';
export type { RoomMetadataCommand, SpeakerStatsEntry, SpeakerStatsReport } from './xmpp/room-features.ts';
export { FEATURE_SSRC_REWRITING, buildDiscoInfoGet, parseDiscoFeatures } from './xmpp/disco-features.ts';
export {
  POLLS_LIMITS, applyPollAnswer, buildAnswerPollMessage, buildNewPollMessage, buildOldPollsMessage, buildPollCommand, readPollsEvents, readPollsMessage,
} from './xmpp/polls.ts';
export type { AnswerPollCommand, NewPollCommand, Poll, PollCommand, PollVoter, PollsEvent, PollsMessage } from './xmpp/polls.ts';
export type { IqHandler, IqRouterOptions } from './xmpp/iq-router.ts';
export { IqCaller } from './xmpp/iq-caller.ts';
export type { IqCallerOptions } from './xmpp/iq-caller.ts';

export { buildBridgeStats, parseBridgeStats, emptyBridgeStats } from './brewery/bridge-stats.ts';
export type { BridgeCandidate, BridgeStats } from './brewery/bridge-stats.ts';

export { parseJingle, buildJingle } from './jingle/jingle.ts';
export { jingleToSdp, sdpToJingleContents } from './jingle/sdp.ts';
export { parseRtpDescription, buildRtpDescription } from './jingle/description.ts';
export { parseIceUdpTransport, buildIceUdpTransport } from './jingle/transport.ts';
export { FINGERPRINT_HASHES, DTLS_SETUPS, TRANSPORT_LIMITS } from './jingle/transport-values.ts';
export { HDREXT_ABS_SEND_TIME, HDREXT_AUDIO_LEVEL, HDREXT_AV1_DEPENDENCY_DESCRIPTOR, HDREXT_MID, HDREXT_TRANSPORT_CC } from './jingle/header-extensions.ts';
export type {
  MediaType, SsrcSource, SsrcGroup, PayloadParameter, RtcpFeedback, PayloadType, HeaderExtension, RtpDescription, Fingerprint,
  IceCandidate, IceUdpTransport, JingleContent, BridgeSession, JingleReason, JingleAction, Jingle,
} from './jingle/types.ts';
export { decodeJsonSources, encodeJsonSources, emptyEndpointSources, JSON_SOURCES_LIMITS } from './sources/json-sources.ts';
export { sourcesFromContents, validateEndpointSources } from './sources/endpoint-sources.ts';
export type { SourceLimits } from './sources/endpoint-sources.ts';
export type { EndpointSources, EndpointSourceMap } from './sources/types.ts';
export {
  parseConferenceModify, buildConferenceModify, parseConferenceModified, buildConferenceModified, buildColibri2Error, parseColibri2Error,
} from './colibri2/colibri2.ts';
export type {
  Colibri2Media, Colibri2MediaSource, Colibri2Endpoint, Colibri2ConferenceModify, Colibri2EndpointResult, Colibri2ConferenceModified,
  Colibri2ErrorReason,
} from './colibri2/types.ts';
export { CAP_SOURCE_NAMES, CAP_SSRC_REWRITING } from './colibri2/types.ts';
export { parseBridgeMessage, serializeBridgeMessage } from './bridge-channel/messages.ts';
export type { AudioSourceMapping, BridgeMessage, BridgeMessageClass, VideoConstraints, VideoSourceMapping } from './bridge-channel/messages.ts';

export {
  MUC_STATUS, buildMucItem, parseMucItem, buildMucUser, parseMucUser, buildMucPresence, parseMucPresence, buildMucLeave, mucExtensions,
  buildOccupantPresence, parseOccupantPresence,
} from './muc/presence.ts';
export type { MucAffiliation, MucRole, MucItem, MucUser, MucClientPresence, OccupantPresence } from './muc/presence.ts';
export { buildMucAdmin, parseMucAdmin, buildConfigChanged, buildRoomSubject } from './muc/admin.ts';
export {
  LOBBY_IDENTITY_TYPE, LOBBY_DISPLAY_NAME_REQUIRED_FEATURE, LOBBY_CLOSED_REASON, LOBBY_ROOMINFO_FIELD, buildLobbyRefusal,
  buildDisplayNameRequired, readLobbyRefusal, readMediatedInvites, buildMediatedInvite, buildLobbyApproval, buildLobbyNotify,
  presenceDisplayName,
} from './muc/lobby.ts';
export type { LobbyRefusal, MediatedInvite, LobbyNotice, LobbyNotifyEvent } from './muc/lobby.ts';
export {
  buildJitsiPresence, parseJitsiPresence, buildIdentity, buildConferenceProperties, parseConferenceProperties, buildBridgeNotAvailable, hasBridgeNotAvailable,
  DEFAULT_PERMISSIONS, buildPermissions, parsePermissions,
} from './jitsi/presence-extensions.ts';
export type { JitsiPresence, JitsiIdentity, SourceInfoEntry } from './jitsi/presence-extensions.ts';
export { buildConferenceRequest, parseConferenceRequest, buildConferenceAnswer, parseConferenceAnswer, startMutedThresholds } from './jitsi/conference-iq.ts';
export type { ConferenceRequest, ConferenceAnswer, StartMutedThresholds } from './jitsi/conference-iq.ts';
export { MUTE_NAMESPACES, buildMute, findMute, mutedMediaType } from './jitsi/mute.ts';
export type { Mute, MuteMedia } from './jitsi/mute.ts';
export { buildIq, buildIqError } from './xmpp/stanzas.ts';
export {
  JIBRI_ATTRIBUTE_MAX_CHARS, JibriFormatError, buildJibriIq, buildJibriStatus, buildRecorderOccupant, buildRecordingStatus, findJibri,
  isJibriAvailable, parseJibriIq, parseJibriStatus, parseRecorderOccupant, parseRecordingStatus,
} from './jitsi/jibri.ts';
export type {
  JibriAction, JibriFailureReason, JibriInstanceStatus, JibriIq, JibriRecordingMode, JibriStatus, RecorderOccupant, RecordingStatus,
} from './jitsi/jibri.ts';
