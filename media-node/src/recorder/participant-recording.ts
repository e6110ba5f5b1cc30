/**
 * One participant's files in a recording: a WebM with its audio and video as received. A file's
 * tracks are fixed when it starts (Matroska writes Tracks first), so it starts once every
 * signalled kind has a frame to show (video: a keyframe, whose size the file declares), or
 * {@link START_WAIT_MS} after the first frame with what there is; a kind that starts later (a
 * camera turned on) begins a new part. Frames are placed at their time on the session's
 * timeline: muted spans stay gaps of the right length.
 * @module
 */
// Internal: not exported from the package entry
import { join } from 'node:path';
import type { TimedFrame } from './track-recorder.ts';
import { WebmWriter, type RecordedCodec, type TrackKind, type WebmTrackSpec } from './webm-writer.ts';

/** How long the first frames wait for the other signalled kind before a file starts without it. */
export const START_WAIT_MS = 2000;
/** Margin on top of the jitter buffer's latency before frames are interleaved into the file. */
const INTERLEAVE_MARGIN_MS = 200;

export interface PartInfo {
  /** File name in the recording's directory. */
  readonly file: string;
  /** Session-timeline ms of the file's timestamp 0. */
  readonly startMs: number;
  endMs: number | null;
  readonly tracks: ReadonlyArray<{ kind: TrackKind; codec: RecordedCodec; width?: number; height?: number }>;
  durationMs: number | null;
  bytes: number | null;
}

export interface ParticipantRecordingOptions {
  readonly endpointId: string;
  readonly dir: string;
  /** performance.now() at the session's timeline 0, and Date.now() then. */
  readonly originLocalMs: number;
  readonly originWallMs: number;
  readonly clusterMs: number;
  readonly jitterMs: number;
  /** The kinds this participant sends, as signalled now. */
  readonly signalled: () => { audio: boolean; video: boolean };
  readonly title: () => string;
}

export class ParticipantRecording {
  readonly endpointId: string;
  readonly parts: PartInfo[] = [];
  readonly #o: ParticipantRecordingOptions;
  #writer: WebmWriter | null = null;
  #waiting: TimedFrame[] = [];
  #firstWaitAt = 0;
  #closed = false;

  constructor(o: ParticipantRecordingOptions) {
    this.#o = o;
    this.endpointId = o.endpointId;
  }

  #timeline(localMs: number): number {
    return localMs - this.#o.originLocalMs;
  }

  onFrame(f: TimedFrame, nowLocal: number): void {
    if (this.#closed) return;
    const w = this.#writer;
    if (w) {
      if (w.trackOf(f.kind) > 0) {
        w.add(w.trackOf(f.kind), this.#timeline(f.localMs) - this.#current!.startMs, f.data, f.keyframe);
        return;
      }
      // A kind the file has no track for: a new part with it, from this frame on.
      this.#closePart(this.#timeline(f.localMs));
      this.#waiting = [f];
      this.#open(nowLocal, true);
      return;
    }
    if (this.#waiting.length === 0) this.#firstWaitAt = nowLocal;
    this.#waiting.push(f);
    this.tick(nowLocal);
  }

  get #current(): PartInfo | undefined {
    return this.#writer ? this.parts[this.parts.length - 1] : undefined;
  }

  /** Starts a waiting file when it may, and writes out what is old enough to be interleaved. */
  tick(nowLocal: number): void {
    if (this.#closed) return;
    if (!this.#writer && this.#waiting.length > 0) {
      const s = this.#o.signalled();
      const have = new Set(this.#waiting.map((f) => f.kind));
      const all = (!s.audio || have.has('audio')) && (!s.video || have.has('video'));
      if (all || nowLocal - this.#firstWaitAt >= START_WAIT_MS) this.#open(nowLocal, false);
    }
    const cur = this.#current;
    if (cur) this.#writer!.writeUntil(this.#timeline(nowLocal) - this.#o.jitterMs - INTERLEAVE_MARGIN_MS - cur.startMs);
  }

  #open(nowLocal: number, keepOtherKinds: boolean): void {
    const frames = this.#waiting;
    this.#waiting = [];
    const kinds = new Set(frames.map((f) => f.kind));
    if (keepOtherKinds) {
      const last = this.parts[this.parts.length - 1];
      for (const t of last?.tracks ?? []) kinds.add(t.kind);
    }
    const specs: WebmTrackSpec[] = [];
    const last = this.parts[this.parts.length - 1];
    for (const kind of ['audio', 'video'] as const) {
      if (!kinds.has(kind)) continue;
      const f = frames.find((x) => x.kind === kind);
      const before = last?.tracks.find((t) => t.kind === kind);
      const codec = f?.codec ?? before?.codec ?? (kind === 'audio' ? 'opus' : 'vp8');
      const key = frames.find((x) => x.kind === kind && x.width);
      specs.push(kind === 'audio' ? { kind, codec } : { kind, codec, width: key?.width ?? before?.width, height: key?.height ?? before?.height });
    }
    const startMs = Math.round(Math.min(...frames.map((f) => this.#timeline(f.localMs)), this.#timeline(nowLocal)));
    const file = `participant-${this.endpointId}-${this.parts.length + 1}.webm`;
    this.#writer = new WebmWriter({
      path: join(this.#o.dir, file), tracks: specs, title: this.#o.title(), startedAtMs: this.#o.originWallMs + startMs, clusterMs: this.#o.clusterMs,
    });
    this.parts.push({ file, startMs, endMs: null, tracks: specs.map((s) => ({ ...s })), durationMs: null, bytes: null });
    for (const f of frames) this.#writer.add(this.#writer.trackOf(f.kind), this.#timeline(f.localMs) - startMs, f.data, f.keyframe);
  }

  #closePart(endMs: number): void {
    const w = this.#writer;
    const part = this.#current;
    if (!w || !part) return;
    const summary = w.close();
    part.endMs = Math.round(Math.max(endMs, part.startMs + summary.durationMs));
    part.durationMs = summary.durationMs;
    part.bytes = summary.bytes;
    this.#writer = null;
  }

  /**
   * Ends the participant's current file (it left). Frames that come later (it came back) start a
   * new part; `final` (the recording stopped) refuses them.
   */
  close(nowLocal: number, final = false): void {
    if (this.#closed) return;
    if (!this.#writer && this.#waiting.length > 0) this.#open(nowLocal, false);
    this.#closePart(this.#timeline(nowLocal));
    if (final) this.#closed = true;
  }
}
