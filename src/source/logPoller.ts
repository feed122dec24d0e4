import { type Observable, defer } from 'rxjs';
import type { NexusEventsOptions } from '../client/NexusEventsOptions.js';
import { resolveOptions, validateBlockNumber } from '../client/resolveOptions.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { NEXUS_TOPIC0S } from '../nexus/nexusEventTopics.js';
import { BlockSpan } from './BlockSpan.js';
import { NexusBloom } from './NexusBloom.js';
import type { LogBatch } from './LogBatch.js';
import type { NexusDiagnostic } from './NexusDiagnostic.js';
import { pollLogs } from './pollLogs.js';

/**
 * Options of {@link logPoller$}: the client's options, plus where to start and where to
 * send diagnostics.
 *
 * @example
 * ```ts
 * import type { LogPollerOptions } from 'ogpu-events';
 *
 * const options: LogPollerOptions = { network: 'testnet', fromBlock: 1_000_000, onDiagnostic: console.warn };
 * ```
 */
export interface LogPollerOptions extends NexusEventsOptions {
  /**
   * First block to read. Omitted: the first block not yet confirmed when the
   * subscription starts (head + 1 with no confirmations).
   */
  readonly fromBlock?: number | undefined;
  /** Called with every {@link NexusDiagnostic} (skipped logs, retries, range splits, reorgs). */
  readonly onDiagnostic?: ((diagnostic: NexusDiagnostic) => void) | undefined;
}

/**
 * The cold observable every client is built on: asks for the head block every
 * `pollInterval` ms and reads the Nexus logs of all six lifecycle events with one
 * `eth_getLogs` per new range (cut to the span the node accepts, at most
 * `maxBlockRange` blocks), emitting a {@link LogBatch} per range in chain order.
 * Transient failures are retried, reorgs rewound (the first batch after a rewind has
 * `rewound: true`); see the README's Reliability section. Each subscription runs its own
 * loop; unsubscribing stops it. Polls never overlap.
 *
 * Options are validated at the call: a bad one throws an {@link OgpuEventsError}.
 *
 * @example
 * ```ts
 * import { logPoller$ } from 'ogpu-events';
 *
 * logPoller$({ rpcUrl: 'http://127.0.0.1:8545', address: nexusAddress, fromBlock: 0 }).subscribe((batch) =>
 *   console.log(`${batch.fromBlock}..${batch.toBlock}: ${batch.logs.length} Nexus logs`),
 * );
 * ```
 */
export function logPoller$(options: LogPollerOptions): Observable<LogBatch> {
  const resolved = resolveOptions(options, ['fromBlock', 'onDiagnostic']);
  const fromBlock = validateBlockNumber('fromBlock', options.fromBlock);
  const onDiagnostic: unknown = options.onDiagnostic;
  if (onDiagnostic !== undefined && typeof onDiagnostic !== 'function') {
    throw new InvalidOptionError('onDiagnostic', onDiagnostic, 'a function');
  }
  return defer(() =>
    pollLogs({
      rpc: resolved.rpc,
      policy: resolved.policy,
      address: resolved.address.lower,
      topics: NEXUS_TOPIC0S,
      span: new BlockSpan(resolved.maxBlockRange),
      bloom: new NexusBloom(resolved.address.lower, NEXUS_TOPIC0S),
      pollInterval: resolved.pollInterval,
      confirmations: resolved.confirmations,
      fromBlock,
      report: options.onDiagnostic ?? (() => undefined),
    }),
  );
}
