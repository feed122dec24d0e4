import type { RpcLog } from '../codecs/RpcLog.js';

/**
 * What the poller emits: the Nexus logs of one block range, in chain order
 * (blockNumber, logIndex). Emitted for every range read, empty or not, so that a
 * subscriber sees the cursor advance.
 *
 * @example
 * ```ts
 * logPoller$({ network: 'testnet' }).subscribe((batch: LogBatch) =>
 *   console.log(`blocks ${batch.fromBlock}-${batch.toBlock}: ${batch.logs.length} logs`),
 * );
 * ```
 */
export interface LogBatch {
  /** First block of the range, inclusive. */
  readonly fromBlock: number;
  /** Last block of the range, inclusive. */
  readonly toBlock: number;
  /** The range's valid Nexus logs, in chain order. */
  readonly logs: readonly RpcLog[];
}
