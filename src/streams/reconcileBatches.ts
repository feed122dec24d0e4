import { type OperatorFunction, concatMap, defer } from 'rxjs';
import type { RpcLog } from '../codecs/RpcLog.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { removalOf } from '../events/removalOf.js';
import type { ReadLogBatch } from '../source/LogBatch.js';
import { BlockCoverage } from './BlockCoverage.js';

/** A log the stream delivered (or skipped as undecodable), by (transactionHash, logIndex). */
interface Delivered<E> {
  readonly blockNumber: number;
  readonly blockHash: string;
  /** `undefined` for a log that did not decode: remembered so it is not reported again. */
  readonly event: E | undefined;
}

const keyOf = (log: RpcLog): string => `${log.transactionHash}:${log.logIndex}`;

/**
 * The `withRemovals` form of a stream's dedupe: every batch is a complete read of its
 * blocks on the chain as the node saw it, so it is also the truth about what the stream
 * delivered from those blocks before. For each batch (logs already in scope, chain order):
 * 1. the blocks no later read has covered are taken from it (an older read arriving late
 *    says nothing new);
 * 2. every event delivered from those blocks that the batch does not hold at the same
 *    (transactionHash, logIndex, blockHash), and every event whose (transactionHash,
 *    logIndex) the batch holds in another block, is retracted: its removal (a frozen copy
 *    with `removed: true`) is emitted;
 * 3. then the batch's logs not delivered yet are decoded and emitted, in chain order.
 * Memory is bounded like the plain dedupe: logs more than `windowBlocks` below the newest
 * block seen are forgotten, and a log that old is taken as seen.
 */
export function reconcileBatches<E extends NexusEvent>(
  windowBlocks: number,
  decode: (log: RpcLog) => E | undefined,
): OperatorFunction<ReadLogBatch, E> {
  return (source) =>
    defer(() => {
      const delivered = new Map<string, Delivered<E>>();
      const coverage = new BlockCoverage();
      let highest = -1;

      return source.pipe(
        concatMap((batch) => {
          const horizon = highest - windowBlocks;
          const fresh = coverage.claim(batch.fromBlock, batch.toBlock, batch.readAt);
          const inFresh = (block: number): boolean => fresh.some(([from, to]) => block >= from && block <= to);
          const incoming = new Map<string, RpcLog>();
          for (const log of batch.logs) {
            if (log.blockNumber >= horizon && inFresh(log.blockNumber)) incoming.set(keyOf(log), log);
          }

          const out: E[] = [];
          for (const [key, entry] of delivered) {
            const now = incoming.get(key);
            const gone = inFresh(entry.blockNumber)
              ? now?.blockHash !== entry.blockHash
              : now !== undefined && now.blockHash !== entry.blockHash;
            if (!gone) continue;
            delivered.delete(key);
            if (entry.event !== undefined) out.push(removalOf(entry.event));
          }
          for (const [key, log] of incoming) {
            if (delivered.has(key)) continue;
            const event = decode(log);
            delivered.set(key, { blockNumber: log.blockNumber, blockHash: log.blockHash, event });
            if (event !== undefined) out.push(event);
          }

          highest = Math.max(highest, batch.toBlock);
          const keepFrom = highest - windowBlocks;
          for (const [key, entry] of delivered) {
            if (entry.blockNumber < keepFrom) delivered.delete(key);
          }
          coverage.forgetBelow(keepFrom);
          return out;
        }),
      );
    });
}
