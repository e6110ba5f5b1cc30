import { describe, expect } from 'vitest';
import { runInNetns } from '../helpers/netns-test.ts';
import { currentBuildIt } from './current-build-it.ts';
import { withoutCodecRace } from './known-library-races.ts';

interface Flow { video: number; audio: number; p2p: boolean; heights: number[] }
interface VideoStats {
  inbound: Array<{ mimeType?: string; height?: number; ssrc: number }>;
  outbound: Array<{ mimeType?: string; scalabilityMode?: string; height?: number; active?: boolean; qualityLimitationReason?: string }>;
  encodings: Array<Array<{ active: boolean; scalabilityMode?: string }>>;
}
interface PcCounters { negotiationNeeded: number; remoteDescriptions: number; descriptionErrors: string[] }
interface PageReport {
  nick: string; negotiation: PcCounters | null; jingle: { in: Record<string, number>; out: Record<string, number> }; usersLeft: number;
  pageErrors: string[]; uncaught: string[]; libraryErrors: string[];
}
interface Result {
  error?: string; console?: string[][]; version: string; ids: string[]; bridgeFlow: Flow[]; video: VideoStats[]; sessionAccepts: string[];
  thumbnailHeights: number[]; aliceThumbnailHeights: number[]; stage: { carol: number[]; aliceSends: number }; carolVideo: VideoStats; pages: PageReport[];
  nodeStats: { forwardedPackets: number };
}


describe("today's lib-jitsi-meet sending VP9, AV1 and H.264, through the media node", () => {
  currentBuildIt('the codec interop test')('a three-party call where alice sends VP9 SVC, bob AV1 SVC (the library\'s default) and carol H.264 simulcast: every page decodes the other two, receivers get the spatial layer their constraints ask for, renegotiations bounded, no errors', () => {
    const r = runInNetns<Result>(new URL('./ljm-svc.run.ts', import.meta.url), { timeoutMs: 120_000 });
    expect(r.error, `${r.error}\n${JSON.stringify(r.console, null, 1)}`).toBeUndefined();
    const sent = r.video.map((v) => v.outbound.filter((o) => o.active).map((o) => `${o.mimeType} ${o.scalabilityMode} ${o.height}p`).join());
    console.log(`lib-jitsi-meet ${r.version} (alice VP9, bob AV1, carol H.264 first): sends ${sent.join(' / ')}; carol's thumbnails ${r.thumbnailHeights.join('/')}, with alice on stage ${r.stage.carol.join('/')} (alice sending up to ${r.stage.aliceSends}p); renegotiations ${r.pages.map((p) => `${p.nick} ${p.negotiation?.remoteDescriptions}`).join(', ')}`);

    // Alice sends VP9 and bob AV1 as one SVC encoding each (k-SVC, L2T3_KEY for a 360p camera or fewer
    // layers; AV1's dependency descriptor forwarded and read by the node), carol H.264 simulcast; each decodes the other two.
    const sends = ['video/VP9', 'video/AV1', 'video/H264'];
    for (const [i, v] of r.video.entries()) {
      expect(r.bridgeFlow[i]).toMatchObject({ video: 2, audio: 2, p2p: false });
      expect(v.inbound.map((x) => x.mimeType).sort()).toEqual(sends.filter((_, j) => j !== i).sort());
      const active = v.outbound.filter((o) => o.active);
      expect(active[0]!.mimeType).toBe(sends[i]);
      // H.264 goes out as simulcast (several encodings, one SSRC each), the SVC codecs as one encoding.
      if (sends[i] === 'video/H264') continue;
      expect(active).toHaveLength(1);
      expect(active[0]!.scalabilityMode).toMatch(/^L[1-3]T3(_KEY)?$/);
      expect(v.encodings[0]!.filter((e) => e.active)).toHaveLength(1);
    }
    // Each session-accept puts the page's preference first (VP9 101 or AV1 41), with its RTX.
    expect(r.sessionAccepts[0]).toMatch(/<content[^>]*name="video"[\s\S]*?<payload-type[^>]*id="101"[^>]*name="VP9"[\s\S]*?apt" value="101"/);
    expect(r.sessionAccepts[1]).toMatch(/<content[^>]*name="video"[\s\S]*?<payload-type[^>]*id="41"[^>]*name="AV1"[\s\S]*?apt" value="41"/);
    expect(r.sessionAccepts[2]).toMatch(/<content[^>]*name="video"[\s\S]*?<payload-type[^>]*id="107"[^>]*name="H264"[\s\S]*?apt" value="107"/);
    // Thumbnails (180 asked): both 180p, the lower spatial layer of each 360p sender (alice's VP9, bob's AV1).
    expect(r.thumbnailHeights).toEqual([180, 180]);
    // Alice's thumbnails: bob's AV1 and carol's H.264 simulcast (the node found its layers' heights in their SPSs).
    expect(r.aliceThumbnailHeights).toEqual([180, 180]);
    // Alice on stage (720 asked): carol gets the tallest layer alice sends, bob stays at 180.
    expect(r.stage.aliceSends).toBeGreaterThanOrEqual(180);
    expect(r.stage.carol).toEqual([180, Math.min(360, r.stage.aliceSends)].sort((a, b) => a - b));
    expect(r.carolVideo.inbound.map((v) => v.mimeType).sort()).toEqual(['video/AV1', 'video/VP9']);

    for (const p of r.pages) {
      expect(p.negotiation, p.nick).not.toBeNull();
      const changes = 1 + (p.jingle.in['source-add'] ?? 0) + (p.jingle.in['source-remove'] ?? 0)
        + (p.jingle.out['source-add'] ?? 0) + (p.jingle.out['source-remove'] ?? 0) + p.usersLeft
        // With peers on other codecs the library may renegotiate once more on its own, to apply its
        // codec order (CodecSelection), as seen on the last joiner.
        + 1;
      expect(p.negotiation!.remoteDescriptions, `${p.nick}: ${JSON.stringify(p)}`).toBeLessThanOrEqual(changes);
      expect(p.negotiation!.negotiationNeeded, p.nick).toBeLessThanOrEqual(changes);
      expect(p.negotiation!.descriptionErrors, p.nick).toEqual([]);
      // No page errors (the setParameters errors of AV1 encodings among them) and no library errors,
      // but for the library's own codec-selection race (known-library-races.ts), at most once.
      for (const errors of [p.pageErrors, p.uncaught, p.libraryErrors]) {
        const { other, races } = withoutCodecRace(errors);
        expect(other, p.nick).toEqual([]);
        expect(races, p.nick).toBeLessThanOrEqual(3);
      }
    }
  }, 130_000);
});
