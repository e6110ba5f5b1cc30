/**
 * One received stream (SSRC) of a recording: jitter buffer (reordering, NACKs for what is
 * missing), frame assembly, a keyframe request (PLI) at the start and whenever a frame is lost
 * (at most one a second), and each frame placed on the local clock through the sender's RTCP SRs.
 * Frames go to the participant's file by `onFrame`; nothing here touches a socket.
 * @module
 */
// Internal: not exported from the package entry
import type { FrameAssembler } from './frame-assembler.ts';
import { JitterBuffer } from './jitter-buffer.ts';
import { StreamClock, type SenderClock } from './sender-clock.ts';
import type { RecordedCodec, TrackKind } from './webm-writer.ts';

/** A frame on the local clock (`localMs`, performance.now() scale). */
export interface TimedFrame {
  readonly kind: TrackKind;
  readonly codec: RecordedCodec;
  readonly localMs: number;
  readonly data: Buffer;
  readonly keyframe: boolean;
  readonly width?: number;
  readonly height?: number;
}

export interface TrackFeedback {
  nack(mediaSsrc: number, seqs: number[]): void;
  pli(mediaSsrc: number): void;
}

export interface TrackRecorderOptions {
  readonly ssrc: number;
  readonly kind: TrackKind;
  readonly clockRate: number;
  readonly assembler: FrameAssembler;
  readonly sender: SenderClock;
  readonly jitterMs: number;
  readonly feedback: TrackFeedback;
  readonly onFrame: (f: TimedFrame) => void;
}

/** Keyframe requests at most this often (LiveKit's and Jitsi's figure). */
export const PLI_INTERVAL_MS = 1000;

export interface RtpLike { readonly sequenceNumber: number; readonly timestamp: number; readonly marker: boolean; readonly payload: Buffer }

export class TrackRecorder {
  readonly ssrc: number;
  readonly kind: TrackKind;
  readonly #o: TrackRecorderOptions;
  readonly #jitter: JitterBuffer<RtpLike>;
  readonly #clock: StreamClock;
  #lastPli = -Infinity;
  #started = false;
  frames = 0;
  plis = 0;
  nacked = 0;

  constructor(o: TrackRecorderOptions) {
    this.#o = o;
    this.ssrc = o.ssrc;
    this.kind = o.kind;
    this.#jitter = new JitterBuffer({ latencyMs: o.jitterMs });
    this.#clock = new StreamClock(o.clockRate, o.sender);
  }

  get codec(): RecordedCodec {
    return this.#o.assembler.codec;
  }

  onRtp(p: RtpLike, now: number): void {
    this.#started = true;
    this.#clock.onPacket(p.timestamp, now);
    this.#jitter.push(p.sequenceNumber, p, now);
    this.tick(now);
  }

  onSenderReport(ntp: bigint, rtpTimestamp: number): void {
    this.#clock.onSenderReport(ntp, rtpTimestamp);
  }

  /** Releases what the jitter buffer lets go, and sends the NACKs and PLI that are due. */
  tick(now: number): void {
    const a = this.#o.assembler;
    for (const out of this.#jitter.pull(now)) {
      if (out.kind === 'lost') {
        a.lost();
        continue;
      }
      for (const frame of a.push(out.packet)) {
        const localMs = this.#clock.toLocalMs(this.#clock.unwrap(frame.rtpTimestamp));
        if (localMs === null) continue;
        this.frames++;
        this.#o.onFrame({ kind: this.kind, codec: a.codec, localMs, data: frame.data, keyframe: frame.keyframe, width: frame.width, height: frame.height });
      }
    }
    if (this.kind !== 'video' || !this.#started) return;
    const nacks = this.#jitter.nacks(now);
    if (nacks.length > 0) {
      this.nacked += nacks.length;
      this.#o.feedback.nack(this.ssrc, nacks);
    }
    if (a.waitingForKeyframe && now - this.#lastPli >= PLI_INTERVAL_MS) {
      this.#lastPli = now;
      this.plis++;
      this.#o.feedback.pli(this.ssrc);
    }
  }

  toJSON(): Record<string, unknown> {
    return { ssrc: this.ssrc, kind: this.kind, codec: this.codec, frames: this.frames, plis: this.plis, nacked: this.nacked, sr: this.#clock.hasSenderReport, ...this.#jitter.toJSON() };
  }
}
