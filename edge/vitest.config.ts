import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Worker and Durable Object tests, run inside workerd with the bindings of the root wrangler.toml.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: fileURLToPath(new URL('../wrangler.toml', import.meta.url)) },
      miniflare: { bindings: { LOG_LEVEL: 'warn', BRIDGE_SECRET: 'test-bridge-secret-0123456789', RECORDER_SECRET: 'test-recorder-secret-0123456789', RECORDING_PENDING_TIMEOUT_SECONDS: '3', BRIDGE_GRACE_SECONDS: '0', SESSION_ACCEPT_TIMEOUT_MS: '1500' } },
    }),
  ],
  test: {
    name: 'workers',
    include: ['edge/test/**/*.test.ts'],
    root: fileURLToPath(new URL('..', import.meta.url)),
  },
});
