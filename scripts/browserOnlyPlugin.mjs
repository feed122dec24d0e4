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

// tweetnacl (under @nats-io/nkeys, so on the import graph of ogpu-events/jetstream) reaches
// for Node's `crypto` only where `self.crypto` is missing, behind a typeof-require guard: in a
// browser that branch never runs. This plugin gives that one import an empty module, so
// `browserOnly()` still fails on every other Node built-in.
const NO_NODE_CRYPTO = '\0nacl-no-node-crypto';

/** @returns {import('vite').Plugin} */
export function naclWithoutNodeCrypto() {
  return {
    name: 'ogpu-events:nacl-without-node-crypto',
    enforce: 'pre',
    resolveId: (id, importer) => (id === 'crypto' && importer?.includes('tweetnacl') ? NO_NODE_CRYPTO : null),
    load: (id) => (id === NO_NODE_CRYPTO ? 'export default {};' : null),
  };
}
