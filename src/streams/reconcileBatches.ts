import { type Observable, type OperatorFunction, concatMap, defer, forkJoin, map, of } from 'rxjs';
import type { RpcLog } from '../codecs/RpcLog.js';
import type { LogPosition, NexusEvent } from '../events/NexusEvent.js';
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

const keyOf = (log: LogPosition): string => `${log.transactionHash}:${log.logIndex}`;

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
 *    On the first batch after a rewind, so is every event delivered from a block above
 *    the batch that the chain no longer has: above its `chainHead`, or with another hash
 *    (asked with `blockHashAt`, only in that case);
 * 3. then the batch's logs not delivered yet are decoded and emitted, in chain order.
 * Memory is bounded like the plain dedupe: logs more than `windowBlocks` below the newest
 * block seen are forgotten, and a log that old is taken as seen.
 */
export function reconcileBatches<E extends NexusEvent>(
  windowBlocks: number,
  decode: (log: RpcLog) => E | undefined,
  /** The current hash of block `number`; `undefined` when the chain has no such block. */
  blockHashAt: (number: number) => Observable<string | undefined>,
): OperatorFunction<ReadLogBatch, E> {
  return (source) =>
    source.pipe(
      reconcileBatchEvents(windowBlocks, decode, blockHashAt),
      concatMap((reconciled) => reconciled.events),
    );
}

/** One batch and what {@link reconcileBatchEvents} made of it: removals first, then new events. */
export interface ReconciledBatch<E> {
  readonly batch: ReadLogBatch;
  readonly events: readonly E[];
}

/**
 * {@link reconcileBatches}, one result per batch (a relay checkpoints after each), and
 * optionally starting from events delivered before (`delivered`, in the order they were
 * delivered; a removal deletes its event): a relay resuming from the events it had
 * published retracts those a reorg replaced meanwhile, and does not publish again those
 * still on the chain.
 */
export function reconcileBatchEvents<E extends NexusEvent>(
  windowBlocks: number,
  decode: (log: RpcLog) => E | undefined,
  blockHashAt: (number: number) => Observable<string | undefined>,
  deliveredBefore: Iterable<E> = [],
): OperatorFunction<ReadLogBatch, ReconciledBatch<E>> {
  return (source) =>
    defer(() => {
      const delivered = new Map<string, Delivered<E>>();
      for (const event of deliveredBefore) {
        if (event.removed) delivered.delete(keyOf(event));
        else delivered.set(keyOf(event), { blockNumber: event.blockNumber, blockHash: event.blockHash, event });
      }
      const coverage = new BlockCoverage();
      let highest = -1;

      /**
       * After a rewind whose re-read stops below blocks the stream delivered events from (a
       * replacing chain shorter, or not confirmed that far): the current hashes of those
       * blocks up to the chain's head. Above the head, nothing is left to ask.
       */
      const uncertainHashes = (batch: ReadLogBatch): Observable<ReadonlyMap<number, string | undefined>> => {
        const { chainHead } = batch;
        if (chainHead === undefined) return of(new Map());
        const blocks = new Set<number>();
        for (const entry of delivered.values()) {
          const n = entry.blockNumber;
          if (n > batch.toBlock && n <= chainHead && coverage.readAtOf(n) < batch.readAt) blocks.add(n);
        }
        if (blocks.size === 0) return of(new Map());
        return forkJoin([...blocks].map((n) => blockHashAt(n).pipe(map((hash) => [n, hash] as const)))).pipe(
          map((pairs) => new Map(pairs)),
        );
      };

      return source.pipe(
        concatMap((batch) => uncertainHashes(batch).pipe(map((hashes) => [batch, hashes] as const))),
        concatMap(([batch, hashes]) => {
          const horizon = highest - windowBlocks;
          const fresh = coverage.claim(batch.fromBlock, batch.toBlock, batch.readAt);
          const inFresh = (block: number): boolean => fresh.some(([from, to]) => block >= from && block <= to);
          const incoming = new Map<string, RpcLog>();
          for (const log of batch.logs) {
            if (log.blockNumber >= horizon && inFresh(log.blockNumber)) incoming.set(keyOf(log), log);
          }

          const out: E[] = [];
          // After a rewind, blocks above the batch are gone when the chain has none there
          // (past its head) or another one (its hash, asked above), unless a later read
          // covered them.
          const replacedAbove = (block: number, hash: string): boolean =>
            batch.chainHead !== undefined &&
            block > batch.toBlock &&
            coverage.readAtOf(block) < batch.readAt &&
            (block > batch.chainHead || hashes.get(block) !== hash);
          for (const [key, entry] of delivered) {
            const now = incoming.get(key);
            const gone = inFresh(entry.blockNumber)
              ? now?.blockHash !== entry.blockHash
              : (now !== undefined && now.blockHash !== entry.blockHash) ||
                replacedAbove(entry.blockNumber, entry.blockHash);
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
          return [{ batch, events: out }];
        }),
      );
    });
}
