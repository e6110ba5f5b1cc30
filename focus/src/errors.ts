/**
 * Typed failures of the focus (Jicofo's bridge/colibri/Exceptions.kt).
 * @module
 */
import { AppError } from '@edgemeet/protocol';

/** No bridge could be selected for a conference. */
export class BridgeSelectionFailedError extends AppError {
  override name = 'BridgeSelectionFailedError';
  constructor(message = 'no media node is available') {
    super('service-unavailable', message);
  }
}

/** A Colibri2 request failed; `bridgeFailed` means the bridge itself is unusable for this conference. */
export class ColibriAllocationFailedError extends AppError {
  override name = 'ColibriAllocationFailedError';
  readonly bridgeFailed: boolean;
  constructor(bridgeFailed: boolean, message: string, options?: { cause?: unknown }) {
    super('service-unavailable', message, options);
    this.bridgeFailed = bridgeFailed;
  }
}

/** Why a recording session could not start on a recorder (Jicofo's JibriSession.StartException). */
export type JibriStartFailure = 'all-busy' | 'not-available' | 'internal' | 'unexpected-response' | 'one-busy';

const START_CODES: Readonly<Record<JibriStartFailure, 'resource-constraint' | 'service-unavailable' | 'internal'>> = {
  'all-busy': 'resource-constraint', 'not-available': 'service-unavailable', internal: 'internal', 'unexpected-response': 'internal', 'one-busy': 'internal',
};

const START_MESSAGES: Readonly<Record<JibriStartFailure, string>> = {
  'all-busy': 'all Jibris are busy', 'not-available': 'no Jibris available', internal: 'Internal server error',
  'unexpected-response': 'Unexpected response', 'one-busy': 'This Jibri instance was busy',
};

export class JibriStartError extends AppError {
  override name = 'JibriStartError';
  readonly failure: JibriStartFailure;
  constructor(failure: JibriStartFailure, options?: { cause?: unknown }) {
    super(START_CODES[failure], START_MESSAGES[failure], options);
    this.failure = failure;
  }
}
