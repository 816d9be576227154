import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is plain TypeScript and one chart library: Vite bundles it into dist/apps/console, which the gateway
// serves at `/`. Asset names carry a content hash (the gateway caches them for a year).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // lightweight-charts is ~160 kB minified: more than Vite's 500 kB warning never applies, but keep an eye on it.
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite --config apps/console/vite.config.mts` during development: the API from a running gateway.
    proxy: {
      '/v1/stream': { target: 'ws://127.0.0.1:8080', ws: true },
      '/v1': 'http://127.0.0.1:8080',
    },
  },
});
