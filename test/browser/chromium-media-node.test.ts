import { describe, expect } from 'vitest';
import { browserIt, runInNetns } from '../helpers/netns-test.ts';

const runIt = browserIt('the Chromium transport test');

describe('Debian Chromium and the media node', () => {
  runIt('a browser answering a Jingle-style offer (no ice-lite) completes ICE + DTLS-SRTP with the node, whose own SRTP decrypts its audio and video', () => {
    // Loopback only: Chromium and everything it talks to run in a fresh network namespace with just `lo` up.
    const result = runInNetns<{ transport: string; srtpProfile: string; browser: string; rtp: Record<string, number>; candidates: string[] }>(new URL('./chromium-media-node.run.ts', import.meta.url), { timeoutMs: 60_000 });
    expect(result.transport).toBe('connected');
    expect(result.browser).toBe('connected');
    // Chromium offers AES-CM too, so the node's own allocation-free SRTP decrypts its packets.
    expect(result.srtpProfile).toBe('AES_CM_128_HMAC_SHA1_80');
    const counts = Object.values(result.rtp);
    expect(counts).toHaveLength(2);
    for (const n of counts) expect(n).toBeGreaterThan(20);
    expect(result.candidates.every((c) => c.includes(' 127.0.0.1 '))).toBe(true);
  }, 70_000);
});
