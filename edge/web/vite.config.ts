import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web app, built into the Worker's static assets (wrangler.toml [assets] → edge/public).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: fileURLToPath(new URL('../public', import.meta.url)), emptyOutDir: true, target: 'es2022', sourcemap: true },
  logLevel: 'warn',
});
