import { EMPTY, type Observable, concat, concatMap, defer, map, of } from 'rxjs';
import { afterEach } from '../internal/afterEach.js';
import { concatEager } from '../internal/concatEager.js';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import type { LogBatch } from '../source/LogBatch.js';

/** Inputs of {@link contiguousBatches}. */
export interface ContiguousBatchesParams<B extends LogBatch = LogBatch> {
  /** The chain head, asked once at subscription. */
  readonly head$: Observable<RpcBlockHeader>;
  /** First block wanted; `undefined`: only blocks mined after subscribing (above the head). */
  readonly fromBlock: number | undefined;
  readonly confirmations: number;
  /** The shared live batches (already reduced to this stream's topic). */
  readonly live$: Observable<B>;
  /**
   * Reads a closed block range, for the backfill and for gaps; `top` is `toBlock`'s header
   * when it is at hand (the head itself, for a backfill without confirmations).
   */
  readonly read: (fromBlock: number, toBlock: number, top?: RpcBlockHeader) => Observable<B>;
}

type Step<B> = { readonly own: B } | { readonly live: B };

/**
 * One stream's view of the chain: batches that together cover every block from its
 * start onward, in order, at least once (the stream's dedupe drops what is seen twice).
 *
 * The stream subscribes to the shared live batches first and holds them while it starts
 * (so that a reorg the shared poller notices during a long backfill still reaches it):
 * - it reads the head; with `fromBlock` it backfills `[fromBlock, head - confirmations]`,
 *   otherwise its start is `head + 1`;
 * - then it follows the live batches, held ones first: blocks below its start are cut
 *   off; a batch that starts above the stream's cursor is preceded by a read of the gap;
 *   a batch that overlaps blocks the stream already covered passes whole, because it may
 *   be the poller re-reading after a reorg. So joining a poller that is behind, ahead, or
 *   just starting never loses a block.
 */
export function contiguousBatches<B extends LogBatch>(params: ContiguousBatchesParams<B>): Observable<B> {
  return defer(() => {
    let start = 0;
    let next = 0;
    const advance = afterEach<B>((batch) => {
      next = Math.max(next, batch.toBlock + 1);
    });

    const start$ = params.head$.pipe(
      concatMap((head) => {
        start = params.fromBlock ?? head.number + 1;
        next = start;
        if (params.fromBlock === undefined) return EMPTY;
        const end = head.number - params.confirmations;
        return params.read(params.fromBlock, end, end === head.number ? head : undefined);
      }),
      map((batch): Step<B> => ({ own: batch })),
    );
    const live$ = params.live$.pipe(map((batch): Step<B> => ({ live: batch })));

    return concatEager(start$, live$).pipe(
      concatMap((step) => {
        if ('own' in step) return of(step.own).pipe(advance);
        const batch = step.live;
        if (batch.toBlock < start) return EMPTY;
        const from = Math.max(batch.fromBlock, start);
        const gap$ = from > next ? params.read(next, from - 1) : EMPTY;
        return concat(
          gap$,
          defer(() => of(trimBatch(batch, start))),
        ).pipe(advance);
      }),
    );
  });
}

/** The part of `batch` at or above block `from`. */
function trimBatch<B extends LogBatch>(batch: B, from: number): B {
  if (batch.fromBlock >= from) return batch;
  return { ...batch, fromBlock: from, logs: batch.logs.filter((log) => log.blockNumber >= from) };
}
