/**
 * The remote offer a browser applies for a bridge session, from the Jingle the focus sent: the
 * two m-lines it sends on (mids `audio` and `video`, from the session-initiate contents), then one
 * m-line per remote participant and media type carrying that participant's SSRCs, so that Chrome
 * (unified plan) gives each a track of its own. M-lines are only ever added, never removed or
 * reused for someone else: a participant who leaves leaves an inactive m-line behind, and comes
 * back on the same one (no duplicate `a=msid`, which current Chrome refuses).
 * @module
 */
import { jingleToSdp, type JingleContent, type SsrcGroup, type SsrcSource } from '@edgemeet/protocol';

/** Owner of the bridge's own (feedback) sources, which get no m-line. */
const BRIDGE_OWNER = 'jvb';

type Media = 'audio' | 'video';
export interface RemoteSource { sources: SsrcSource[]; groups: SsrcGroup[] }

export class RemoteOffer {
  /** The session-initiate's audio and video contents (codecs, header extensions, transport). */
  readonly #base: Map<Media, JingleContent>;
  readonly #sid: string;
  /** Remote m-lines in order: mid → owner and media. */
  readonly #lines: Array<{ mid: string; owner: string; media: Media }> = [];
  readonly #sources = new Map<string, RemoteSource>();
  #version = 1;

  constructor(sid: string, contents: readonly JingleContent[]) {
    this.#sid = sid;
    this.#base = new Map(contents.filter((c) => c.description?.media === 'audio' || c.description?.media === 'video')
      .map((c) => [c.description!.media as Media, c]));
  }

  /** Mid of the m-line receiving `owner`'s `media`. */
  static mid(owner: string, media: Media): string {
    return `${owner}-${media}`;
  }

  /** Who a remote m-line belongs to. */
  ownerOf(mid: string): { owner: string; media: Media } | undefined {
    return this.#lines.find((l) => l.mid === mid);
  }

  /** Adds SSRCs (source-add, or the session-initiate's) of `owner`. */
  add(owner: string, media: Media, sources: readonly SsrcSource[], groups: readonly SsrcGroup[]): void {
    const mid = RemoteOffer.mid(owner, media);
    if (!this.#lines.some((l) => l.mid === mid)) this.#lines.push({ mid, owner, media });
    const cur = this.#sources.get(mid) ?? { sources: [], groups: [] };
    const known = new Set(cur.sources.map((s) => s.ssrc));
    this.#sources.set(mid, {
      sources: [...cur.sources, ...sources.filter((s) => !known.has(s.ssrc))],
      groups: [...cur.groups, ...groups.filter((g) => !cur.groups.some((x) => x.semantics === g.semantics && x.ssrcs.join() === g.ssrcs.join()))],
    });
  }

  remove(owner: string, media: Media, ssrcs: readonly number[]): void {
    const mid = RemoteOffer.mid(owner, media);
    const cur = this.#sources.get(mid);
    if (!cur) return;
    const gone = new Set(ssrcs);
    this.#sources.set(mid, {
      sources: cur.sources.filter((s) => !gone.has(s.ssrc)),
      groups: cur.groups.filter((g) => !g.ssrcs.some((s) => gone.has(s))),
    });
  }

  /** Adds or removes the sources of Jingle contents (session-initiate, source-add, source-remove), grouped by their owners. */
  apply(contents: readonly JingleContent[], action: 'add' | 'remove'): void {
    for (const c of contents) {
      const d = c.description;
      if (!d || (d.media !== 'audio' && d.media !== 'video')) continue;
      const byOwner = new Map<string, SsrcSource[]>();
      for (const s of d.sources) if (s.owner && s.owner !== BRIDGE_OWNER) byOwner.set(s.owner, [...(byOwner.get(s.owner) ?? []), s]);
      for (const [owner, sources] of byOwner) {
        const ssrcs = new Set(sources.map((s) => s.ssrc));
        if (action === 'add') this.add(owner, d.media, sources, d.groups.filter((g) => g.ssrcs.every((x) => ssrcs.has(x))));
        else this.remove(owner, d.media, [...ssrcs]);
      }
    }
  }

  /** Everything a participant sends, for when they leave. */
  removeOwner(owner: string): void {
    for (const media of ['audio', 'video'] as const) {
      const cur = this.#sources.get(RemoteOffer.mid(owner, media));
      if (cur) this.remove(owner, media, cur.sources.map((s) => s.ssrc));
    }
  }

  /** The SDP offer as it stands (a new version each time). */
  sdp(): string {
    const contents: JingleContent[] = [];
    const audio = this.#base.get('audio');
    const video = this.#base.get('video');
    // The bridge receives on the first two m-lines: from its side they are recvonly.
    if (audio) contents.push({ ...audio, name: 'audio', senders: 'responder', description: { ...audio.description!, sources: [], groups: [] } });
    if (video) contents.push({ ...video, name: 'video', senders: 'responder', description: { ...video.description!, sources: [], groups: [] } });
    for (const line of this.#lines) {
      const base = this.#base.get(line.media);
      if (!base) continue;
      const src = this.#sources.get(line.mid) ?? { sources: [], groups: [] };
      const stream = `${line.owner}-${line.media}`;
      contents.push({
        ...base, name: line.mid, senders: src.sources.length > 0 ? 'initiator' : 'none',
        description: {
          ...base.description!,
          sources: src.sources.map((s) => ({ ...s, msid: `${line.owner} ${stream}` })),
          groups: src.groups,
        },
      });
    }
    const sdp = jingleToSdp({ sid: this.#sid, contents, groups: [{ semantics: 'BUNDLE', contents: contents.map((c) => c.name) }] },
      { role: 'initiator', version: this.#version++ });
    // One a=msid per m-line (media level) tells Chrome which stream and track the SSRCs make.
    return sdp.replace(/(a=mid:([^\r\n]+)\r\n)/g, (all, _line, mid: string) => {
      const l = this.ownerOf(mid);
      return l && (this.#sources.get(mid)?.sources.length ?? 0) > 0 ? `${all}a=msid:${l.owner} ${l.owner}-${l.media}\r\n` : all;
    });
  }
}
