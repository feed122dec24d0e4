import { Observable, type OperatorFunction } from 'rxjs';
import type { RpcLog } from '../codecs/RpcLog.js';
import { SeenLogs } from './SeenLogs.js';

/**
 * The last steps of a stream, fused into one loop per batch: each log of each batch, in
 * order, is dropped if already seen (by transactionHash and logIndex, see
 * {@link SeenLogs}), else decoded; the events that decode are emitted. A log that does not
 * decode (`decode` returns `undefined`, having reported it) is skipped and the stream goes
 * on.
 *
 * It does what `concatMap((b) => b.logs), filter((log) => seen.admit(log)), map(decode),
 * filter(defined)` does, without four operator hops per log. A subscriber that leaves in
 * the middle of a batch (`take(n)`) stops the loop there.
 *
 * @example
 * batches$.pipe(decodeBatches(DEDUPE_WINDOW_BLOCKS, decode)).subscribe(deliver);
 */
export function decodeBatches<E>(
  windowBlocks: number,
  decode: (log: RpcLog) => E | undefined,
): OperatorFunction<{ readonly logs: readonly RpcLog[] }, E> {
  return (source) =>
    new Observable<E>((subscriber) => {
      const seen = new SeenLogs(windowBlocks);
      return source.subscribe({
        next: (batch) => {
          for (const log of batch.logs) {
            if (subscriber.closed) return;
            if (!seen.admit(log)) continue;
            const event = decode(log);
            if (event !== undefined) subscriber.next(event);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
