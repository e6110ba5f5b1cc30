/**
 * The media side of a meeting: one Jingle session with the media node. The session-initiate
 * becomes a remote offer (remote-sdp.ts), the local answer (camera as simulcast) becomes the
 * session-accept, source-add/remove renegotiate, and the bridge channel (colibri-ws) carries
 * receiver constraints and dominant-speaker events.
 * @module
 */
import { buildJingle, parseBridgeMessage, sdpToJingleContents, type BridgeMessage, type Element, type Jingle } from '@edgemeet/protocol';
import { RemoteOffer } from './remote-sdp.ts';
import { addSimulcast, type SimulcastLayers } from './simulcast.ts';

export interface MediaSessionOptions {
  readonly localStream: MediaStream;
  /** This participant's endpoint id (names its sources `<id>-a0`, `<id>-v0`). */
  readonly endpointId: string;
  /** This participant's full JID (the session-accept's responder). */
  readonly jid: string;
  /** TURN servers with their credentials (the edge's XEP-0215 answer, ice-servers.ts). */
  readonly iceServers: RTCIceServer[];
  /** Sends the session-accept's `<jingle/>` to the focus. */
  sendAccept(jingle: Element, sid: string): void;
  /** A remote participant's track arrived. */
  onTrack(owner: string, track: MediaStreamTrack): void;
  onDominantSpeaker(id: string): void;
  /** The receiver constraints message to send whenever the bridge channel (re)opens. */
  constraints(): string;
}

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

export class MediaSession {
  readonly sid: string;
  readonly pc: RTCPeerConnection;
  readonly #o: MediaSessionOptions;
  readonly #offer: RemoteOffer;
  readonly #simulcast: { layers?: SimulcastLayers } = {};
  #channel: WebSocket | null = null;
  #sentConstraints = '';
  #lastLoss = { lost: 0, received: 0 };
  /** Negotiations run one after another (a leave and a source-add can arrive together). */
  #negotiating: Promise<void> = Promise.resolve();

  private constructor(j: Jingle, o: MediaSessionOptions) {
    this.sid = j.sid;
    this.#o = o;
    this.#offer = new RemoteOffer(j.sid, j.contents);
    this.#offer.apply(j.contents, 'add');
    this.pc = new RTCPeerConnection({ iceServers: o.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.pc.addEventListener('track', (ev) => {
      const who = ev.transceiver.mid ? this.#offer.ownerOf(ev.transceiver.mid) : undefined;
      if (who) o.onTrack(who.owner, ev.track);
    });
  }

  /** Answers a session-initiate: applies the offer, sends the local media, accepts, opens the bridge channel. */
  static async accept(j: Jingle, o: MediaSessionOptions): Promise<MediaSession> {
    const session = new MediaSession(j, o);
    await session.#start(j);
    return session;
  }

  async #start(j: Jingle): Promise<void> {
    const { pc } = this;
    const stream = this.#o.localStream;
    await pc.setRemoteDescription({ type: 'offer', sdp: this.#offer.sdp() });
    for (const t of pc.getTransceivers()) {
      const track = t.mid === 'audio' ? stream.getAudioTracks()[0] : t.mid === 'video' ? stream.getVideoTracks()[0] : undefined;
      if (!track) continue;
      t.direction = 'sendonly';
      await t.sender.replaceTrack(track);
      t.sender.setStreams(stream);
    }
    await pc.setLocalDescription(await this.#answer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
      setTimeout(resolve, 2000);
    });
    const answer = sdpToJingleContents(pc.localDescription!.sdp, { creator: 'responder' });
    // Source names (`<endpoint>-a0`, `-v0`) as current clients send them; msid for older ones.
    const mine = answer.contents.filter((c) => c.name === 'audio' || c.name === 'video').map((c) => ({
      ...c, senders: 'both' as const,
      description: c.description && {
        ...c.description, sources: c.description.sources.map((s) => ({ ...s, name: `${this.#o.endpointId}-${c.name === 'audio' ? 'a' : 'v'}0` })),
      },
    }));
    this.#o.sendAccept(buildJingle({
      action: 'session-accept', sid: j.sid, responder: this.#o.jid, contents: mine, groups: [{ semantics: 'BUNDLE', contents: ['audio', 'video'] }],
    }), j.sid);
    const ws = j.contents.find((c) => c.transport?.webSocketUrls.length)?.transport?.webSocketUrls[0];
    if (ws) this.#openChannel(ws);
  }

  /** source-add / source-remove from the focus: the offer changes and is negotiated again. */
  async update(j: Jingle, action: 'add' | 'remove'): Promise<void> {
    this.#offer.apply(j.contents, action);
    await this.#negotiate();
  }

  /**
   * A participant left: its m-lines go inactive, negotiated now. The focus sends no source-remove
   * for a participant who left the room (as Jicofo): its presence is the signal.
   */
  removeOwner(owner: string): Promise<void> {
    this.#offer.removeOwner(owner);
    return this.#negotiate();
  }

  #negotiate(): Promise<void> {
    const run = async () => {
      if (this.pc.signalingState === 'closed') return;
      await this.pc.setRemoteDescription({ type: 'offer', sdp: this.#offer.sdp() });
      await this.pc.setLocalDescription(await this.#answer());
    };
    const next = this.#negotiating.then(run, run);
    this.#negotiating = next.catch(() => undefined);
    return next;
  }

  /** The local answer, with the camera sent as simulcast (SIM-grouped SSRCs). */
  async #answer(): Promise<RTCSessionDescriptionInit> {
    const answer = await this.pc.createAnswer();
    return { type: 'answer', sdp: addSimulcast(answer.sdp ?? '', 'video', this.#simulcast) };
  }

  #openChannel(url: string): void {
    const ws = new WebSocket(url);
    this.#channel = ws;
    ws.addEventListener('message', (ev) => {
      let m: BridgeMessage;
      try {
        m = parseBridgeMessage(String(ev.data));
      } catch {
        return; // not a message this page acts on (JVB sends classes we do not know)
      }
      if (m.colibriClass === 'DominantSpeakerEndpointChangeEvent' && m.dominantSpeakerEndpoint) this.#o.onDominantSpeaker(m.dominantSpeakerEndpoint);
    });
    ws.addEventListener('open', () => {
      this.#sentConstraints = '';
      this.sendConstraints();
    });
  }

  /** Sends the current receiver constraints on the bridge channel, if they changed. */
  sendConstraints(): void {
    const message = this.#o.constraints();
    if (this.#channel?.readyState !== WebSocket.OPEN || message === this.#sentConstraints) return;
    this.#sentConstraints = message;
    this.#channel.send(message);
  }

  /** Connection quality from the peer connection's statistics since the last call. */
  async quality(): Promise<Quality> {
    let lost = 0;
    let received = 0;
    let rtt = 0;
    (await this.pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp') {
        lost += Number(s.packetsLost ?? 0);
        received += Number(s.packetsReceived ?? 0);
      }
      if (s.type === 'candidate-pair' && s.nominated) rtt = Number(s.currentRoundTripTime ?? 0);
    });
    const dLost = lost - this.#lastLoss.lost;
    const dReceived = received - this.#lastLoss.received;
    this.#lastLoss = { lost, received };
    const loss = dLost + dReceived > 0 ? dLost / (dLost + dReceived) : 0;
    const state = this.pc.connectionState;
    if (state !== 'connected') return state === 'connecting' || state === 'new' ? 'unknown' : 'poor';
    return loss < 0.02 && rtt < 0.15 ? 'good' : loss < 0.08 && rtt < 0.4 ? 'fair' : 'poor';
  }

  /** Replaces the outgoing video (same SSRC, no renegotiation). */
  async replaceVideo(track: MediaStreamTrack): Promise<void> {
    await this.pc.getTransceivers().find((t) => t.mid === 'video')?.sender.replaceTrack(track);
  }

  close(): void {
    this.#channel?.close();
    this.pc.close();
  }
}
