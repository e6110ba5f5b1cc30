import { describe, expect, it } from 'vitest';
import { DominantSpeakerDetector, audioLevel, lastNSelection } from './dominant-speaker.ts';

describe('DominantSpeakerDetector', () => {
  it('onLevel() does not flap between speakers who take short turns (beeps, coughs); one who keeps talking takes over', () => {
    const d = new DominantSpeakerDetector();
    const changes: string[] = [];
    // Two equally loud speakers, each loud for 300 ms of every 1.2 s, out of phase (like two fake microphones).
    for (let t = 0; t < 12_000; t += 20) {
      const phase = t % 1200;
      for (const [who, on] of [['alice', phase < 300], ['bob', phase >= 600 && phase < 900]] as const) {
        const c = d.onLevel(who, on ? 10 : 100, t);
        if (c) changes.push(c.dominant);
      }
    }
    expect(changes).toEqual(['alice']);
    // Bob now talks on while alice is quiet: he takes over within a couple of seconds.
    let at = -1;
    for (let t = 12_000; t < 16_000 && at < 0; t += 20) {
      d.onLevel('alice', 110, t);
      if (d.onLevel('bob', 10, t)) at = t;
    }
    expect(at - 12_000).toBeGreaterThan(0);
    expect(at - 12_000).toBeLessThan(2500);
  });

  it('onLevel() hands the floor to someone talking in bursts once the dominant speaker has gone quiet', () => {
    const d = new DominantSpeakerDetector();
    for (let t = 0; t < 1000; t += 20) d.onLevel('alice', 10, t);
    expect(d.dominant).toBe('alice');
    let at = -1;
    for (let t = 1000; t < 6000 && at < 0; t += 20) {
      d.onLevel('alice', 127, t);
      if (d.onLevel('bob', (t % 1200) < 300 ? 10 : 120, t)) at = t;
    }
    expect(d.dominant).toBe('bob');
    expect(at - 1000).toBeLessThan(3000);
  });

  it('onLevel() makes the loud speaker dominant, and a louder one takes over only after the hold time', () => {
    const d = new DominantSpeakerDetector({ holdMs: 1000 });
    let change = null;
    for (let t = 0; t < 500 && !change; t += 20) change = d.onLevel('alice', 10, t);
    expect(change).toMatchObject({ dominant: 'alice', previous: [] });
    // Silence never wins.
    for (let t = 500; t < 3000; t += 20) expect(d.onLevel('bob', 127, t)).toBeNull();
    let switched = null;
    let at = 0;
    for (let t = 3000; t < 6000 && !switched; t += 20) {
      d.onLevel('alice', 60, t);
      switched = d.onLevel('bob', 5, t);
      at = t;
    }
    expect(switched).toEqual({ dominant: 'bob', previous: ['alice'] });
    expect(at).toBeGreaterThanOrEqual(3000);
    expect(d.order).toEqual(['bob', 'alice']);
  });

  it('remove() forgets an endpoint that left', () => {
    const d = new DominantSpeakerDetector({ holdMs: 0 });
    for (let t = 0; t < 400; t += 20) d.onLevel('a', 0, t);
    d.remove('a');
    expect(d.dominant).toBeNull();
    expect(d.order).toEqual([]);
  });
});

describe('audioLevel()', () => {
  it('reads the RFC 6464 level from a one-byte header extension and ignores packets without it', () => {
    const withExt = Buffer.from([0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 1, 0x10, 0x80 | 33, 0, 0, 1, 2, 3]);
    expect(audioLevel(withExt, 1)).toBe(33);
    expect(audioLevel(withExt, 2)).toBeUndefined();
    expect(audioLevel(Buffer.from([0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2]), 1)).toBeUndefined();
    expect(audioLevel(Buffer.from([0x90, 111]), 1)).toBeUndefined();
  });
});

describe('lastNSelection()', () => {
  it('keeps the most recent speakers first, never the receiver itself, all when N is -1', () => {
    const all = ['a', 'b', 'c', 'd'];
    expect(lastNSelection(['c', 'a'], all, 'b', 2)).toEqual(new Set(['c', 'a']));
    expect(lastNSelection(['b'], all, 'b', 2)).toEqual(new Set(['a', 'c']));
    expect(lastNSelection([], all, 'a', -1)).toEqual(new Set(['b', 'c', 'd']));
    expect(lastNSelection(['c'], all, 'a', 0)).toEqual(new Set());
  });
});
