import { EMPTY, type Observable, concat, concatMap, defer, map, of, retry, throwError } from 'rxjs';
import { afterEach } from '../internal/afterEach.js';
import { concatEager } from '../internal/concatEager.js';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import { ChainMoved } from '../source/ChainMoved.js';
import type { LogBatch } from '../source/LogBatch.js';

/** Inputs of {@link contiguousBatches}. */
export interface ContiguousBatchesParams<B extends LogBatch = LogBatch> {
  /** The chain head, asked once at subscription. */
  readonly head$: Observable<RpcBlockHeader>;
  /** First block wanted; `undefined`: only blocks mined after subscribing (above the head). */
  readonly fromBlock: number | undefined;
  readonly confirmations: number;
  /**
   * The first block the live feed will deliver next, when it is running: a backfill stops
   * just below it, so that every block the stream delivers was, or will be, checked by the
   * poller's reorg anchors.
   */
  readonly liveFrom?: () => number | undefined;
  /** The shared live batches (already reduced to this stream's topic). */
  readonly live$: Observable<B>;
  /**
   * Reads a closed block range, for the backfill and for gaps; `top` is `toBlock`'s header
   * when it is at hand (the head itself, for a backfill without confirmations).
   */
  readonly read: (fromBlock: number, toBlock: number, top?: RpcBlockHeader) => Observable<B>;
  /**
   * Whether a live batch that ends below the stream's start must still pass, because it
   * may retract what the stream delivered above it. Default: the first batch after a rewind.
   */
  readonly speaksAbove?: (batch: B) => boolean;
}

type Step<B> = { readonly own: B } | { readonly live: B };

/**
 * One stream's view of the chain: batches that together cover every block from its
 * start onward, in order, at least once (the stream's dedupe drops what is seen twice).
 *
 * The stream subscribes to the shared live batches first and holds them while it starts
 * (so that a reorg the shared poller notices during a long backfill still reaches it):
 * - it reads the head; with `fromBlock` it backfills `[fromBlock, head - confirmations]`
 *   (or only up to just below the block the live feed delivers next, when that is lower:
 *   the feed brings the rest), otherwise its start is `head + 1`;
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

    let started = false;
    const start$ = defer(() =>
      params.head$.pipe(
        concatMap((head) => {
          if (!started) {
            started = true;
            start = params.fromBlock ?? head.number + 1;
            next = start;
          }
          if (params.fromBlock === undefined) return EMPTY;
          const confirmed = head.number - params.confirmations;
          const end = Math.min(confirmed, (params.liveFrom?.() ?? Infinity) - 1);
          return params.read(next, end, end === head.number ? head : undefined);
        }),
      ),
    ).pipe(
      // The chain changed under the history read (the block it ended at was replaced):
      // ask for the head again and go on from where the read had got to.
      retry({ delay: (error: unknown) => (error instanceof ChainMoved ? of(0) : throwError(() => error)) }),
      map((batch): Step<B> => ({ own: batch })),
    );
    const live$ = params.live$.pipe(map((batch): Step<B> => ({ live: batch })));

    return concatEager(start$, live$).pipe(
      concatMap((step) => {
        if ('own' in step) return of(step.own).pipe(advance);
        const batch = step.live;
        // A rewind below the stream's start still passes: it may retract blocks above.
        const speaksAbove = params.speaksAbove ?? ((b: B) => b.rewound === true);
        if (batch.toBlock < start && !speaksAbove(batch)) return EMPTY;
        const from = Math.max(batch.fromBlock, start);
        const gap$ =
          from > next
            ? defer(() => params.read(next, from - 1)).pipe(
                retry({ delay: (error: unknown) => (error instanceof ChainMoved ? of(0) : throwError(() => error)) }),
              )
            : EMPTY;
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
