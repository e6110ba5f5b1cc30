import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from './config.ts';
import { ConfigProblems } from './config-values.ts';
import { clientConfig } from './routes/config-js.ts';
import { parseUserRegions, userRegionOf } from './user-regions.ts';

describe('USER_REGIONS: a client region from Cloudflare\'s request.cf', () => {
  const p = new ConfigProblems();
  const map = parseUserRegions({ USER_REGIONS: 'continent:EU=eu, continent:na=us, country:GB=uk-1' }, p);

  it('a country entry wins over its continent, continents otherwise, nothing when unmapped', () => {
    expect(p.problems).toEqual([]);
    expect(userRegionOf(map, { country: 'DE', continent: 'EU' })).toBe('eu');
    expect(userRegionOf(map, { country: 'GB', continent: 'EU' })).toBe('uk-1');
    expect(userRegionOf(map, { country: 'US', continent: 'NA' })).toBe('us');
    expect(userRegionOf(map, { country: 'JP', continent: 'AS' })).toBeUndefined();
    expect(userRegionOf(map, undefined)).toBeUndefined();
  });

  it('names bad entries', () => {
    const q = new ConfigProblems();
    parseUserRegions({ USER_REGIONS: 'EU=eu,continent:XX=eu,country:DE=Not_A_Region' }, q);
    expect(q.problems).toHaveLength(3);
    expect(() => parseEdgeConfig({ USER_REGIONS: 'eu' })).toThrow(/USER_REGIONS/);
  });

  it('/config.js publishes deploymentInfo.userRegion (lib-jitsi-meet announces it as jitsi_participant_region)', () => {
    const config = parseEdgeConfig({ REGION: 'us', BRIDGE_REGIONS: 'eu,us', USER_REGIONS: 'continent:EU=eu' });
    expect(config.bridgeRegions).toEqual(['eu', 'us']);
    const url = new URL('https://meet.example.com/config.js');
    expect(clientConfig(config, url, { continent: 'EU', country: 'FR' }).deploymentInfo).toEqual({ region: 'us', userRegion: 'eu' });
    expect(clientConfig(config, url, { continent: 'SA' }).deploymentInfo).toEqual({ region: 'us' });
    expect(clientConfig(config, url).deploymentInfo).toEqual({ region: 'us' });
    expect(parseEdgeConfig({}).bridgeRegions).toEqual(['default']);
    expect(() => parseEdgeConfig({ BRIDGE_REGIONS: 'eu,US' })).toThrow(/BRIDGE_REGIONS/);
  });
});
