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
  /**
   * Set on the first batch after a reorg: the poller went back and this batch re-reads
   * blocks at or below ones already emitted. Logs emitted before from blocks above
   * `fromBlock - 1` may belong to blocks that are no longer canonical (see the
   * `reorg` diagnostic); logs this batch repeats are the same logs, still canonical.
   */
  readonly rewound?: true;
}

/**
 * A batch as the readers make it: with the order in which its answer arrived among all
 * reads of the process, so that a stream can tell which of two reads of the same blocks
 * saw the chain later (the later one wins when they disagree after a reorg).
 */
export interface ReadLogBatch extends LogBatch {
  readonly readAt: number;
}

let reads = 0;

/** The next read sequence number: increasing over the life of the process. */
export function nextReadAt(): number {
  reads += 1;
  return reads;
}
