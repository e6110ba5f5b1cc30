/**
 * Answers Colibri2 `conference-modify` requests from the focus (jitsi-wire-protocol §5), as JVB's
 * Colibri2ConferenceHandler does: create/expire conferences and endpoints, apply the remote ICE/DTLS
 * transport, take an endpoint's media descriptions (header-extension ids), replace its sources, force-mute. Errors carry the Colibri2 reason element.
 * The media work is behind {@link ConferenceDirectory}, which the SFU defines (sfu/conference-control.ts).
 * @module
 */
import {
  AppError, CAP_SSRC_REWRITING, FINGERPRINT_HASHES, StanzaError, buildColibri2Error, buildConferenceModified, parseConferenceModify,
  type Colibri2ConferenceModified, type Colibri2EndpointResult, type Colibri2ErrorReason, type Element,
} from '@edgemeet/protocol';
import type { ConferenceDirectory } from '../sfu/conference-control.ts';

function colibriError(condition: ConstructorParameters<typeof StanzaError>[0], reason: Colibri2ErrorReason, text: string, endpointId?: string): StanzaError {
  return new StanzaError(condition, { text, application: buildColibri2Error(reason, endpointId) });
}

/** Handles one `<conference-modify/>`; returns `<conference-modified/>` or throws a StanzaError. */
export function handleConferenceModify(directory: ConferenceDirectory, payload: Element): Element {
  let request;
  try {
    request = parseConferenceModify(payload);
  } catch (err) {
    if (err instanceof AppError) throw new StanzaError('bad-request', { text: err.message });
    throw err;
  }
  // Refused as a whole before anything changes: a transport the node cannot use.
  for (const ep of request.endpoints) {
    for (const fp of ep.transport?.ice?.fingerprints ?? []) {
      if (!Object.hasOwn(FINGERPRINT_HASHES, fp.hash)) throw colibriError('bad-request', 'unspecified', `unsupported fingerprint hash ${fp.hash}`, ep.id);
    }
  }
  let conference = directory.get(request.meetingId);
  const result: Colibri2ConferenceModified = { endpoints: [] };
  if (request.create) {
    if (conference) throw colibriError('conflict', 'conference_already_exists', `conference ${request.meetingId} exists`);
    if (directory.refusingNew) throw colibriError('service-unavailable', 'graceful_shutdown', 'this bridge takes no new conferences');
    conference = directory.create(request.meetingId, request.name);
    result.sources = conference.feedbackSources();
  } else if (!conference) {
    throw colibriError('item-not-found', 'conference_not_found', `no conference ${request.meetingId}`);
  }
  if (request.expire) {
    directory.expire(request.meetingId);
    return buildConferenceModified({ endpoints: [] });
  }
  for (const ep of request.endpoints) {
    if (ep.expire) {
      conference.expireEndpoint(ep.id);
      continue;
    }
    let endpoint = conference.endpoint(ep.id);
    const out: Colibri2EndpointResult = { id: ep.id };
    if (ep.create) {
      if (endpoint) throw colibriError('conflict', 'unspecified', `endpoint ${ep.id} exists`, ep.id);
      if (!ep.transport) throw colibriError('bad-request', 'unspecified', 'an endpoint is created with a transport', ep.id);
      endpoint = conference.createEndpoint(ep.id, { statsId: ep.statsId, ssrcRewriting: ep.capabilities.includes(CAP_SSRC_REWRITING) });
      out.transport = endpoint.localTransport();
    } else if (!endpoint) {
      throw colibriError('item-not-found', 'unknown_endpoint', `no endpoint ${ep.id}`, ep.id);
    }
    if (ep.medias !== undefined) endpoint.setMedia(ep.medias);
    if (ep.transport?.ice) endpoint.setRemoteTransport(ep.transport.ice);
    if (ep.sources !== undefined) endpoint.setSources(ep.sources);
    if (ep.forceMute) endpoint.forceMute(ep.forceMute.audio, ep.forceMute.video);
    if (out.transport) result.endpoints.push(out);
  }
  return buildConferenceModified(result);
}
