import { EMPTY, type Observable, concat, concatMap, defer, of } from 'rxjs';
import { afterEach } from '../internal/afterEach.js';
import type { LogBatch } from '../source/LogBatch.js';

/** Inputs of {@link contiguousBatches}. */
export interface ContiguousBatchesParams {
  /** The chain head, asked once at subscription. */
  readonly head$: Observable<number>;
  /** First block wanted; `undefined`: only blocks mined after subscribing (above the head). */
  readonly fromBlock: number | undefined;
  readonly confirmations: number;
  /** The shared live batches (already reduced to this stream's topic). */
  readonly live$: Observable<LogBatch>;
  /** Reads a closed block range, for the backfill and for gaps. */
  readonly read: (fromBlock: number, toBlock: number) => Observable<LogBatch>;
}

/**
 * One stream's view of the chain: batches that together cover every block from its
 * start onward exactly once, in order.
 *
 * A stream keeps its own cursor (`next`, the first block it has not seen) instead of
 * trusting the shared poller to be where it needs it:
 * - at subscription it reads the head; with `fromBlock` it backfills
 *   `[fromBlock, head - confirmations]`, otherwise it starts at `head + 1`;
 * - then it follows the shared live batches: a batch wholly below the cursor is skipped,
 *   one that overlaps it is trimmed, and one that starts above it is preceded by a read
 *   of the gap. So joining a poller that is behind, ahead, or just starting never loses
 *   or repeats a block, and the backfill → live handoff needs no buffering.
 */
export function contiguousBatches(params: ContiguousBatchesParams): Observable<LogBatch> {
  return defer(() => {
    let next = 0;
    const advance = afterEach<LogBatch>((batch) => {
      next = batch.toBlock + 1;
    });

    const start$ = params.head$.pipe(
      concatMap((head) => {
        if (params.fromBlock === undefined) {
          next = head + 1;
          return EMPTY;
        }
        next = params.fromBlock;
        return params.read(params.fromBlock, head - params.confirmations).pipe(advance);
      }),
    );

    const follow$ = params.live$.pipe(
      concatMap((batch) => {
        if (batch.toBlock < next) return EMPTY;
        const gap$ = batch.fromBlock > next ? params.read(next, batch.fromBlock - 1) : EMPTY;
        return concat(
          gap$,
          defer(() => of(trimBatch(batch, next))),
        ).pipe(advance);
      }),
    );

    return concat(start$, follow$);
  });
}

/** The part of `batch` at or above block `from`. */
function trimBatch(batch: LogBatch, from: number): LogBatch {
  if (batch.fromBlock >= from) return batch;
  return { fromBlock: from, toBlock: batch.toBlock, logs: batch.logs.filter((log) => log.blockNumber >= from) };
}
