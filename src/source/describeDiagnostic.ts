import type { NexusDiagnostic } from './NexusDiagnostic.js';

/**
 * One readable line for a diagnostic, for logs and status bars: what happened and what
 * the client does about it. The wording is for people; match on `kind` in code.
 *
 * @example
 * ```ts
 * import { createNexusEvents, describeDiagnostic } from 'ogpu-events';
 *
 * const nexus = createNexusEvents({ network: 'testnet' });
 * nexus.diagnostics$.subscribe((d) => console.warn(`ogpu-events: ${describeDiagnostic(d)}`));
 * // e.g. "ogpu-events: JSON-RPC request eth_getLogs failed: server response 503 Service
 * // Unavailable (HTTP 503); retry 1 in 480 ms"
 * ```
 */
export function describeDiagnostic(diagnostic: NexusDiagnostic): string {
  const d = diagnostic;
  switch (d.kind) {
    case 'rpc-retry':
      return `${d.reason}; retry ${d.retry} in ${d.delayMs} ms`;
    case 'range-split':
      return `blocks ${d.fromBlock}-${d.toBlock} refused (${d.reason}); now ${d.nextSpan} blocks at a time`;
    case 'reorg':
      return `reorg: block ${d.replacedBlock} replaced; re-reading from block ${d.ancestor + 1}${
        d.deeperThanMemory ? ' (deeper than the reorg memory)' : ''
      }`;
    case 'invalid-log':
      return `skipped a malformed log: ${d.reason.join('; ')}`;
    case 'lagging-node':
      return `${d.method} answered by a node behind the head (${d.reason}); asking again`;
    case 'invalid-message':
      return `${d.stream} skipped message ${d.sequence} on ${d.subject}: ${d.reason.join('; ')}`;
    case 'broker-wait':
      return d.reason;
    case 'undecodable-log':
      return `${d.stream ?? d.event} skipped a log that does not decode: ${d.reason.join('; ')}`;
  }
}
