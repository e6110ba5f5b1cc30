/**
 * The XMPP fuzzer with a small budget against a real edge (longer runs: `npm run fuzz --
 * --target xmpp --cases 20000`). FUZZ_SEED replays a seed; otherwise a fresh one, printed.
 */
import { describe, expect, it } from 'vitest';
import { seedFrom } from '../fuzz/prng.ts';
import { fuzzXmpp } from '../fuzz/xmpp-fuzzer.ts';

describe('XMPP fuzzer against a real edge', () => {
  it('400 seeded mutations of real Jitsi stanzas: the room, the focus and another room keep answering; nothing fails unclassified', async () => {
    const seed = seedFrom(process.env.FUZZ_SEED);
    console.log(`xmpp fuzz seed ${seed} (replay: FUZZ_SEED=${seed}, or npm run fuzz -- --target xmpp --seed ${seed})`);
    const report = await fuzzXmpp({ seed, cases: 400 });
    expect(report.findings, `seed ${seed}`).toEqual([]);
    expect(report.sent).toBe(400);
    // The mix reached every kind of target, and some cases were bad enough to end the attacker's stream.
    for (const kind of ['iq jingle', 'message json-message', 'message av_moderation', 'presence x', 'iq conference']) {
      expect(Object.entries(report.kinds).filter(([k]) => k.startsWith(kind)).length, kind).toBeGreaterThan(0);
    }
    expect(report.reconnects).toBeGreaterThan(0);
  }, 90_000);
});
