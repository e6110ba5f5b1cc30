/** Types of scripts/local-env.mjs for the TypeScript tests. */
export declare const localEnv: Readonly<{
  WRANGLER_SEND_METRICS: 'false';
  CLOUDFLARE_CF_FETCH_ENABLED: 'false';
  WRANGLER_HIDE_BANNER: 'true';
  X_LOCAL_OBSERVABILITY: 'false';
}>;
