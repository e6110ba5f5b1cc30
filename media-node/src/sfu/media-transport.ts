/**
 * What the SFU needs of an endpoint's transport. The node's own is {@link EndpointTransport}
 * (ICE-lite, DTLS-SRTP on the shared UDP port); an in-process receiver such as a recorder would
 * supply another (connected at once, `sendRtp` handing plain packets to its depacketizer).
 * @module
 */
import type { LocalTransportParameters, TransportState } from '../transport/endpoint-transport.ts';

export interface MediaTransport {
  readonly state: TransportState;
  /** Keys are in place: RTCP can be sent (perhaps before the fingerprint is verified). */
  readonly keyed: boolean;
  /** When the packet being handed to onRtp/onRtcp/onEarlyRtp arrived (clock ms). */
  readonly arrivalMs: number;
  /** Decrypted RTP and RTCP from the peer; RTP noted before the peer is verified. Buffers are valid during the call only. */
  onRtp: (rtp: Buffer) => void;
  onRtcp: (rtcp: Buffer) => void;
  onEarlyRtp: (rtp: Buffer) => void;
  readonly onStateChange: { subscribe(listener: (state: TransportState) => void): unknown };
  localParameters(): LocalTransportParameters;
  setRemoteFingerprint(hash: string, value: string): void;
  setRemoteIce(ufrag: string, pwd: string): void;
  /** Sends a plain RTP packet (encrypting it if the transport does). */
  sendRtp(packet: Buffer): void;
  sendRtcp(packet: Buffer): void;
  close(): void;
}
