/**
 * How the recorder logs in to a room's XMPP WebSocket, and what its occupant says about itself.
 * `hidden` (production): stream to `recorder.<domain>` (Jitsi's `hiddenDomain`), SASL PLAIN
 * RECORDER_ID / RECORDER_SECRET; the focus treats that occupant as hidden. `anonymous`: a plain
 * guest (SASL ANONYMOUS on the main domain), for development against an edge without the hidden
 * domain; such a recorder is seen, and counted, like any participant.
 * @module
 */
import { buildRecorderOccupant, type Element } from '@edgemeet/protocol';
import type { RecorderConfig } from './recorder-config.ts';

export interface RoomLogin {
  /** The stream's `to` domain. */
  readonly domain: string;
  /** SASL PLAIN credentials; none: SASL ANONYMOUS. */
  readonly username?: string;
  readonly password?: string;
}

export function roomLogin(config: Pick<RecorderConfig, 'roomLogin' | 'domain' | 'recorderId' | 'secret'>): RoomLogin {
  return config.roomLogin === 'hidden'
    ? { domain: `recorder.${config.domain}`, username: config.recorderId, password: config.secret }
    : { domain: config.domain };
}

/**
 * The presence children Jibri's browser occupant carries (lib-jitsi-meet's JibriSession reads
 * `session_id` and `mode` from an occupant of the hidden domain).
 */
export function recorderOccupantExtensions(sessionId: string, mode: 'file' | 'stream', liveStreamViewUrl?: string): Element[] {
  return buildRecorderOccupant({ sessionId, mode, ...(liveStreamViewUrl ? { liveStreamViewUrl } : {}) });
}
