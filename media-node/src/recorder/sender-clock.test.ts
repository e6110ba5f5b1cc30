import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { createAssembler } from './frame-assembler.ts';
import { SenderClock, StreamClock } from './sender-clock.ts';
import { TrackRecorder, type TimedFrame } from './track-recorder.ts';

const NTP_1970 = 2_208_988_800;
/** NTP timestamp of a wall-clock ms. */
function ntp(ms: number): bigint {
  const s = Math.floor(ms / 1000);
  return (BigInt(s + NTP_1970) << 32n) | BigInt(Math.floor(((ms - s * 1000) / 1000) * 2 ** 32));
}
/** werift's ntpTime(): the whole second, the decimal digits as fraction (see test/helpers/werift-sender-reports.ts). */
function weriftNtp(ms: number): bigint {
  const [sec, frac] = (ms / 1000 + NTP_1970).toString().split('.').map(Number);
  return (BigInt(sec!) << 32n) | BigInt(frac ?? 0);
}

/** A sender capturing at wall ms 0 on: RTP of a capture time, with a random-ish base. */
const rtpOf = (rate: number, base: number) => (captureMs: number) => (base + Math.round((captureMs * rate) / 1000)) >>> 0;
/** Sender's NTP clock runs 5 s ahead of the receiver's local clock. */
const SENDER_AHEAD = 5000;

describe('StreamClock', () => {
  it('unwraps RTP timestamps across 2³² both ways', () => {
    const c = new StreamClock(90_000, new SenderClock());
    const a = c.unwrap(0xffff_ff00);
    expect(c.unwrap(0x0000_0100) - a).toBe(0x200);
    expect(c.unwrap(0xffff_fff0) - a).toBe(0xf0); // a late one from before the wrap
    expect(c.unwrap(0x0001_0000) - a).toBe(0x1_0100);
  });

  it('places audio and video of one sender by their SRs, whatever each path delays them by', () => {
    const sender = new SenderClock();
    const audio = new StreamClock(48_000, sender);
    const video = new StreamClock(90_000, sender);
    const aRtp = rtpOf(48_000, 4_000_000_000); // wraps during the test
    const vRtp = rtpOf(90_000, 1234);
    // Audio reaches us 30 ms after capture, video 150 ms (encoder, pacing); both jitter up to 20 ms.
    for (let t = 0; t < 6000; t += 20) {
      const jitter = (t * 7) % 20;
      audio.onPacket(aRtp(t), t + 30 + jitter);
      if (t % 60 === 0) video.onPacket(vRtp(t), t + 150 + jitter);
      if (t % 1000 === 500) {
        // SRs at capture-time t (NTP on the sender's clock), as browsers send them.
        audio.onSenderReport(ntp(t + SENDER_AHEAD), aRtp(t));
        video.onSenderReport(ntp(t + SENDER_AHEAD), vRtp(t));
      }
    }
    expect(audio.srTrusted && video.srTrusted).toBe(true);
    const a = audio.toLocalMs(audio.unwrap(aRtp(5400)))!;
    const v = video.toLocalMs(video.unwrap(vRtp(5400)))!;
    expect(a.mode).toBe('sr');
    expect(v.mode).toBe('sr');
    // The same capture instant lands at the same local time: on the least delayed stream's arrival.
    expect(Math.abs(a.ms - v.ms)).toBeLessThan(1);
    expect(a.ms - 5400).toBeCloseTo(30, 0);
    // By arrival alone they would be 120 ms apart.
    expect(video.arrivalMs(video.unwrap(vRtp(5400)))! - audio.arrivalMs(audio.unwrap(aRtp(5400)))!).toBeCloseTo(120, 0);
  });

  it('follows a jump of the sender\'s RTP clock: by arrival from the SR that shows it, by SRs again once two more agree', () => {
    const sender = new SenderClock();
    const c = new StreamClock(90_000, sender);
    const before = rtpOf(90_000, 500);
    const after = rtpOf(90_000, 500 - 5999); // werift's re-basing on replaceTrack: one frame back, plus a tick
    const rtp = (t: number) => (t < 3000 ? before(t) : after(t));
    for (let t = 0; t < 8000; t += 66) {
      c.onPacket(rtp(t), t + 25);
      if ([500, 1500, 2500, 3500, 4500, 5500, 6500].some((s) => s >= t && s < t + 66)) c.onSenderReport(ntp(t + SENDER_AHEAD), rtp(t));
      if (t >= 3500 && t < 5400) expect(c.srTrusted).toBe(false);
    }
    expect(c.srTrusted).toBe(true);
    expect(c.srDistrusted).toBe(false);
    const at = c.toLocalMs(c.unwrap(rtp(7920)))!;
    expect(at.mode).toBe('sr');
    expect(at.ms).toBeCloseTo(7920 + 25, 0);
  });

  it('does not trust SRs that disagree with each other (werift\'s) and stays placed by arrival', () => {
    const sender = new SenderClock();
    const c = new StreamClock(48_000, sender);
    const rtp = rtpOf(48_000, 99);
    // werift sends them 0.5 to 1.5 s apart.
    const srAt = new Set([740, 1500, 2160, 3380, 4020]);
    for (let t = 0; t < 5000; t += 20) {
      c.onPacket(rtp(t), t + 40);
      if (srAt.has(t)) c.onSenderReport(weriftNtp(1_796_165_467_000 + t), rtp(t));
    }
    expect(c.srDistrusted).toBe(true);
    expect(c.toLocalMs(c.unwrap(rtp(4000)))).toEqual({ ms: 4040, mode: 'arrival' });
  });
});

describe('TrackRecorder placement', () => {
  const log = createLogger('error');
  function track(kind: 'audio' | 'video', sender: SenderClock, frames: TimedFrame[]): TrackRecorder {
    return new TrackRecorder({
      ssrc: kind === 'audio' ? 1 : 2, owner: 'p1', kind, clockRate: kind === 'audio' ? 48_000 : 90_000, assembler: createAssembler(kind === 'audio' ? 'opus' : 'VP8')!,
      sender, jitterMs: 0, feedback: { nack: () => undefined, pli: () => undefined }, log, onFrame: (f) => frames.push(f),
    });
  }

  it('never goes backwards: when the SRs move audio earlier it drops what would overlap, and keeps gaps', () => {
    const sender = new SenderClock();
    const frames: TimedFrame[] = [];
    const a = track('audio', sender, frames);
    const rtp = rtpOf(48_000, 7);
    let seq = 0;
    const opus = Buffer.from([0xfc, 1, 2]);
    const send = (t: number, arrival: number) => a.onRtp({ sequenceNumber: seq++, timestamp: rtp(t), marker: true, payload: opus }, arrival);
    for (let t = 0; t < 1000; t += 20) send(t, t + 100);
    // The SRs say capture was 60 ms earlier relative to arrival than the arrival placement assumed:
    // its first packets were the least delayed, at 100 ms; these arrive at 40 ms.
    a.onSenderReport(ntp(1000 + SENDER_AHEAD), rtp(1000));
    a.onSenderReport(ntp(2000 + SENDER_AHEAD), rtp(2000));
    for (let t = 1000; t < 2000; t += 20) send(t, t + 40);
    // Muted for 2 s (no packets), then on again.
    for (let t = 4000; t < 4200; t += 20) send(t, t + 40);
    const times = frames.map((f) => f.localMs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(20);
    expect(a.dropped).toBeGreaterThan(0);
    expect(a.dropped).toBeLessThanOrEqual(3);
    const last = frames.at(-1)!.localMs;
    expect(last).toBeCloseTo(4180 + 40, 0);
    // The muted span is a gap of its length.
    const before = times.filter((t) => t < 3000).at(-1)!;
    expect(times.find((t) => t > 3000)! - before).toBeGreaterThan(2000);
  });
});
