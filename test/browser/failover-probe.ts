/// <reference lib="dom" />
/**
 * Page instrumentation for the web app's failover test (web-app-failover.run.ts), installed as an
 * init script before the app loads:
 * - every RTCPeerConnection the page creates is kept (`window.__pcs`), so decoding can be followed
 *   across a move from one session to the next;
 * - every Jingle IQ the page receives or sends on its XMPP socket is noted (`window.__jingle`:
 *   time, direction, action, sid, reason text), as a trace for diagnosis;
 * - every bridge channel (colibri-ws) it opens, with the messages it sends there (`window.__channels`);
 * - `window.__startProbe()` samples getStats every 100 ms (`window.__samples`): per remote tile
 *   (its `data-id`), whether its video frames decoded and its non-concealed audio samples grew
 *   since the previous sample on any of the page's peer connections (attributed through the
 *   track objects the tile plays, i.e. what the page shows: a tile still holding an ended track of
 *   a closed session counts nothing), on which peer connection (its index in
 *   `__pcs`), which one the meeting currently uses, and the tiles and participants the page lists.
 */

export interface ProbeSample {
  t: number;
  /** Index in `__pcs` of `meeting.peerConnection` (-1: none). */
  pc: number;
  /** Remote tiles' ids, in DOM order. */
  tiles: string[];
  /** Names in the participants list (self included). */
  people: number;
  /** Per tile id: the indices of the peer connections on which its video / audio progressed. */
  video: Record<string, number[]>;
  audio: Record<string, number[]>;
}

export interface JingleTrace { t: number; dir: 'in' | 'out'; action: string; sid: string; text?: string }

/** A bridge channel (colibri-ws) the page opened: when, to where, what it sent, when it closed. */
export interface ChannelTrace { t: number; url: string; openedAt?: number; closedAt?: number; sent: Array<{ t: number; colibriClass: string; message: string }> }

/** The init script (serialised by playwright: self-contained). */
export function installProbe(): void {
  const w = window as unknown as {
    __pcs: RTCPeerConnection[]; __jingle: JingleTrace[]; __channels: ChannelTrace[]; __samples: ProbeSample[]; __startProbe(): void;
    meeting?: { peerConnection: RTCPeerConnection | null };
  };
  w.__pcs = [];
  w.__jingle = [];
  w.__channels = [];
  w.__samples = [];
  const NativePc = RTCPeerConnection;
  (window as unknown as { RTCPeerConnection: unknown }).RTCPeerConnection = class extends NativePc {
    constructor(config?: RTCConfiguration) {
      super(config);
      w.__pcs.push(this);
    }
  };
  const trace = (dir: 'in' | 'out', data: unknown) => {
    if (typeof data !== 'string' || !data.includes('urn:xmpp:jingle:1')) return;
    const doc = new DOMParser().parseFromString(data, 'text/xml');
    for (const j of doc.getElementsByTagNameNS('urn:xmpp:jingle:1', 'jingle')) {
      w.__jingle.push({ t: Date.now(), dir, action: j.getAttribute('action') ?? '', sid: j.getAttribute('sid') ?? '', text: j.getElementsByTagName('text')[0]?.textContent ?? undefined });
    }
  };
  const NativeWs = WebSocket;
  (window as unknown as { WebSocket: unknown }).WebSocket = class extends NativeWs {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (protocols === 'xmpp') this.addEventListener('message', (ev) => trace('in', ev.data));
      if (String(url).includes('/colibri-ws/')) {
        const channel: ChannelTrace = { t: Date.now(), url: String(url), sent: [] };
        this.#channel = channel;
        w.__channels.push(channel);
        this.addEventListener('open', () => { channel.openedAt = Date.now(); });
        this.addEventListener('close', () => { channel.closedAt = Date.now(); });
      }
    }
    #channel: ChannelTrace | undefined;
    override send(data: Parameters<WebSocket['send']>[0]): void {
      if (this.protocol === 'xmpp') trace('out', data);
      if (this.#channel && typeof data === 'string') {
        let colibriClass = '';
        try { colibriClass = String((JSON.parse(data) as { colibriClass?: string }).colibriClass); } catch { /* not JSON */ }
        this.#channel.sent.push({ t: Date.now(), colibriClass, message: data });
      }
      super.send(data);
    }
  };
  w.__startProbe = () => {
    const last = new Map<string, number>();
    const tick = async () => {
      const tiles = [...document.querySelectorAll<HTMLElement>('.tile:not([data-id="local"])')];
      // The very track objects each tile plays (track ids repeat from one session to the next).
      const owner = new Map<MediaStreamTrack, string>();
      for (const tile of tiles) for (const track of ((tile.querySelector('video')?.srcObject as MediaStream | null)?.getTracks() ?? [])) owner.set(track, tile.dataset.id ?? '');
      const sample: ProbeSample = {
        t: Date.now(), pc: w.meeting?.peerConnection ? w.__pcs.indexOf(w.meeting.peerConnection) : -1, tiles: tiles.map((x) => x.dataset.id ?? ''),
        people: document.querySelectorAll('ul[aria-label="Participants"] > li').length, video: {}, audio: {},
      };
      await Promise.all(w.__pcs.map(async (pc, i) => {
        if (pc.signalingState === 'closed') return;
        const receivers = new Map(pc.getReceivers().map((r) => [r.track.id, r.track]));
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type !== 'inbound-rtp') return;
          const track = receivers.get(String(s.trackIdentifier));
          const id = track?.readyState === 'live' ? owner.get(track) : undefined;
          const kind = String(s.kind);
          const value = kind === 'video' ? Number(s.framesDecoded ?? 0) : Number(s.totalSamplesReceived ?? 0) - Number(s.concealedSamples ?? 0);
          const key = `${i}/${String(s.ssrc)}/${kind}`;
          const grew = value > (last.get(key) ?? 0);
          last.set(key, value);
          if (!grew || id === undefined || (kind !== 'video' && kind !== 'audio')) return;
          const into = sample[kind];
          into[id] = [...(into[id] ?? []), i];
        });
      }));
      w.__samples.push(sample);
      setTimeout(() => void tick(), 100);
    };
    void tick();
  };
}
