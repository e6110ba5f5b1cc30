/**
 * A conference participant built from third-party parts, the way lib-jitsi-meet behaves:
 * @xmpp/client for XMPP (conference IQ to the focus, MUC join, Jingle IQs) and werift's
 * RTCPeerConnection for media, with our Jingle ↔ SDP codec in between. It accepts the focus's
 * session-initiate, applies source-add/remove by renegotiating, sends RTP and counts what arrives.
 */
import {
  jingleToSdp, parseJingle, sdpToJingleContents, buildJingle, type Element, type JingleContent,
} from '@edgemeet/protocol';
import { MediaStreamTrack, PictureLossIndication, RTCPeerConnection, RtcpPayloadSpecificFeedback, RtpHeader, RtpPacket } from 'werift';
import { connectClient, xml, type TestClient } from './xmpp-client.ts';
import { stampSenderReportsRight } from './werift-sender-reports.ts';

const NS_JINGLE = 'urn:xmpp:jingle:1';
const loopbackOnly = {
  iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'],
  iceInterfaceAddresses: { udp4: '127.0.0.1' }, bundlePolicy: 'max-bundle' as const,
};

export interface Participant {
  readonly nick: string;
  readonly xmpp: TestClient;
  readonly pc: RTCPeerConnection;
  /** SSRC → RTP packets received. */
  readonly received: Map<number, number>;
  /** Our audio SSRC, once the session is accepted. */
  ssrc: number | null;
  /** Our video SSRC (werift announces one on the video m-line), once the session is accepted. */
  videoSsrc: number | null;
  /** The bridge channel (colibri-ws) URL of the current session's offer. */
  channelUrl: string | null;
  /** When each Picture Loss Indication for our video arrived (performance.now()). */
  readonly plis: number[];
  /** Sessions the focus offered (a re-invite after a bridge failure adds one). */
  readonly sessions: string[];
  /** Sessions this participant accepted (after the focus acknowledged the session-accept). */
  readonly accepted: string[];
  /** Sends `count` Opus-sized RTP packets, 20 ms apart; with `level` (0 loud … 127 silent) they carry RFC 6464 audio levels. */
  sendAudio(count: number, level?: number): Promise<void>;
  leave(): Promise<void>;
}

/**
 * `options.region` is announced as `jitsi_participant_region` in the join presence (bridge
 * selection); `options.media` replaces the audio track (and sends video): tracks fed by the caller.
 */
export async function joinConference(
  wsUrl: string, room: string, nick: string, mucDomain = 'conference.meet.jitsi',
  options: { region?: string; media?: { audio: MediaStreamTrack; video?: MediaStreamTrack; displayName?: string } } = {},
): Promise<Participant> {
  const roomJid = `${room}@${mucDomain}`;
  const xmpp = await connectClient(wsUrl, room);
  const ready = await xmpp.iq(xml('iq', { type: 'set', to: 'focus.meet.jitsi' }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room: roomJid })));
  if (ready.getChild('conference')?.attrs.ready !== 'true') throw new Error('focus not ready');
  let pc = new RTCPeerConnection(loopbackOnly);
  const received = new Map<number, number>();
  const track = options.media?.audio ?? new MediaStreamTrack({ kind: 'audio' });
  let contents: JingleContent[] = [];
  let groups: Array<{ semantics: string; contents: string[] }> = [];
  let sid = '';
  let version = 2;
  const p: Participant = {
    nick, xmpp, get pc() { return pc; }, received, ssrc: null, videoSsrc: null, channelUrl: null, plis: [], sessions: [], accepted: [],
    async sendAudio(count, level) {
      for (let seq = 1; seq <= count; seq++) {
        // Extension id 1 is the audio level in the focus's offer.
        const extensions = level === undefined ? [] : [{ id: 1, payload: Buffer.from([0x80 | level]) }];
        track.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 1, extension: extensions.length > 0, extensions }), Buffer.alloc(80, seq)));
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async leave() {
      await xmpp.send(xml('presence', { to: `${roomJid}/${nick}`, type: 'unavailable' }));
      await pc.close();
      await xmpp.stop();
    },
  };

  // Counted where SRTP is decrypted, before werift's per-transceiver routing (which expects one
  // SSRC per m-line, hence lib-jitsi-meet's "explode" step that this participant skips).
  const listened = new WeakSet<object>();
  const listen = (peer: RTCPeerConnection) => {
    for (const dtls of peer.dtlsTransports) {
      if (listened.has(dtls)) continue;
      listened.add(dtls);
      dtls.onRtp.subscribe((rtp) => received.set(rtp.header.ssrc, (received.get(rtp.header.ssrc) ?? 0) + 1));
      dtls.onRtcp.subscribe((rtcp) => {
        if (rtcp instanceof RtcpPayloadSpecificFeedback && rtcp.feedback instanceof PictureLossIndication && rtcp.feedback.mediaSsrc === p.videoSsrc) {
          p.plis.push(performance.now());
        }
      });
    }
  };

  async function negotiate(): Promise<void> {
    await pc.setRemoteDescription({ type: 'offer', sdp: jingleToSdp({ sid, contents, groups }, { role: 'initiator', version: version++ }) });
    for (const t of pc.getTransceivers()) {
      stampSenderReportsRight(t.sender);
      if (t.kind === 'audio') {
        t.setDirection('sendrecv');
        await t.sender.replaceTrack(track);
      } else if (t.kind === 'video' && options.media?.video) {
        t.setDirection('sendrecv');
        await t.sender.replaceTrack(options.media.video);
      }
    }
    await pc.setLocalDescription(await pc.createAnswer());
    listen(pc);
  }

  async function onJingle(iq: Element): Promise<void> {
    const j = parseJingle(iq.getChild('jingle', NS_JINGLE)!);
    if (j.action === 'session-initiate') {
      // Like lib-jitsi-meet after "moving": a new session gets a new peer connection.
      if (p.sessions.length > 0) {
        await pc.close();
        pc = new RTCPeerConnection(loopbackOnly);
        version = 2;
      }
      sid = j.sid;
      p.sessions.push(sid);
      contents = j.contents;
      groups = j.groups;
      p.channelUrl = j.contents.find((c) => c.transport?.webSocketUrls.length)?.transport?.webSocketUrls[0] ?? null;
      await negotiate();
      const local = sdpToJingleContents(pc.localDescription!.sdp, { creator: 'responder' });
      const audio = local.contents.find((c) => c.description?.media === 'audio');
      const ssrc = audio?.description?.sources[0]?.ssrc ?? null;
      p.ssrc = ssrc;
      p.videoSsrc = local.contents.find((c) => c.description?.media === 'video')?.description?.sources[0]?.ssrc ?? null;
      for (const c of local.contents) for (const s of c.description?.sources ?? []) s.name = `${nick}-${c.description?.media === 'audio' ? 'a' : 'v'}0`;
      await xmpp.iq(xml('iq', { type: 'set', to: `${roomJid}/focus` }, buildJingle({
        action: 'session-accept', sid, responder: `${roomJid}/${nick}`, contents: local.contents.filter((c) => c.description?.media === 'audio' || c.description?.media === 'video'), groups: local.groups,
      })));
      p.accepted.push(sid);
    } else if ((j.action === 'source-add' || j.action === 'source-remove') && j.sid === sid) {
      for (const change of j.contents) {
        const target = contents.find((c) => c.name === change.name && c.description);
        if (!target?.description || !change.description) continue;
        if (j.action === 'source-add') {
          target.description.sources.push(...change.description.sources);
          target.description.groups.push(...change.description.groups);
        } else {
          const gone = new Set(change.description.sources.map((s) => s.ssrc));
          target.description.sources = target.description.sources.filter((s) => !gone.has(s.ssrc));
          target.description.groups = target.description.groups.filter((g) => !g.ssrcs.some((x) => gone.has(x)));
        }
      }
      await negotiate();
    } else if (j.action === 'session-terminate' && j.sid === sid) {
      sid = '';
    }
  }

  // Like lib-jitsi-meet: acknowledge every Jingle IQ at once, then work through them in order.
  let chain = Promise.resolve();
  xmpp.xmpp.iqCallee.set(NS_JINGLE, 'jingle', (ctx) => {
    chain = chain.then(() => onJingle(ctx.stanza)).catch(() => undefined);
    return true;
  });
  await xmpp.send(xml('presence', { to: `${roomJid}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
    ...(options.region === undefined ? [] : [xml('jitsi_participant_region', {}, options.region)]),
    ...(options.media?.displayName === undefined ? [] : [xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, options.media.displayName)])));
  return p;
}
