// The environment of every local wrangler / workerd run (npm start, npm test, the test helpers'
// edges): nothing leaves the machine. One place, imported by scripts/start.mjs, scripts/test.mjs
// and test/helpers/edge.ts.
export const localEnv = Object.freeze({
  // No telemetry, no cf.json fetch, no update-check banner.
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  // Local tracing costs ~9x in Durable Object WebSocket throughput.
  X_LOCAL_OBSERVABILITY: 'false',
});
