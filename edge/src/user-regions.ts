/**
 * A client's region from where Cloudflare says the request came from (`request.cf.country`,
 * `request.cf.continent`), by the deployment's `USER_REGIONS` map, e.g.
 * `continent:EU=eu,continent:NA=us,country:GB=eu` (a country entry wins over its continent's).
 * `/config.js` publishes it as jitsi-meet's `deploymentInfo.userRegion`, which lib-jitsi-meet (and
 * the web app) announce as `jitsi_participant_region` for the focus's region-aware bridge selection.
 * A self-hosted edge has no `request.cf`: its clients announce no region (the edge's REGION applies).
 * @module
 */
import { isRegion } from '@edgemeet/protocol';
import { str, type ConfigProblems, type Raw } from './config-values.ts';

export interface UserRegions {
  readonly byCountry: ReadonlyMap<string, string>;
  readonly byContinent: ReadonlyMap<string, string>;
}

const CONTINENTS = new Set(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);

/** `USER_REGIONS`: comma-separated `continent:XX=region` / `country:XX=region`; unset: none. */
export function parseUserRegions(raw: Raw, p: ConfigProblems): UserRegions {
  const byCountry = new Map<string, string>();
  const byContinent = new Map<string, string>();
  for (const entry of (str(raw, 'USER_REGIONS') ?? '').split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const m = /^(continent|country):([A-Za-z]{2})=(.+)$/.exec(entry);
    const code = m?.[2]!.toUpperCase();
    if (!m || !code || !isRegion(m[3]!) || (m[1] === 'continent' && !CONTINENTS.has(code))) {
      p.add('USER_REGIONS', `expected continent:XX=region or country:XX=region (continents ${[...CONTINENTS].join(' ')}), got ${JSON.stringify(entry)}`);
      continue;
    }
    (m[1] === 'country' ? byCountry : byContinent).set(code, m[3]!);
  }
  return Object.freeze({ byCountry, byContinent });
}

/** The region for a request's `cf` properties, if the map has one. */
export function userRegionOf(map: UserRegions, cf: { country?: unknown; continent?: unknown } | undefined): string | undefined {
  const country = typeof cf?.country === 'string' ? cf.country.toUpperCase() : undefined;
  const continent = typeof cf?.continent === 'string' ? cf.continent.toUpperCase() : undefined;
  return (country && map.byCountry.get(country)) || (continent && map.byContinent.get(continent)) || undefined;
}
