/**
 * Vite config of the dashboard. `ogpu-events` resolves to the library's own source, so
 * the page always runs the code in this repository, bundled for the browser as a user's
 * bundler would; `ogpu-events/jetstream` to the source of its `browser` export condition
 * (the consumer side over NATS WebSocket, for the relay mode).
 *
 * `browserOnly()` fails the build when anything on the page's import graph asks for a
 * Node built-in (`fs`, `node:http`, …): the library must run in a browser with nothing
 * but `fetch`, and a silent browser shim would hide a regression. `naclWithoutNodeCrypto()`
 * lets through the one guarded `require('crypto')` of the NATS client's tweetnacl.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserOnly, naclWithoutNodeCrypto } from '../../scripts/browserOnlyPlugin.mjs';

const source = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    // Exact matches: a plain 'ogpu-events' key would also rewrite 'ogpu-events/jetstream'.
    alias: [
      { find: /^ogpu-events$/, replacement: source('index.ts') },
      { find: /^ogpu-events\/jetstream$/, replacement: source('jetstream/browser.ts') },
    ],
  },
  plugins: [naclWithoutNodeCrypto(), browserOnly()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
