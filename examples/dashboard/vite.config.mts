/**
 * Vite config of the dashboard. `ogpu-events` resolves to the library's own source, so
 * the page always runs the code in this repository, bundled for the browser as a user's
 * bundler would.
 *
 * `browserOnly()` fails the build when anything on the page's import graph asks for a
 * Node built-in (`fs`, `node:http`, …): the library must run in a browser with nothing
 * but `fetch`, and a silent browser shim would hide a regression.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserOnly } from '../../scripts/browserOnlyPlugin.mjs';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: { 'ogpu-events': fileURLToPath(new URL('../../src/index.ts', import.meta.url)) },
  },
  plugins: [browserOnly()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
