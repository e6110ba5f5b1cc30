/**
 * The ICE-lite side of connectivity checks (RFC 8445 §2.5, RFC 5389): a lite agent only answers
 * binding requests. A request counts only when its USERNAME names one of our endpoints
 * (`localUfrag:remoteUfrag`) and its MESSAGE-INTEGRITY verifies with that endpoint's password;
 * anything else is dropped without an answer, so nothing is learnt by probing.
 * @module
 */
import { Message, classes, methods, parseMessage } from 'werift';

export interface BindingRequest {
  /** Our ufrag (the part of USERNAME before ':'). */
  readonly localUfrag: string;
  readonly remoteUfrag: string;
  readonly useCandidate: boolean;
  readonly transactionId: Buffer;
}

/** USERNAME of a binding request, without checking integrity (to find whose password to check it with). */
export function peekUsername(data: Buffer): string | undefined {
  const msg = parseMessage(data);
  if (!msg || msg.messageMethod !== methods.BINDING || msg.messageClass !== classes.REQUEST) return undefined;
  const username = msg.getAttributeValue('USERNAME') as unknown;
  return typeof username === 'string' ? username : undefined;
}

/** Parses and authenticates a binding request with the local password; undefined when it does not verify. */
export function verifyBindingRequest(data: Buffer, localPwd: string): BindingRequest | undefined {
  const msg = parseMessage(data, Buffer.from(localPwd, 'utf8'));
  if (!msg || msg.messageMethod !== methods.BINDING || msg.messageClass !== classes.REQUEST) return undefined;
  const username = msg.getAttributeValue('USERNAME') as unknown;
  if (typeof username !== 'string' || !username.includes(':')) return undefined;
  const [localUfrag = '', remoteUfrag = ''] = username.split(':');
  return { localUfrag, remoteUfrag, useCandidate: msg.getAttributeValue('USE-CANDIDATE') !== undefined, transactionId: msg.transactionId };
}

/** The success response: XOR-MAPPED-ADDRESS of the sender, signed with the local password. */
export function bindingSuccess(request: BindingRequest, address: string, port: number, localPwd: string): Buffer {
  const response = new Message(methods.BINDING, classes.RESPONSE, request.transactionId);
  response.setAttribute('XOR-MAPPED-ADDRESS', [address, port]);
  response.addMessageIntegrity(Buffer.from(localPwd, 'utf8'));
  response.addFingerprint();
  return response.bytes;
}

/**
 * Our own check towards the client, as the controlling agent (JVB is controlling too): USE-CANDIDATE
 * nominates the pair the client's check just proved, so a client that takes the controlled role
 * (it answered an offer that did not say ice-lite) completes ICE at once.
 */
export function nominationRequest(o: { localUfrag: string; remoteUfrag: string; remotePwd: string; tieBreaker: bigint }): Buffer {
  const request = new Message(methods.BINDING, classes.REQUEST);
  request.setAttribute('USERNAME', `${o.remoteUfrag}:${o.localUfrag}`);
  request.setAttribute('PRIORITY', 1853824767);
  request.setAttribute('ICE-CONTROLLING', o.tieBreaker);
  request.setAttribute('USE-CANDIDATE', null);
  request.addMessageIntegrity(Buffer.from(o.remotePwd, 'utf8'));
  request.addFingerprint();
  return request.bytes;
}
