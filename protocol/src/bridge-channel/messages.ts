/**
 * Bridge-channel (colibri-ws) messages between lib-jitsi-meet and the bridge
 * (jitsi-wire-protocol §6): JSON objects discriminated by `colibriClass`. Parsing is strict about
 * the fields the bridge uses and case-insensitive about the class name, as JVB is.
 * @module
 */
import { AppError } from '../errors.ts';
import { DEFAULT_JSON_LIMITS, parseBoundedJson, type JsonLimits } from '../json/bounded-json.ts';

export interface VideoConstraints { maxHeight: number; maxFrameRate?: number }

export type BridgeMessage =
  | { colibriClass: 'ServerHello'; version?: string }
  | { colibriClass: 'ClientHello' }
  | { colibriClass: 'EndpointMessage'; from?: string; to: string; msgPayload: unknown }
  | { colibriClass: 'EndpointStats'; from?: string; [stat: string]: unknown }
  | {
    colibriClass: 'ReceiverVideoConstraints'; lastN?: number; selectedSources?: string[]; onStageSources?: string[];
    /** Endpoint-based forms sent by lib-jitsi-meet before source names (2021-2022). */
    selectedEndpoints?: string[]; onStageEndpoints?: string[];
    /** Keyed by source name (current clients) or endpoint id (older clients). */
    defaultConstraints?: VideoConstraints; constraints?: Record<string, VideoConstraints>; assumedBandwidthBps?: number;
  }
  /** Legacy single maximum height for everything received (lib-jitsi-meet with the old allocation strategy). */
  | { colibriClass: 'ReceiverVideoConstraint'; maxFrameHeight: number }
  | { colibriClass: 'LastNChangedEvent'; lastN: number }
  /** Endpoint-based predecessor of ForwardedSources, still what lib-jitsi-meet before source names listens to. */
  | { colibriClass: 'LastNEndpointsChangeEvent'; lastNEndpoints: string[] }
  | { colibriClass: 'SourceVideoTypeMessage'; sourceName: string; videoType: string; endpointId?: string }
  | { colibriClass: 'ReceiverAudioSubscription'; all?: boolean; include?: string[]; exclude?: string[] }
  | { colibriClass: 'DominantSpeakerEndpointChangeEvent'; dominantSpeakerEndpoint: string; previousSpeakers: string[]; silence: boolean }
  | { colibriClass: 'EndpointConnectivityStatusChangeEvent'; endpoint: string; active: 'true' | 'false' }
  | { colibriClass: 'ForwardedSources'; forwardedSources: string[] }
  | { colibriClass: 'SenderSourceConstraints'; sourceName: string; maxHeight: number }
  /** Endpoint-based predecessor of SenderSourceConstraints (lib-jitsi-meet before source names). */
  | { colibriClass: 'SenderVideoConstraints'; videoConstraints: { idealHeight: number } }
  | { colibriClass: 'ConnectionStats'; estimatedDownlinkBandwidth: number }
  | { colibriClass: 'AudioSourcesMap'; mappedSources: AudioSourceMapping[] }
  | { colibriClass: 'VideoSourcesMap'; mappedSources: VideoSourceMapping[] };

/**
 * With SSRC rewriting (Colibri2 capability `ssrc-rewriting`, client feature
 * `http://jitsi.org/ssrc-rewriting-1`) the bridge sends a receiver everyone's media on a few SSRCs
 * of its own and says which source each carries now (JVB's AudioSourcesMap / VideoSourcesMap).
 */
export interface AudioSourceMapping { source: string; owner: string; ssrc: number }
export interface VideoSourceMapping { source: string; owner: string; ssrc: number; rtx: number; videoType: 'CAMERA' | 'DESKTOP' }

export type BridgeMessageClass = BridgeMessage['colibriClass'];

const CLASSES: readonly BridgeMessageClass[] = [
  'ServerHello', 'ClientHello', 'EndpointMessage', 'EndpointStats', 'ReceiverVideoConstraints', 'ReceiverVideoConstraint',
  'LastNChangedEvent', 'LastNEndpointsChangeEvent',
  'SourceVideoTypeMessage', 'ReceiverAudioSubscription', 'DominantSpeakerEndpointChangeEvent',
  'EndpointConnectivityStatusChangeEvent', 'ForwardedSources', 'SenderSourceConstraints', 'SenderVideoConstraints', 'ConnectionStats',
  'AudioSourcesMap', 'VideoSourcesMap',
];
const BY_LOWER = new Map(CLASSES.map((c) => [c.toLowerCase(), c]));

function bad(message: string): never {
  throw new AppError('bad-request', `bridge message: ${message}`);
}

function optNumber(o: Record<string, unknown>, key: string): void {
  if (o[key] !== undefined && (typeof o[key] !== 'number' || !Number.isFinite(o[key]))) bad(`${key} must be a number`);
}

function optStrings(o: Record<string, unknown>, key: string): void {
  const v = o[key];
  if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) bad(`${key} must be a list of strings`);
}

function constraints(v: unknown, key: string): void {
  if (v === undefined) return;
  if (typeof v !== 'object' || v === null || typeof (v as { maxHeight?: unknown }).maxHeight !== 'number') bad(`${key} needs maxHeight`);
}

/**
 * Parses one bridge-channel text message; throws `AppError('bad-request')` on anything malformed
 * or over `limits` (checked before parsing: a relayed message is serialized again, and a deeply
 * nested one would overflow the stack there).
 */
export function parseBridgeMessage(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): BridgeMessage {
  let value: unknown;
  try {
    value = parseBoundedJson(text, limits);
  } catch (err) {
    bad(err instanceof Error ? err.message : 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not an object');
  const o = value as Record<string, unknown>;
  const cls = typeof o.colibriClass === 'string' ? BY_LOWER.get(o.colibriClass.toLowerCase()) : undefined;
  if (!cls) bad(`unknown colibriClass ${JSON.stringify(o.colibriClass)}`);
  o.colibriClass = cls;
  switch (cls) {
    case 'EndpointMessage':
      if (typeof o.to !== 'string') bad('EndpointMessage needs to');
      if (o.msgPayload === undefined) bad('EndpointMessage needs msgPayload');
      break;
    case 'ReceiverVideoConstraints':
      optNumber(o, 'lastN');
      optNumber(o, 'assumedBandwidthBps');
      optStrings(o, 'selectedSources');
      optStrings(o, 'onStageSources');
      optStrings(o, 'selectedEndpoints');
      optStrings(o, 'onStageEndpoints');
      constraints(o.defaultConstraints, 'defaultConstraints');
      if (o.constraints !== undefined) {
        if (typeof o.constraints !== 'object' || o.constraints === null) bad('constraints must be an object');
        for (const [k, v] of Object.entries(o.constraints)) constraints(v, `constraints.${k}`);
      }
      break;
    case 'ReceiverVideoConstraint':
      if (typeof o.maxFrameHeight !== 'number' || !Number.isFinite(o.maxFrameHeight)) bad('ReceiverVideoConstraint needs maxFrameHeight');
      break;
    case 'LastNChangedEvent':
      if (typeof o.lastN !== 'number') bad('LastNChangedEvent needs lastN');
      break;
    case 'SourceVideoTypeMessage':
      if (typeof o.sourceName !== 'string' || typeof o.videoType !== 'string') bad('SourceVideoTypeMessage needs sourceName and videoType');
      break;
    case 'AudioSourcesMap':
    case 'VideoSourcesMap':
      if (!Array.isArray(o.mappedSources) || o.mappedSources.some((m) => typeof m !== 'object' || m === null || typeof (m as { ssrc?: unknown }).ssrc !== 'number')) {
        bad(`${cls} needs mappedSources with an ssrc each`);
      }
      break;
    case 'ReceiverAudioSubscription':
      optStrings(o, 'include');
      optStrings(o, 'exclude');
      break;
    default:
      break;
  }
  return o as BridgeMessage;
}

export function serializeBridgeMessage(m: BridgeMessage): string {
  return JSON.stringify(m);
}
