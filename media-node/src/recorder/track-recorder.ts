/**
 * One received stream (SSRC) of a recording: jitter buffer (reordering, NACKs for what is
 * missing), frame assembly, a keyframe request (PLI) at the start and whenever a frame is lost
 * (at most one a second), and each frame placed on the local clock (sender-clock.ts: by arrival
 * until the sender's SRs can be trusted, through them after). The placed times never go
 * backwards: a video frame placed before the previous one is moved just after it; an audio frame
 * that would overlap the previous one is dropped (a correction of the clock costs at most one
 * frame of sound, and audio never lags its clock by a frame or more).
 * Frames go to the participant's file by `onFrame`; nothing here touches a socket.
 * @module
 */
// Internal: not exported from the package entry
import type { FrameAssembler } from './frame-assembler.ts';
import type { Logger } from '../log.ts';
import { JitterBuffer } from './jitter-buffer.ts';
import { StreamClock, type ClockMode, type SenderClock } from './sender-clock.ts';
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
  /** The participant (endpoint id) it belongs to. */
  readonly owner: string;
  readonly clockRate: number;
  readonly assembler: FrameAssembler;
  readonly sender: SenderClock;
  readonly jitterMs: number;
  readonly feedback: TrackFeedback;
  /** Debug: each SR with both placements of the stream's latest frame; warn: SRs not trusted. */
  readonly log: Logger;
  readonly onFrame: (f: TimedFrame) => void;
}

/** Keyframe requests at most this often (LiveKit's and Jitsi's figure). */
export const PLI_INTERVAL_MS = 1000;
/** An audio frame lasts at most this long (Opus: 120 ms) when judging overlaps. */
const MAX_AUDIO_FRAME_MS = 120;

export interface RtpLike { readonly sequenceNumber: number; readonly timestamp: number; readonly marker: boolean; readonly payload: Buffer }

export class TrackRecorder {
  readonly ssrc: number;
  readonly kind: TrackKind;
  readonly #o: TrackRecorderOptions;
  readonly #jitter: JitterBuffer<RtpLike>;
  readonly #clock: StreamClock;
  #lastPli = -Infinity;
  #started = false;
  /** The last frame handed on: its unwrapped RTP timestamp and placed time. */
  #last: { rtp: number; ms: number } | null = null;
  #mode: ClockMode | null = null;
  /** Audio: the RTP timestamp of the frame before and the frames' duration (ms). */
  #lastRtp = 0;
  #audioFrameMs = 20;
  frames = 0;
  /** Audio frames dropped and video frames moved so that the output does not go backwards. */
  dropped = 0;
  moved = 0;
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
    const c = this.#clock;
    const wasDistrusted = c.srDistrusted;
    const verdict = c.onSenderReport(ntp, rtpTimestamp);
    const last = this.#last;
    this.#o.log.debug('recording.sender_report', {
      ssrc: this.ssrc, kind: this.kind, ...verdict, trusted: c.srTrusted,
      // Where the latest frame is by arrival and through the SRs (ms apart: what the SRs correct).
      arrivalMs: last ? c.arrivalMs(last.rtp) : null, srMs: last ? c.senderReportMs(last.rtp) : null, placedMs: last?.ms ?? null,
    });
    if (c.srDistrusted && !wasDistrusted) {
      this.#o.log.warn('recording.sender_reports_ignored', { ssrc: this.ssrc, kind: this.kind, movedMs: verdict.movedMs, why: 'NTP − RTP moved between two SRs: placed by arrival' });
    }
  }

  /** The placed time of a frame, or null to drop it; never before the previous one. */
  #place(rtp: number): number | null {
    const placed = this.#clock.toLocalMs(rtp);
    if (!placed) return null;
    if (placed.mode !== this.#mode) {
      this.#o.log.info('recording.clock', { ssrc: this.ssrc, kind: this.kind, mode: placed.mode, shiftMs: this.#last ? Math.round(placed.ms - this.#last.ms - this.#clock.ms(rtp - this.#last.rtp)) : 0 });
      this.#mode = placed.mode;
    }
    const last = this.#last;
    let ms = placed.ms;
    if (!last) this.#lastRtp = rtp;
    if (last) {
      if (this.kind === 'audio') {
        // Consecutive frames' spacing is their duration (a larger one is a gap: DTX, loss).
        const gap = this.#clock.ms(rtp - this.#lastRtp);
        if (gap > 0 && gap <= MAX_AUDIO_FRAME_MS) this.#audioFrameMs = gap;
        this.#lastRtp = rtp;
        const earliest = last.ms + this.#audioFrameMs;
        if (ms < earliest) {
          if (earliest - ms >= this.#audioFrameMs) {
            this.dropped++;
            return null;
          }
          ms = earliest;
        }
      } else if (ms <= last.ms) {
        this.moved++;
        ms = last.ms + 1;
      }
    }
    this.#last = { rtp, ms };
    return ms;
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
        const localMs = this.#place(this.#clock.unwrap(frame.rtpTimestamp));
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
    return { ssrc: this.ssrc, owner: this.#o.owner, kind: this.kind, codec: this.codec, frames: this.frames, plis: this.plis, nacked: this.nacked,
      clock: this.#mode, srDistrusted: this.#clock.srDistrusted, dropped: this.dropped, moved: this.moved, ...this.#jitter.toJSON() };
  }
}
