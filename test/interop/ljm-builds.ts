/**
 * The two lib-jitsi-meet builds the interop tests load (see ljm-harness.ts), and whether today's is
 * at hand; kept apart from the harness so test files can decide to skip without loading it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Which lib-jitsi-meet a page loads: the npm build of December 2021, or today's upstream build. */
export type LjmBuild = '2021' | 'current';

/** The 2021 build (root package.json pins it). */
export const LJM_PACKAGE = '@lyno/lib-jitsi-meet';
export const LJM_VERSION = (JSON.parse(readFileSync(require.resolve(`${LJM_PACKAGE}/package.json`), 'utf8')) as { version: string }).version;

/** Where today's build is: `LJM_CURRENT_DIR`, else `../shared/vendor/lib-jitsi-meet/` next to the repository. */
export const CURRENT_LJM_DIR = process.env.LJM_CURRENT_DIR ?? fileURLToPath(new URL('../../../shared/vendor/lib-jitsi-meet/', import.meta.url));
export const CURRENT_FILES = ['lib-jitsi-meet.min.js', 'lib-jitsi-meet.e2ee-worker.js'];

/** Why today's build cannot be loaded (a missing file), or undefined when it can. */
export function currentLjmUnavailable(): string | undefined {
  const missing = CURRENT_FILES.filter((f) => !existsSync(`${CURRENT_LJM_DIR}/${f}`));
  return missing.length ? `today's lib-jitsi-meet build is not at ${CURRENT_LJM_DIR} (missing ${missing.join(', ')}; see issue 13)` : undefined;
}

/** `LJM_BUILD=2021|current` runs only that build's interop test; unset, both. */
export function buildSelected(build: LjmBuild): boolean {
  const only = process.env.LJM_BUILD;
  return only === undefined || only === '' || only === build;
}
