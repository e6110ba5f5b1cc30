import { describe, expect, it } from 'vitest';
import { FAILURE_TIMEOUT_MS, SELECT_TIMEOUT_MS, jibriFailed, jibriPresence, selectJibri, type JibriInstance } from './jibri-detector.ts';

const instance = (id: string, extra: Partial<JibriInstance> = {}): JibriInstance => ({ id, available: true, lastSelected: null, lastFailed: null, ...extra });

describe('selectJibri()', () => {
  it('selectJibri() picks only available instances and marks the pick selected', () => {
    const list = [instance('busy', { available: false }), instance('idle')];
    expect(selectJibri(list, 1000)?.id).toBe('idle');
    expect(list[1]!.lastSelected).toBe(1000);
  });

  it('selectJibri() does not pick an instance again within 200 ms of selecting it', () => {
    const list = [instance('a')];
    expect(selectJibri(list, 1000)?.id).toBe('a');
    expect(selectJibri(list, 1000 + SELECT_TIMEOUT_MS - 1)).toBeNull();
    expect(selectJibri(list, 1000 + SELECT_TIMEOUT_MS)?.id).toBe('a');
  });

  it('selectJibri() prefers the instance that failed longest ago, and picks none whose failure is under a minute old', () => {
    const list = [instance('recent', { lastFailed: 50_000 }), instance('old', { lastFailed: 10_000 })];
    expect(selectJibri(list, 75_000)?.id).toBe('old');
    const fresh = [instance('f', { lastFailed: 70_000 })];
    expect(selectJibri(fresh, 70_000 + FAILURE_TIMEOUT_MS - 1)).toBeNull();
    expect(selectJibri(fresh, 70_000 + FAILURE_TIMEOUT_MS)?.id).toBe('f');
  });

  it('selectJibri() prefers one that never failed over one that failed long ago', () => {
    const list = [instance('failed', { lastFailed: 0 }), instance('never')];
    expect(selectJibri(list, 1_000_000)?.id).toBe('never');
  });

  it('jibriPresence() saying available clears a failure; saying busy keeps it', () => {
    const i = instance('a');
    jibriFailed(i, 5000);
    jibriPresence(i, false);
    expect(i.lastFailed).toBe(5000);
    jibriPresence(i, true);
    expect(i.lastFailed).toBeNull();
    expect(selectJibri([i], 5001)?.id).toBe('a');
  });
});
