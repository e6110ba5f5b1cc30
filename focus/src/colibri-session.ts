/**
 * Colibri2 towards the conference's bridge (Jicofo's Colibri2Session): allocate an endpoint per
 * participant, update its transport and sources, force-mute, expire it, expire the conference.
 * Failures come back as {@link ColibriAllocationFailedError}, telling whether to drop the bridge.
 * @module
 */
import {
  AppError, CAP_SOURCE_NAMES, CAP_SSRC_REWRITING, NS_COLIBRI2, StanzaError, buildConferenceModify, parseColibri2Error, parseConferenceModified,
  type Colibri2ConferenceModified, type Colibri2Endpoint, type EndpointSources, type IceUdpTransport,
} from '@edgemeet/protocol';
import type { Allocation, ColibriListener, ColibriSessions } from './colibri-sessions.ts';
import { ColibriAllocationFailedError } from './errors.ts';
import type { BridgeDirectory } from './host.ts';
import { colibriMedia } from './jingle/offer-template.ts';
import { feedbackSourcesFrom, toColibriSources } from './sources.ts';
import type { ConferenceState, ParticipantState } from './state.ts';

export type { Allocation } from './colibri-sessions.ts';

/** Colibri2 error reasons after which the bridge is not used for this conference again. */
const BRIDGE_FAILURES = new Set(['graceful_shutdown', 'conference_not_found', 'conference_already_exists']);

export class ColibriSessionManager implements ColibriSessions {
  readonly #bridges: BridgeDirectory;
  readonly #mucDomain: string;
  readonly #listener: ColibriListener | undefined;

  constructor(bridges: BridgeDirectory, mucDomain: string, listener?: ColibriListener) {
    this.#bridges = bridges;
    this.#mucDomain = mucDomain;
    this.#listener = listener;
  }

  /** Runs a request whose failure of the bridge itself the listener hears of (allocations and updates). */
  async #watched<T>(bridgeId: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof ColibriAllocationFailedError && err.bridgeFailed) this.#listener?.bridgeFailed(bridgeId, err);
      throw err;
    }
  }

  async #send(conf: ConferenceState, bridgeId: string, endpoints: Colibri2Endpoint[], extra: { create?: boolean; expire?: boolean } = {}) {
    const payload = buildConferenceModify({
      meetingId: conf.meetingId, name: extra.create ? `${conf.room}@${this.#mucDomain}` : undefined,
      create: extra.create, expire: extra.expire, endpoints,
    });
    let reply;
    try {
      reply = await this.#bridges.request(bridgeId, payload, { expire: extra.expire });
    } catch (err) {
      throw new ColibriAllocationFailedError(true, `media node ${bridgeId} did not answer`, { cause: err });
    }
    if (reply.attrs.type === 'error') {
      const error = StanzaError.fromElement(reply);
      const colibri = reply.getChild('error') ? parseColibri2Error(reply.getChild('error')!) : undefined;
      const reason = colibri?.reason ?? error.condition;
      throw new ColibriAllocationFailedError(BRIDGE_FAILURES.has(reason) || error.condition === 'remote-server-timeout',
        `media node ${bridgeId} refused: ${reason}`, { cause: error });
    }
    const modified = reply.getChild('conference-modified', NS_COLIBRI2);
    if (!modified) throw new ColibriAllocationFailedError(true, `media node ${bridgeId} sent no conference-modified`);
    try {
      return parseConferenceModified(modified);
    } catch (err) {
      throw new ColibriAllocationFailedError(true, `media node ${bridgeId} sent a malformed answer`, { cause: err });
    }
  }

  /** Creates the participant's endpoint (and the conference, the first time) on `conf.bridgeId`. */
  async allocate(conf: ConferenceState, p: ParticipantState): Promise<Allocation> {
    const bridgeId = conf.bridgeId;
    if (!bridgeId) throw new AppError('internal', 'allocate without a bridge');
    const create = !conf.bridgeConference;
    const answer: Colibri2ConferenceModified = await this.#watched(bridgeId, () => this.#send(conf, bridgeId, [{
      id: p.endpointId, create: true, statsId: p.statsId ?? undefined, medias: colibriMedia(),
      transport: { iceControlling: true }, sources: [], capabilities: p.ssrcRewriting ? [CAP_SOURCE_NAMES, CAP_SSRC_REWRITING] : [CAP_SOURCE_NAMES],
    }], { create }));
    const ep = answer.endpoints.find((e) => e.id === p.endpointId);
    if (!ep?.transport) {
      const err = new ColibriAllocationFailedError(true, `media node ${bridgeId} returned no transport`);
      this.#listener?.bridgeFailed(bridgeId, err);
      throw err;
    }
    return { transport: ep.transport, feedbackSources: answer.sources ? feedbackSourcesFrom(answer.sources) : null };
  }

  /** Sends the participant's transport and/or its full source set (replacing the previous one). */
  async update(conf: ConferenceState, p: ParticipantState, change: { transport?: IceUdpTransport; sources?: EndpointSources }): Promise<void> {
    const bridgeId = p.bridgeId;
    if (!bridgeId) return;
    await this.#watched(bridgeId, () => this.#send(conf, bridgeId, [{
      id: p.endpointId, capabilities: [], statsId: p.statsId ?? undefined,
      transport: change.transport ? { ice: change.transport } : undefined,
      sources: change.sources ? toColibriSources(p.endpointId, change.sources) : undefined,
    }]));
  }

  async forceMute(conf: ConferenceState, p: ParticipantState, mute: { audio?: boolean; video?: boolean }): Promise<void> {
    if (!p.bridgeId) return;
    await this.#send(conf, p.bridgeId, [{ id: p.endpointId, capabilities: [], forceMute: mute }]);
  }

  async expire(conf: ConferenceState, p: ParticipantState): Promise<void> {
    if (!p.bridgeId) return;
    await this.#send(conf, p.bridgeId, [{ id: p.endpointId, expire: true, capabilities: [] }]);
  }

  async expireConference(conf: ConferenceState, bridgeId: string): Promise<void> {
    await this.#send(conf, bridgeId, [], { expire: true });
  }
}
