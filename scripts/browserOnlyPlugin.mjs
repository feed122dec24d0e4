// A Vite plugin that fails the build when anything on the bundle's import graph asks for a
// Node built-in (`fs`, `node:http`, …). The library must run in a browser with nothing but
// `fetch`; Vite's silent browser shim for built-ins would hide a regression. Used by the
// dashboard's build (examples/dashboard/vite.config.mts) and the package check
// (scripts/check-package.mjs), which bundles the packed tarball for the browser.
import { builtinModules } from 'node:module';

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** @returns {import('vite').Plugin} */
export function browserOnly() {
  return {
    name: 'ogpu-events:browser-only',
    enforce: 'pre',
    resolveId(id, importer) {
      if (NODE_BUILTINS.has(id) || id.startsWith('node:')) {
        this.error(`${importer ?? 'the entry'} imports the Node built-in "${id}"; a browser bundle must not`);
      }
      return null;
    },
  };
}
