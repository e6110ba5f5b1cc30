/**
 * The recorder's media endpoint: werift's RTCPeerConnection answering the focus's Jingle offer
 * (protocol/'s jingleToSdp / sdpToJingleContents), receive-only, over ICE + DTLS-SRTP like any
 * endpoint; the bridge channel (colibri-ws) on which it asks for every source at the best layer.
 * RTP and RTCP are taken where SRTP is decrypted (werift routes one SSRC per m-line; a
 * conference's m-line carries everyone's), and feedback (NACK, PLI) goes back the same way.
 * @module
 */
import {
  jingleToSdp, serializeBridgeMessage, sdpToJingleContents, type Jingle, type JingleContent, type PayloadType,
} from '@edgemeet/protocol';
import { GenericNack, PictureLossIndication, RTCPeerConnection, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, type RtcpPacket, type RtpPacket } from 'werift';
import WebSocket from 'ws';
import type { Logger } from '../log.ts';

/** The best layer there is: the bridge caps it at what the sender has. */
const BEST_HEIGHT = 2160;
/** Our own SSRC as the sender of RTCP feedback (we send no media). */
const FEEDBACK_SSRC = 1;

export interface MediaReceiverOptions {
  /** Restrict ICE to this local address (loopback in tests); undefined: every interface. */
  readonly iceHost: string | undefined;
  readonly log: Logger;
  readonly onRtp: (p: RtpPacket) => void;
  readonly onRtcp: (p: RtcpPacket) => void;
  readonly onConnectionState: (state: string) => void;
}

export class MediaReceiver {
  readonly #o: MediaReceiverOptions;
  #pc: RTCPeerConnection | null = null;
  #channel: WebSocket | null = null;
  #channelUrl: string | null = null;
  #sourceNames: string[] = [];
  #closed = false;
  #reconnect: ReturnType<typeof setTimeout> | null = null;

  constructor(o: MediaReceiverOptions) {
    this.#o = o;
  }

  /** Answers a session-initiate: the contents (audio and video, no sources of ours) for session-accept. */
  async accept(j: Jingle): Promise<{ contents: JingleContent[]; groups: Array<{ semantics: string; contents: string[] }> }> {
    await this.#pc?.close();
    const host = this.#o.iceHost;
    const pc = new RTCPeerConnection({
      iceServers: [], bundlePolicy: 'max-bundle',
      ...(host ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: [host], iceInterfaceAddresses: { udp4: host } } : {}),
    });
    this.#pc = pc;
    pc.connectionStateChange.subscribe((s) => this.#o.onConnectionState(s));
    await pc.setRemoteDescription({ type: 'offer', sdp: jingleToSdp({ sid: j.sid, contents: j.contents, groups: j.groups }, { role: 'initiator', version: 2 }) });
    for (const t of pc.getTransceivers()) t.setDirection('recvonly');
    await pc.setLocalDescription(await pc.createAnswer());
    for (const dtls of pc.dtlsTransports) {
      dtls.onRtp.subscribe((rtp) => this.#o.onRtp(rtp));
      dtls.onRtcp.subscribe((rtcp) => this.#o.onRtcp(rtcp));
    }
    const local = sdpToJingleContents(pc.localDescription!.sdp, { creator: 'responder' });
    this.#openChannel(j.contents.find((c) => c.transport?.webSocketUrls.length)?.transport?.webSocketUrls[0] ?? null);
    return { contents: local.contents.filter((c) => c.description?.media === 'audio' || c.description?.media === 'video'), groups: local.groups };
  }

  /** Source names of everyone's video, as signalled: the constraints ask for each at the best layer. */
  setVideoSources(names: string[]): void {
    this.#sourceNames = names;
    this.#sendConstraints();
  }

  #openChannel(url: string | null): void {
    if (url === this.#channelUrl && this.#channel) return;
    this.#channel?.close();
    this.#channel = null;
    this.#channelUrl = url;
    if (!url || this.#closed) return;
    const ws = new WebSocket(url);
    this.#channel = ws;
    ws.on('open', () => this.#sendConstraints());
    ws.on('message', () => undefined);
    ws.on('error', (err) => this.#o.log.warn('recorder.channel_error', { message: err.message }));
    ws.on('close', () => {
      if (this.#channel !== ws || this.#closed) return;
      this.#channel = null;
      // The bridge restarted or dropped us: the constraints must reach it again.
      this.#reconnect = setTimeout(() => this.#openChannel(url), 2000);
      this.#channelUrl = null;
    });
  }

  #sendConstraints(): void {
    const ws = this.#channel;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(serializeBridgeMessage({
      colibriClass: 'ReceiverVideoConstraints', lastN: -1, onStageSources: this.#sourceNames,
      defaultConstraints: { maxHeight: BEST_HEIGHT }, constraints: Object.fromEntries(this.#sourceNames.map((n) => [n, { maxHeight: BEST_HEIGHT }])),
    }));
  }

  nack(mediaSsrc: number, seqs: number[]): void {
    this.#sendRtcp(new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: FEEDBACK_SSRC, mediaSourceSsrc: mediaSsrc, lost: seqs }) }));
  }

  pli(mediaSsrc: number): void {
    this.#sendRtcp(new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: FEEDBACK_SSRC, mediaSsrc }) }));
  }

  #sendRtcp(packet: RtcpPacket): void {
    const dtls = this.#pc?.dtlsTransports[0];
    if (!dtls) return;
    dtls.sendRtcp([packet]).catch((err: unknown) => this.#o.log.debug('recorder.rtcp_failed', { err }));
  }

  /** Payload types of the offer: id → codec (RTX ones map to what they repair). */
  static payloadTypes(j: Jingle): Map<number, PayloadType> {
    const m = new Map<number, PayloadType>();
    for (const c of j.contents) for (const pt of c.description?.payloadTypes ?? []) m.set(pt.id, pt);
    return m;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reconnect) clearTimeout(this.#reconnect);
    this.#channel?.close();
    this.#channel = null;
    const pc = this.#pc;
    this.#pc = null;
    await pc?.close();
  }
}
