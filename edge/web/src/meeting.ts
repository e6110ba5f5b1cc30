/**
 * One participant's meeting, speaking Jitsi's protocol as lib-jitsi-meet does: the `conference` IQ
 * to the focus, the MUC join with presence (display name, mute state, video type), the Jingle
 * session with the media node (session-initiate → offer, session-accept from the answer,
 * source-add/remove), the bridge channel (colibri-ws), chat. The UI listens to {@link MeetingEvents}.
 * @module
 */
import {
  NS_FOCUS, NS_JINGLE, NS_MUC, NS_MUC_USER, NS_NICK, parseJingle, sdpToJingleContents, xml, buildJingle,
  type Element, type Jingle,
} from '@edgemeet/protocol';
import { RemoteOffer } from './remote-sdp.ts';
import { addSimulcast, type SimulcastLayers } from './simulcast.ts';
import { XmppConnection, XmppError } from './xmpp-connection.ts';

export interface ClientConfig {
  hosts: { domain: string; muc: string; focus: string };
  serviceUrl: string;
}

export interface Participant {
  id: string;
  name: string;
  role: string;
  audioMuted: boolean;
  videoMuted: boolean;
  videoType: string;
  handRaised: boolean;
  tracks: MediaStreamTrack[];
}

export interface MeetingEvents {
  participants(list: Participant[]): void;
  message(m: { from: string; name: string; text: string; self: boolean }): void;
  dominantSpeaker(id: string): void;
  status(text: string): void;
  error(code: string, text: string): void;
  left(): void;
}

const nickOf = (jid: string) => jid.slice(0, 8);
/** Above this many participants, only the most recent speakers' videos are received. */
const LAST_N = 25;

export class Meeting {
  readonly #config: ClientConfig;
  readonly #room: string;
  readonly #roomJid: string;
  readonly #events: MeetingEvents;
  #xmpp: XmppConnection | null = null;
  #pc: RTCPeerConnection | null = null;
  #offer: RemoteOffer | null = null;
  #sid = '';
  #channel: WebSocket | null = null;
  #chain: Promise<void> = Promise.resolve();
  readonly #simulcast: { layers?: SimulcastLayers } = {};
  readonly participants = new Map<string, Participant>();
  readonly local: { stream: MediaStream; name: string; audioMuted: boolean; videoMuted: boolean; videoType: string; handRaised: boolean };
  myId = '';
  isModerator = false;
  joinedAt = 0;
  #leaving = false;

  constructor(config: ClientConfig, room: string, local: Meeting['local'], events: MeetingEvents) {
    this.#config = config;
    this.#room = room.toLowerCase();
    this.#roomJid = `${this.#room}@${config.hosts.muc}`;
    this.local = local;
    this.#events = events;
  }

  get peerConnection(): RTCPeerConnection | null { return this.#pc; }

  async join(password?: string): Promise<void> {
    this.#leaving = false;
    const url = `${this.#config.serviceUrl}?room=${encodeURIComponent(this.#room)}`;
    this.#events.status('Connecting…');
    const xmpp = await XmppConnection.connect(url, this.#config.hosts.domain);
    this.#xmpp = xmpp;
    this.myId = nickOf(xmpp.jid);
    xmpp.onStanza = (el) => { this.#chain = this.#chain.then(() => this.#stanza(el)).catch((err: unknown) => console.error('stanza failed', err)); };
    xmpp.onClose = (reason) => { if (!this.#leaving) this.#events.error('connection-lost', `The connection was lost (${reason}).`); };
    // A network blip: the session is resumed (same participant, same room); media keeps its own path.
    xmpp.onResuming = (resuming) => this.#events.status(resuming ? 'Connection lost, reconnecting…' : '');
    await xmpp.iq(xml('iq', { type: 'set', to: this.#config.hosts.focus },
      xml('conference', { xmlns: NS_FOCUS, room: this.#roomJid, 'machine-uid': this.myId },
        xml('property', { name: 'startAudioMuted', value: '9' }))));
    this.#events.status('Joining…');
    xmpp.send(this.#presence(true, password));
  }

  #presence(join = false, password?: string): Element {
    const { local } = this;
    return xml('presence', { to: `${this.#roomJid}/${this.myId}` },
      join ? xml('x', { xmlns: NS_MUC }, password ? xml('password', null, password) : null) : null,
      xml('nick', { xmlns: NS_NICK }, local.name),
      xml('audiomuted', null, String(local.audioMuted)),
      xml('videomuted', null, String(local.videoMuted)),
      xml('videoType', null, local.videoType),
      local.handRaised ? xml('jitsi_participant_raisedHand', null, String(Date.now())) : null,
      xml('SourceInfo', null, JSON.stringify({
        [`${this.myId}-a0`]: { muted: local.audioMuted }, [`${this.myId}-v0`]: { muted: local.videoMuted, videoType: local.videoType },
      })));
  }

  #publish(): void {
    this.#xmpp?.send(this.#presence());
  }

  setAudioMuted(muted: boolean): void {
    this.local.audioMuted = muted;
    for (const t of this.local.stream.getAudioTracks()) t.enabled = !muted;
    this.#publish();
  }

  setVideoMuted(muted: boolean): void {
    this.local.videoMuted = muted;
    for (const t of this.local.stream.getVideoTracks()) t.enabled = !muted;
    this.#publish();
  }

  setHandRaised(raised: boolean): void {
    this.local.handRaised = raised;
    this.#publish();
  }

  /** Sends `track` instead of the current video (screen share and back); same SSRC, no renegotiation. */
  async replaceVideo(track: MediaStreamTrack, videoType: 'camera' | 'desktop'): Promise<void> {
    const sender = this.#pc?.getTransceivers().find((t) => t.mid === 'video')?.sender;
    await sender?.replaceTrack(track);
    for (const old of this.local.stream.getVideoTracks()) this.local.stream.removeTrack(old);
    this.local.stream.addTrack(track);
    this.local.videoType = videoType;
    this.#publish();
  }

  sendChat(text: string): void {
    this.#xmpp?.send(xml('message', { to: this.#roomJid, type: 'groupchat' }, xml('body', null, text), xml('nick', { xmlns: NS_NICK }, this.local.name)));
  }

  /** Moderator actions (XEP-0045 roles, Jitsi's mute IQ to the focus). */
  kick(id: string): Promise<Element> | undefined {
    return this.#xmpp?.iq(xml('iq', { type: 'set', to: this.#roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { nick: id, role: 'none' }))));
  }

  grantModerator(id: string): Promise<Element> | undefined {
    const p = this.#realJids.get(id);
    if (!p) return undefined;
    return this.#xmpp?.iq(xml('iq', { type: 'set', to: this.#roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { jid: p.split('/')[0], affiliation: 'owner' }))));
  }

  muteParticipant(id: string): Promise<Element> | undefined {
    return this.#xmpp?.iq(xml('iq', { type: 'set', to: `${this.#roomJid}/focus` }, xml('mute', { xmlns: 'http://jitsi.org/jitmeet/audio', jid: `${this.#roomJid}/${id}` }, 'true')));
  }

  /** Sets (or clears, with '') the room password (muc#owner form), as a moderator. */
  async setPassword(password: string): Promise<void> {
    await this.#xmpp?.iq(xml('iq', { type: 'set', to: this.#roomJid }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', null, 'http://jabber.org/protocol/muc#roomconfig')),
        xml('field', { var: 'muc#roomconfig_roomsecret' }, xml('value', null, password)),
        xml('field', { var: 'muc#roomconfig_passwordprotectedroom' }, xml('value', null, password ? '1' : '0'))))));
  }

  leave(): void {
    this.#leaving = true;
    this.#xmpp?.send(xml('presence', { to: `${this.#roomJid}/${this.myId}`, type: 'unavailable' }));
    this.#channel?.close();
    this.#pc?.close();
    this.#xmpp?.close();
    this.#pc = null;
    this.participants.clear();
    this.#events.left();
  }

  readonly #realJids = new Map<string, string>();

  async #stanza(el: Element): Promise<void> {
    const from = String(el.attrs.from ?? '');
    if (el.name === 'presence' && from.startsWith(`${this.#roomJid}/`)) return this.#roomPresence(el, from.slice(this.#roomJid.length + 1));
    if (el.name === 'message' && el.attrs.type === 'groupchat') {
      const body = el.getChildText('body');
      const id = from.slice(this.#roomJid.length + 1);
      if (body && id) this.#events.message({ from: id, name: el.getChildText('nick', NS_NICK) ?? this.participants.get(id)?.name ?? id, text: body, self: id === this.myId });
      return;
    }
    if (el.name === 'iq' && el.attrs.type === 'set') {
      const jingle = el.getChild('jingle', NS_JINGLE);
      try {
        if (jingle) await this.#jingle(parseJingle(jingle));
        else if (el.getChild('mute')) this.setAudioMuted(el.getChild('mute')!.text() === 'true' || this.local.audioMuted);
        else throw new XmppError('service-unavailable');
        this.#xmpp?.send(xml('iq', { type: 'result', to: from, id: el.attrs.id }));
      } catch (err) {
        console.error('iq failed', err);
        this.#xmpp?.send(xml('iq', { type: 'error', to: from, id: el.attrs.id },
          xml('error', { type: 'cancel' }, xml(err instanceof XmppError ? err.condition : 'internal-server-error', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
      }
    }
  }

  #roomPresence(el: Element, nick: string): void {
    const item = el.getChild('x', NS_MUC_USER)?.getChild('item');
    const statuses = el.getChild('x', NS_MUC_USER)?.getChildren('status').map((s) => String(s.attrs.code)) ?? [];
    if (el.attrs.type === 'error') {
      const condition = el.getChild('error')?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'error';
      this.#events.error(condition, {
        'not-authorized': 'This room is locked: enter its password.', forbidden: 'You are banned from this room.',
        'registration-required': 'This room is for members only.', 'service-unavailable': 'The room is full.',
        'not-allowed': 'You are not allowed in this room.', conflict: 'That name is taken here.',
      }[condition] ?? `Could not join (${condition}).`);
      return;
    }
    if (nick === this.myId) {
      if (el.attrs.type === 'unavailable') {
        if (statuses.includes('307')) this.#events.error('kicked', 'A moderator removed you from the meeting.');
        return;
      }
      if (!this.joinedAt) {
        this.joinedAt = performance.now();
        this.#events.status('');
      }
      this.isModerator = item?.attrs.role === 'moderator';
      this.#emit();
      return;
    }
    if (nick === 'focus') {
      if (el.getChild('conference-properties', NS_FOCUS)?.getChild('bridgeNotAvailable') ?? el.getChild('bridgeNotAvailable')) {
        this.#events.error('no-bridge', 'No media server is available right now; the meeting will connect when one is.');
      }
      return;
    }
    if (el.attrs.type === 'unavailable') {
      this.participants.delete(nick);
      this.#realJids.delete(nick);
      this.#offer?.removeOwner(nick);
      this.#emit();
      return;
    }
    const p = this.participants.get(nick) ?? { id: nick, name: nick, role: 'participant', audioMuted: false, videoMuted: false, videoType: 'camera', handRaised: false, tracks: [] };
    p.name = el.getChildText('nick', NS_NICK) ?? p.name;
    p.role = String(item?.attrs.role ?? p.role);
    p.audioMuted = el.getChildText('audiomuted') === 'true';
    p.videoMuted = el.getChildText('videomuted') === 'true';
    p.videoType = el.getChildText('videoType') ?? 'camera';
    p.handRaised = el.getChild('jitsi_participant_raisedHand') !== undefined;
    if (item?.attrs.jid) this.#realJids.set(nick, String(item.attrs.jid));
    this.participants.set(nick, p);
    this.#emit();
  }

  #emit(): void {
    this.#events.participants([...this.participants.values()]);
  }

  async #jingle(j: Jingle): Promise<void> {
    switch (j.action) {
      case 'session-initiate': return this.#sessionInitiate(j);
      case 'source-add':
      case 'source-remove': {
        if (!this.#offer || j.sid !== this.#sid) throw new XmppError('item-not-found');
        for (const c of j.contents) {
          const d = c.description;
          if (!d || (d.media !== 'audio' && d.media !== 'video')) continue;
          const byOwner = new Map<string, typeof d.sources>();
          for (const s of d.sources) if (s.owner && s.owner !== 'jvb') byOwner.set(s.owner, [...(byOwner.get(s.owner) ?? []), s]);
          for (const [owner, sources] of byOwner) {
            const ssrcs = new Set(sources.map((s) => s.ssrc));
            const groups = d.groups.filter((g) => g.ssrcs.every((x) => ssrcs.has(x)));
            if (j.action === 'source-add') this.#offer.add(owner, d.media, sources, groups);
            else this.#offer.remove(owner, d.media, [...ssrcs]);
          }
        }
        await this.#negotiate();
        return;
      }
      case 'session-terminate':
        this.#pc?.close();
        this.#pc = null;
        this.#offer = null;
        this.#channel?.close();
        return;
      case 'transport-info':
      case 'session-info':
        return;
      default:
        throw new XmppError('feature-not-implemented');
    }
  }

  async #sessionInitiate(j: Jingle): Promise<void> {
    this.#pc?.close();
    this.#sid = j.sid;
    const offer = new RemoteOffer(j.sid, j.contents);
    this.#offer = offer;
    for (const c of j.contents) {
      const d = c.description;
      if (!d || (d.media !== 'audio' && d.media !== 'video')) continue;
      const owners = new Set(d.sources.map((s) => s.owner).filter((o): o is string => !!o && o !== 'jvb'));
      for (const owner of owners) {
        const sources = d.sources.filter((s) => s.owner === owner);
        const ssrcs = new Set(sources.map((s) => s.ssrc));
        offer.add(owner, d.media, sources, d.groups.filter((g) => g.ssrcs.every((x) => ssrcs.has(x))));
      }
    }
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.#pc = pc;
    pc.addEventListener('track', (ev) => {
      const who = ev.transceiver.mid ? offer.ownerOf(ev.transceiver.mid) : undefined;
      if (!who) return;
      const p = this.participants.get(who.owner);
      if (!p) return;
      p.tracks = [...p.tracks.filter((t) => t.kind !== ev.track.kind), ev.track];
      this.#emit();
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp() });
    for (const t of pc.getTransceivers()) {
      const track = t.mid === 'audio' ? this.local.stream.getAudioTracks()[0] : t.mid === 'video' ? this.local.stream.getVideoTracks()[0] : undefined;
      if (track) {
        t.direction = 'sendonly';
        await t.sender.replaceTrack(track);
        t.sender.setStreams(this.local.stream);
      }
    }
    await pc.setLocalDescription(await this.#answer(pc));
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
      setTimeout(resolve, 2000);
    });
    const answer = sdpToJingleContents(pc.localDescription!.sdp, { creator: 'responder' });
    // Source names (`<endpoint>-a0`, `-v0`) as current clients send them; msid for older ones.
    const mine = answer.contents.filter((c) => c.name === 'audio' || c.name === 'video').map((c) => ({
      ...c, senders: 'both' as const,
      description: c.description && { ...c.description, sources: c.description.sources.map((s) => ({ ...s, name: `${this.myId}-${c.name === 'audio' ? 'a' : 'v'}0` })) },
    }));
    this.#xmpp?.send(xml('iq', { type: 'set', to: `${this.#roomJid}/focus`, id: `accept-${j.sid}` },
      buildJingle({ action: 'session-accept', sid: j.sid, responder: this.#xmpp.jid, contents: mine, groups: [{ semantics: 'BUNDLE', contents: ['audio', 'video'] }] })));
    const ws = j.contents.find((c) => c.transport?.webSocketUrls.length)?.transport?.webSocketUrls[0];
    if (ws) this.#openChannel(ws);
  }

  async #negotiate(): Promise<void> {
    const pc = this.#pc;
    if (!pc || !this.#offer) return;
    await pc.setRemoteDescription({ type: 'offer', sdp: this.#offer.sdp() });
    await pc.setLocalDescription(await this.#answer(pc));
  }

  /** The local answer, with the camera sent as simulcast (three layers on SIM-grouped SSRCs). */
  async #answer(pc: RTCPeerConnection): Promise<RTCSessionDescriptionInit> {
    const answer = await pc.createAnswer();
    return { type: 'answer', sdp: addSimulcast(answer.sdp ?? '', 'video', this.#simulcast) };
  }

  #openChannel(url: string): void {
    this.#channel?.close();
    const ws = new WebSocket(url);
    this.#channel = ws;
    ws.addEventListener('message', (ev) => {
      let m: { colibriClass?: string; dominantSpeakerEndpoint?: string };
      try {
        m = JSON.parse(String(ev.data)) as typeof m;
      } catch {
        return;
      }
      if (m.colibriClass === 'DominantSpeakerEndpointChangeEvent' && m.dominantSpeakerEndpoint) this.#events.dominantSpeaker(m.dominantSpeakerEndpoint);
    });
    ws.addEventListener('open', () => {
      this.#sentConstraints = '';
      this.setReceiverConstraints(this.#constraints.maxHeight, this.#constraints.onStage);
    });
  }

  #constraints: { maxHeight: number; onStage?: string } = { maxHeight: 360 };
  #sentConstraints = '';

  /**
   * Tells the bridge what this page shows: tiles of `maxHeight`, the participant on stage large,
   * and, in large rooms, only the last-N most recent speakers' videos.
   */
  setReceiverConstraints(maxHeight: number, onStage?: string): void {
    this.#constraints = { maxHeight, onStage };
    const message = JSON.stringify({
      colibriClass: 'ReceiverVideoConstraints', lastN: this.participants.size > LAST_N ? LAST_N : -1, defaultConstraints: { maxHeight },
      constraints: onStage ? { [onStage]: { maxHeight: 720 } } : {},
    });
    if (this.#channel?.readyState !== WebSocket.OPEN || message === this.#sentConstraints) return;
    this.#sentConstraints = message;
    this.#channel.send(message);
  }

  /** Connection quality from the peer connection's statistics since the last call. */
  async quality(): Promise<'good' | 'fair' | 'poor' | 'unknown'> {
    const pc = this.#pc;
    if (!pc) return 'unknown';
    let lost = 0;
    let received = 0;
    let rtt = 0;
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
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
    if (pc.connectionState !== 'connected') return pc.connectionState === 'connecting' || pc.connectionState === 'new' ? 'unknown' : 'poor';
    return loss < 0.02 && rtt < 0.15 ? 'good' : loss < 0.08 && rtt < 0.4 ? 'fair' : 'poor';
  }

  #lastLoss = { lost: 0, received: 0 };
}


