/**
 * Simulcast for the camera, the way lib-jitsi-meet does it on Chrome: the local answer's video
 * m-line gets two more SSRCs (each with its RTX partner) and an `a=ssrc-group:SIM` listing the
 * layers lowest first; Chrome then encodes three layers on those SSRCs, and the bridge forwards
 * each receiver the one its tiles need. The same SSRCs are reused for every later answer.
 * @module
 */

export interface SimulcastLayers { sim: number[]; rtx: number[] }

const randomSsrc = () => (crypto.getRandomValues(new Uint32Array(1))[0]! || 1) >>> 0;

/** Adds simulcast layers to the m-line with `mid` of a local SDP; `cache` keeps the SSRCs between answers. */
export function addSimulcast(sdp: string, mid: string, cache: { layers?: SimulcastLayers }): string {
  const sections = sdp.split(/(?=\r\nm=)/);
  return sections.map((section) => {
    if (!new RegExp(`\\r\\na=mid:${mid}(\\r\\n|$)`).test(section) || /a=ssrc-group:SIM /.test(section)) return section;
    const ssrcLines = [...section.matchAll(/\r\na=ssrc:(\d+) ([^\r\n]+)/g)];
    if (ssrcLines.length === 0) return section;
    const fid = /\r\na=ssrc-group:FID (\d+) (\d+)/.exec(section);
    const primary = Number(fid?.[1] ?? ssrcLines[0]![1]);
    const primaryRtx = fid ? Number(fid[2]) : undefined;
    const attrs = ssrcLines.filter((m) => Number(m[1]) === primary).map((m) => m[2]!);
    cache.layers ??= { sim: [primary, randomSsrc(), randomSsrc()], rtx: [primaryRtx ?? randomSsrc(), randomSsrc(), randomSsrc()] };
    const { sim, rtx } = cache.layers;
    sim[0] = primary;
    if (primaryRtx !== undefined) rtx[0] = primaryRtx;
    const lines = [`a=ssrc-group:SIM ${sim.join(' ')}`];
    for (let i = 1; i < sim.length; i++) {
      lines.push(`a=ssrc-group:FID ${sim[i]} ${rtx[i]}`);
      for (const ssrc of [sim[i]!, rtx[i]!]) for (const a of attrs) lines.push(`a=ssrc:${ssrc} ${a}`);
    }
    return `${section.replace(/\r\n$/, '')}\r\n${lines.join('\r\n')}${section.endsWith('\r\n') ? '\r\n' : ''}`;
  }).join('');
}
