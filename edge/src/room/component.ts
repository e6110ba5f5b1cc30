/**
 * What the room's Jitsi components (speaker stats, end conference, room metadata, conference
 * duration, polls) share: an address on the XMPP domain that the stanza router hands stanzas to, and
 * Prosody's answer to what a component has no handler for.
 * @module
 */
// Internal: not exported from the package entry.
import { StanzaError, type Element } from '@edgemeet/protocol';
import type { OccupantRow, SessionRow } from './store.ts';

export interface RoomComponent {
  /** `<name>.<domain>`, announced in the domain's disco#info. */
  readonly address: string;
  /** A stanza from a client session to the component's address. */
  handle(session: SessionRow, stanza: Element): Promise<void> | void;
}

/** Occupants components leave alone (the focus, as Prosody's modules skip admins). */
export type ServiceOccupant = (occ: OccupantRow) => boolean;

/**
 * The message a component acts on, or null for what it ignores: error messages, and IQ results and
 * errors. Requests (IQ get/set) and presence are for no Jitsi component: IQs are refused as
 * Prosody refuses unhandled ones (service-unavailable), presence is dropped.
 */
export function componentMessage(stanza: Element): Element | null {
  if (stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set')) throw new StanzaError('service-unavailable');
  if (stanza.name !== 'message' || stanza.attrs.type === 'error') return null;
  return stanza;
}

/** The room a component command names is this room (room JIDs compare case-insensitively). */
export function isRoom(named: string | undefined, roomJid: string): boolean {
  return named !== undefined && named.toLowerCase() === roomJid.toLowerCase();
}
