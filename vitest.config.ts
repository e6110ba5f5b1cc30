import { defineConfig } from 'vitest/config';

// One test command for every layer: unit tests next to the code (Node), Worker/Durable Object tests
// in workerd (edge/vitest.config.ts), and integration tests against a real local edge (test/).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['protocol/src/**/*.test.ts', 'focus/src/**/*.test.ts', 'media-node/src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/architecture/**/*.test.ts', 'edge/src/**/*.test.ts'],
        },
      },
      'edge/vitest.config.ts',
      'test/vitest.config.ts',
    ],
  },
});
