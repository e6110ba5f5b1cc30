/**
 * Right NTP times in the sender reports of werift senders, as browsers send them.
 *
 * werift (0.25.2, and its main branch as of 2026-05) stamps each sent packet's time with
 * `ntpTime()`, which writes the decimal digits of the seconds' fraction as the 32-bit NTP fraction
 * ("…467.342" → 342 / 2³²): an SR's NTP time is the whole second, up to 1 s early, by a different
 * amount each SR. A receiver that synchronises audio and video by SRs, as the recorder does,
 * sees them disagree (it then falls back to arrival times, see media-node/src/recorder/sender-clock.ts);
 * tests that check synchronisation through SRs make the test senders stamp the right time instead.
 * werift sets `sender.ntpTimestamp` when it sends a packet and puts it in its next SR, with that
 * packet's timestamp: this turns that assignment into the packet's capture time, in NTP — from its
 * track's capture clock when one is registered ({@link setCaptureClock}), else now.
 */
import type { MediaStreamTrack, RTCRtpSender } from 'werift';

/** Seconds from 1900 (NTP's epoch) to 1970. */
const NTP_EPOCH_OFFSET_S = 2_208_988_800;

/** A track's capture clock: the timestamp it wrote into a packet → wall-clock ms of its capture. */
export type CaptureClock = (ts32: number) => number;
const clocks = new WeakMap<MediaStreamTrack, CaptureClock>();

export function setCaptureClock(track: MediaStreamTrack, clock: CaptureClock): void {
  clocks.set(track, clock);
}

export function ntpOfMs(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_EPOCH_OFFSET_S) << 32n) | BigInt(fraction);
}

const fixed = new WeakSet<RTCRtpSender>();

export function ntpNow(): bigint {
  return ntpOfMs(performance.timeOrigin + performance.now());
}

/** What werift keeps of the last packet it sent (set before `ntpTimestamp`). */
interface SenderState { timestamp?: number; timestampOffset: number; track?: MediaStreamTrack | null }

export function stampSenderReportsRight(sender: RTCRtpSender): void {
  if (fixed.has(sender)) return;
  fixed.add(sender);
  let ntp = 0n;
  Object.defineProperty(sender, 'ntpTimestamp', {
    configurable: true, enumerable: true,
    get: () => ntp,
    set: () => {
      const s = sender as unknown as SenderState;
      const clock = s.track ? clocks.get(s.track) : undefined;
      // The timestamp the track wrote: werift adds its offset when it sends.
      ntp = clock && s.timestamp !== undefined ? ntpOfMs(clock((s.timestamp - s.timestampOffset) >>> 0)) : ntpNow();
    },
  });
}
