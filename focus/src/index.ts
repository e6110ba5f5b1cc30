/**
 * @edgemeet/focus: Jicofo's conference logic as a runtime-agnostic library.
 * @module
 */
export { FocusComponent } from './focus-component.ts';
export type { ConferenceRequester, FocusComponentOptions } from './focus-component.ts';
export { focusConfig } from './config.ts';
export type { FocusConfig } from './config.ts';
export type { BridgeCandidate, BridgeDirectory, FocusHost, FocusLogger, FocusStore, RecorderDirectory, RecorderRef } from './host.ts';
export { SingleBridgeSelectionStrategy } from './bridge-selector.ts';
export type { BridgeSelectionStrategy, SelectionRequest } from './bridge-selector.ts';
export { BridgeSelectionFailedError, ColibriAllocationFailedError } from './errors.ts';
export { FAILURE_TIMEOUT_MS, SELECT_TIMEOUT_MS, jibriFailed, jibriPresence, selectJibri } from './jibri/jibri-detector.ts';
export type { JibriInstance } from './jibri/jibri-detector.ts';
