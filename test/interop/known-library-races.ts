/**
 * Errors of today's lib-jitsi-meet that are the library's own and that the interop tests tolerate,
 * bounded and reported (docs/compatibility.md, "Known race in today's build"): its codec selection
 * (`CodecSelection.selectPreferredCodec` → `getConfiguredVideoCodec`) or its stats collector may
 * run on a peer connection whose local video track has no m-line in the remote description yet,
 * and read `payloads` of nothing.
 */
export const CODEC_RACE_PAGE_ERROR = /Cannot read properties of undefined \(reading 'payloads'\)[^]*getConfiguredVideoCodec/;
export const CODEC_RACE_STATS_ERROR = /\[stats:RTPStatsCollector\] Processing of RTP stats failed: TypeError: Cannot read properties of undefined \(reading 'payloads'\)/;

/** `errors` without the codec race, and how many of them were the race. */
export function withoutCodecRace(errors: readonly string[]): { other: string[]; races: number } {
  const other = errors.filter((e) => !CODEC_RACE_PAGE_ERROR.test(e) && !CODEC_RACE_STATS_ERROR.test(e));
  return { other, races: errors.length - other.length };
}
