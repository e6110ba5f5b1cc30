/**
 * The bridge-channel fuzzer with a small budget (longer runs: `npm run fuzz -- --target
 * bridge-channel --cases 20000`). FUZZ_SEED replays a seed; otherwise a fresh one, printed.
 */
import { describe, expect, it } from 'vitest';
import { fuzzBridgeChannel } from '../fuzz/bridge-channel-fuzzer.ts';
import { seedFrom } from '../fuzz/prng.ts';

describe('bridge-channel fuzzer against a real media node process', () => {
  it('400 seeded hostile messages: the node stays alive, keeps relaying in the attacked and another conference, counts no handler fault', async () => {
    const seed = seedFrom(process.env.FUZZ_SEED);
    console.log(`bridge-channel fuzz seed ${seed} (replay: FUZZ_SEED=${seed}, or npm run fuzz -- --target bridge-channel --seed ${seed})`);
    const report = await fuzzBridgeChannel({ seed, cases: 400 });
    expect(report.findings, `seed ${seed}`).toEqual([]);
    expect(report.sent).toBe(400);
    // The cases reached the node and the hostile ones were refused there (not, say, lost on the way);
    // how many are hostile depends on the seed (47 to over 100 seen), so the floor is low.
    expect(report.rejected['channel-message'] ?? 0).toBeGreaterThanOrEqual(20);
    expect(report.kinds['EndpointMessage msgPayload nested'] ?? 0).toBeGreaterThan(10);
  }, 60_000);
});
