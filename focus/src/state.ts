/**
 * The focus's durable state for one room, kept as one JSON document by the host so that a
 * hibernated or restarted room carries on (jitsi-wire-protocol §10.5: Jicofo loses this on restart).
 * @module
 */
import type { EndpointSourceMap, EndpointSources, JibriRecordingMode, RecordingStatus, StartMutedThresholds } from '@edgemeet/protocol';

export type JingleState = 'allocating' | 'initiated' | 'active';

export interface ParticipantState {
  /** Endpoint id = MUC nickname. */
  readonly endpointId: string;
  /** Real JID of the occupant. */
  readonly realJid: string;
  statsId: string | null;
  region: string;
  /** Bridge the participant is allocated on, if any. */
  bridgeId: string | null;
  /**
   * The current invitation and its session; `startMuted`: what its session-initiate tells the
   * participant to start muted (decided when it was invited, as Jicofo's ParticipantInviteRunnable).
   */
  jingle: { sid: string; state: JingleState; since: number; iqId: string | null; startMuted?: StartMuted } | null;
  /** Offered a session at least once: a later invitation is not its first (the start-muted policy applies to the first). */
  invited?: boolean;
  /** Sources the participant announced (session-accept / source-add), full (not simulcast-stripped). */
  sources: EndpointSources;
  /**
   * The others' sources as its current session was told them (offer, then source-add/remove);
   * null without a session. See source-signaling.ts.
   */
  signaled: EndpointSourceMap | null;
  /**
   * A session on a bridge that is going away but still forwards: it is terminated only when the
   * session on the new bridge is offered (make-before-break), so media stops for the shortest time.
   */
  moving: { sid: string; bridgeId: string } | null;
  audioMuted: boolean;
  videoMuted: boolean;
  /** Re-invitations after failures, to bound retries. */
  reinvites: number;
  /** The participant terminated its media session; it is not invited again on its own. */
  mediaDeclined: boolean;
  /** Has owner affiliation in the room (the focus keeps one owner, as Jicofo's AutoOwnerRoleManager). */
  isOwner: boolean;
  /** MUC role, for permission checks (mute requests need a moderator). */
  role: string;
  /**
   * Its features are being asked for (disco#info, as Jicofo does before inviting): not invited
   * until they are known or the question timed out (epoch ms when asked). Absent: known.
   */
  featuresAskedAt?: number;
  /** Media on the bridge's SSRCs, sources announced by the bridge (it listed `http://jitsi.org/ssrc-rewriting-1`). */
  ssrcRewriting?: boolean;
  /** Real JID on the hidden domain (a recorder): not counted as a participant, never made moderator. */
  hidden?: boolean;
}

/** Jicofo's JibriIq.Status of a session, UNDEFINED before the recorder first answered. */
export type JibriSessionStatus = 'undefined' | 'pending' | 'on' | 'off';

/** One recording or live-streaming session (Jicofo's JibriSession, at most one per conference: JibriRecorder). */
export interface JibriSessionState {
  readonly sessionId: string;
  readonly mode: JibriRecordingMode;
  readonly streamId: string | null;
  readonly youTubeBroadcastId: string | null;
  readonly appData: string | null;
  readonly displayName: string | null;
  /** Occupant JID of who asked to start it. */
  readonly initiator: string;
  /** Occupant JID of who stopped it; null when the focus did (room empty, time limit) or nobody yet. */
  terminator: string | null;
  status: JibriSessionStatus;
  /** The recorder serving it (Jicofo's currentJibriJid); null once cleaned up. */
  recorder: { id: string; jid: string } | null;
  /** Retries on other recorders so far. */
  retries: number;
  /** When the pending timeout fires, epoch ms; null when not pending. */
  pendingDeadline: number | null;
  /** When the recording first went on, epoch ms (the maximum duration counts from it). */
  onSince: number | null;
}

export interface ConferenceState {
  readonly room: string;
  /** Colibri2 meeting id (the room's `muc#roominfo_meetingId`). */
  readonly meetingId: string;
  readonly createdMs: number;
  /** The focus has joined the MUC. */
  joined: boolean;
  /** Bridge hosting the conference. */
  bridgeId: string | null;
  /** The conference exists on that bridge (first allocation sent create=true). */
  bridgeConference: boolean;
  /** The bridge's own sources (`jvb-a0`, `jvb-v0`), from the first allocation. */
  feedbackSources: EndpointSources | null;
  /** Bridges that failed for this conference, never selected again. */
  failedBridges: string[];
  participants: Record<string, ParticipantState>;
  /** The conference's recording session, if one is running (absent in state saved before recording existed). */
  jibri?: JibriSessionState | null;
  /** The `jibri-recording-status` the focus's presence carries (Jicofo keeps the last one in its presence). */
  recordingStatus?: RecordingStatus | null;
  /** The conference request's startAudioMuted/startVideoMuted (Jicofo's JitsiMeetConfig); absent in older states. */
  startMutedThresholds?: StartMutedThresholds;
}

/** The `<startmuted/>` of a session-initiate. */
export interface StartMuted {
  readonly audio: boolean;
  readonly video: boolean;
}

export function emptySources(): EndpointSources {
  return { audio: { sources: [], groups: [] }, video: { sources: [], groups: [] } };
}
