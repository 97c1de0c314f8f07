import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * Builds the page into dist/dashboard, which the gateway serves at `/`. Everything is bundled: the page
 * fetches no font, script or style from elsewhere, so it works offline and behind a closed network.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(import.meta.dirname, '../../dist/dashboard'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
  logLevel: 'warn',
});
