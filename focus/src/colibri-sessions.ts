/**
 * What the focus needs from the bridge side (Jicofo's ColibriSessionManager and its Listener): the
 * conference's endpoints on its bridge, and who is told when a bridge fails. The Colibri2
 * implementation is colibri-session.ts; tests may inject their own.
 * @module
 */
import type { EndpointSources, IceUdpTransport } from '@edgemeet/protocol';
import type { ConferenceState, ParticipantState } from './state.ts';

export interface Allocation {
  readonly transport: IceUdpTransport;
  readonly feedbackSources: EndpointSources | null;
}

export interface ColibriSessions {
  /** Creates the participant's endpoint (and the conference, the first time) on `conf.bridgeId`. */
  allocate(conf: ConferenceState, p: ParticipantState): Promise<Allocation>;
  /** Sends the participant's transport and/or its full source set (replacing the previous one). */
  update(conf: ConferenceState, p: ParticipantState, change: { transport?: IceUdpTransport; sources?: EndpointSources }): Promise<void>;
  forceMute(conf: ConferenceState, p: ParticipantState, mute: { audio?: boolean; video?: boolean }): Promise<void>;
  expire(conf: ConferenceState, p: ParticipantState): Promise<void>;
  expireConference(conf: ConferenceState, bridgeId: string): Promise<void>;
}

/** Told by the bridge side when a bridge failed the conference (an allocation or update it could not serve). */
export interface ColibriListener {
  bridgeFailed(bridgeId: string, err: Error): void;
}
