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
