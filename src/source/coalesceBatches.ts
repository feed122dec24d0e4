import { type OperatorFunction, Observable } from 'rxjs';
import type { ReadLogBatch } from './LogBatch.js';

/**
 * Merges consecutive batches into one until a batch reaches `lastBlock` (or the source
 * completes), then lets the rest pass as they come. The poller uses it after a reorg, so
 * that the re-read of every block it had already delivered arrives as one batch: a
 * stream then sees the whole replaced range at once and can retract what is gone before
 * it delivers anything of the new chain. The merged batch keeps the earliest `readAt`
 * of its parts (what it says is at least that fresh).
 */
export function coalesceBatches(lastBlock: number): OperatorFunction<ReadLogBatch, ReadLogBatch> {
  return (source) =>
    new Observable<ReadLogBatch>((subscriber) => {
      let pending: ReadLogBatch | undefined;
      let done = false;
      return source.subscribe({
        next: (batch) => {
          if (done) {
            subscriber.next(batch);
            return;
          }
          pending =
            pending === undefined
              ? batch
              : {
                  ...pending,
                  toBlock: batch.toBlock,
                  logs: [...pending.logs, ...batch.logs],
                  readAt: Math.min(pending.readAt, batch.readAt),
                };
          if (batch.toBlock >= lastBlock) {
            done = true;
            const merged = pending;
            pending = undefined;
            subscriber.next(merged);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (pending !== undefined) subscriber.next(pending);
          subscriber.complete();
        },
      });
    });
}
