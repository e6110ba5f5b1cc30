import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Integration tests: a real edge Worker (wrangler's unstable_startWorker, workerd in local mode)
// driven over loopback by third-party clients (@xmpp/client).
export default defineConfig({
  test: {
    name: 'integration',
    root: fileURLToPath(new URL('..', import.meta.url)),
    environment: 'node',
    include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts', 'test/interop/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One workerd per file; files run one after another so the 2-core machine is not oversubscribed.
    fileParallelism: false,
  },
});
