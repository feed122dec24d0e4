/// <reference types="node" />
// Entry point of the `ogpu-events` command: runs main() and exits with its code.
import { main } from './main.js';

main().then(
  (code) => {
    process.exitCode = code;
    // Leave stdout to drain; exit even if a socket lingers.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
