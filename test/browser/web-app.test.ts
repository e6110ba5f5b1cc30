import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the web app tests');

interface Flow { video: number; audio: number }
interface Result {
  error?: string; console: string[];
  firstFrameMs: number[]; tiles: string[][]; flow: Flow[]; muteSeen: boolean[]; chatSeen: boolean[]; shareSeen: boolean[]; shareFlow: Flow;
  afterLeaveTiles: string[][]; rejoinFlow: Flow[]; rejoinTiles: string[]; lockedError: string | null; homeHasForm: boolean;
  sentLayers: number; receivedHeights: number[][]; quality: string | null; connectionStats: boolean;
  remoteMuteShown: boolean; whileRemoteMuted: Flow; afterSelfUnmute: Flow;
  blipResumed: boolean; blipSameParticipant: boolean; blipChat: boolean;
  mixedWebSees: boolean; mixedWebFlow: Flow; mixedLjmSees: boolean; mixedLjmFlow: Flow;
}

describe('the web app in Debian Chromium, served by the edge, with a media node', () => {
  runIt('three people join one room, see and hear each other, mute, chat, share a screen, leave and rejoin; a locked room asks for its password; a lib-jitsi-meet participant joins the same call', () => {
    // Loopback only: Chromium and everything it talks to run in a fresh network namespace with just `lo` up.
    const r = runInNetns<Result>(new URL('./web-app.run.ts', import.meta.url), { timeoutMs: 200_000, env: { SCREENSHOT_DIR: fileURLToPath(new URL('../../test-results/web-app', import.meta.url)) } });
    expect(r.error, r.error).toBeUndefined();
    console.log(`web app: first remote video frame ${r.firstFrameMs.join(' / ')} ms after pressing join (screenshots in test-results/web-app/)`);
    expect(r.console).toEqual([]);
    expect(r.homeHasForm).toBe(true);
    expect(r.tiles).toEqual([['Bob', 'Carol'], ['Alice', 'Carol'], ['Alice', 'Bob']]);
    for (const f of r.flow) expect(f).toEqual({ video: 2, audio: 2 });
    for (const ms of r.firstFrameMs) expect(ms).toBeGreaterThan(0);
    // Simulcast: the camera goes out in at least two layers; with three people, tiles get the small one.
    expect(r.sentLayers).toBeGreaterThanOrEqual(2);
    for (const heights of r.receivedHeights) expect(heights[0]).toBeLessThanOrEqual(180);
    expect(r.quality).toMatch(/^Connection: (good|fair|poor)$/);
    expect(r.connectionStats).toBe(true);
    expect(r.muteSeen).toEqual([true, true]);
    // A moderator's mute: shown in the muted person's toolbar, his audio stops, and comes back when he unmutes.
    expect(r.remoteMuteShown).toBe(true);
    expect(r.whileRemoteMuted.audio).toBe(1);
    expect(r.afterSelfUnmute).toEqual({ video: 2, audio: 2 });
    expect(r.chatSeen).toEqual([true, true]);
    // A dropped signalling socket is resumed: same participant, nobody saw a leave, chat still flows.
    expect(r).toMatchObject({ blipResumed: true, blipSameParticipant: true, blipChat: true });
    expect(r.shareSeen).toEqual([true, true]);
    expect(r.shareFlow.video).toBe(2);
    expect(r.afterLeaveTiles).toEqual([['Bob'], ['Alice']]);
    for (const f of r.rejoinFlow) expect(f).toEqual({ video: 1, audio: 1 });
    expect(r.rejoinTiles).toEqual(['Bob']);
    expect(r.lockedError).toMatch(/locked/);
    // Mixed call with lib-jitsi-meet (issue: interop).
    expect(r).toMatchObject({ mixedWebSees: true, mixedLjmSees: true });
    expect(r.mixedWebFlow).toEqual({ video: 1, audio: 1 });
    expect(r.mixedLjmFlow).toEqual({ video: 1, audio: 1 });
  }, 220_000);
});
