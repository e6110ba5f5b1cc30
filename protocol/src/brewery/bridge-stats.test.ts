import { describe, expect, it } from 'vitest';
import { xml } from '../xml/element.ts';
import { NS_COLIBRI } from '../xml/namespaces.ts';
import { buildBridgeStats, emptyBridgeStats, parseBridgeStats } from './bridge-stats.ts';

describe('bridge stats', () => {
  it('buildBridgeStats() then parseBridgeStats() round-trips every field', () => {
    const stats = { ...emptyBridgeStats(), stressLevel: 0.25, drain: true, region: 'eu', version: '1.2.3', conferences: 3, participants: 7 };
    expect(parseBridgeStats(xml('presence', null, buildBridgeStats(stats)))).toEqual(stats);
  });

  it('parseBridgeStats() without a stats child returns undefined', () => {
    expect(parseBridgeStats(xml('presence'))).toBeUndefined();
  });

  it('parseBridgeStats() with a non-numeric stress level throws bad-request', () => {
    const presence = xml('presence', null, xml('stats', { xmlns: NS_COLIBRI }, xml('stat', { name: 'stress_level', value: 'high' })));
    expect(() => parseBridgeStats(presence)).toThrow(/stress_level/);
  });

  it('parseBridgeStats() ignores unknown stats and keeps defaults', () => {
    const presence = xml('presence', null, xml('stats', { xmlns: NS_COLIBRI }, xml('stat', { name: 'jitter', value: '3' })));
    expect(parseBridgeStats(presence)).toEqual(emptyBridgeStats());
  });
});
