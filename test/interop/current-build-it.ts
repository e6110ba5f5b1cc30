/**
 * `it` for a test of today's lib-jitsi-meet build: a loud skip where the build is absent
 * (../shared/vendor/lib-jitsi-meet) or LJM_BUILD selects the other one, and the browser tests'
 * own skip where there is no Chromium outside CI.
 */
import { it } from 'vitest';
import { browserIt } from '../helpers/netns-test.ts';
import { buildSelected, currentLjmUnavailable } from './ljm-builds.ts';

export function currentBuildIt(what: string): typeof it {
  const missing = currentLjmUnavailable();
  if (missing) {
    console.warn(`\n*** SKIPPING ${what} with today's lib-jitsi-meet: ${missing} ***\n`);
    return it.skip as unknown as typeof it;
  }
  if (!buildSelected('current')) {
    console.warn(`skipping ${what} with today's lib-jitsi-meet: LJM_BUILD=${process.env.LJM_BUILD}`);
    return it.skip as unknown as typeof it;
  }
  return browserIt(`${what} with today's lib-jitsi-meet`);
}
