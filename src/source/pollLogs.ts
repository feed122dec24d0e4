import { EMPTY, type Observable, concatMap, defer, exhaustMap, timer } from 'rxjs';
import { afterEach } from '../internal/afterEach.js';
import type { LogBatch } from './LogBatch.js';
import { type LogRangeReader, readLogRange } from './readLogRange.js';
import { requestBlockNumber } from './rpcRequests.js';

/** A resolved, validated poller configuration. */
export interface PollLogsConfig extends LogRangeReader {
  /** Milliseconds between polls. */
  readonly pollInterval: number;
  /** Blocks at or below `head - confirmations` are read. */
  readonly confirmations: number;
  /** First block to read; `undefined`: the first block not yet confirmed when polling starts. */
  readonly fromBlock?: number | undefined;
}

/**
 * The poll loop. Each tick asks for the head and, when a new confirmed block exists,
 * reads from the cursor up to `head - confirmations` in chunks. Ticks that fall while a
 * poll is still running are dropped (`exhaustMap`), so polls never overlap; the cursor
 * moves past a chunk only after its batch has been delivered.
 */
export function pollLogs(config: PollLogsConfig): Observable<LogBatch> {
  return defer(() => {
    let cursor = config.fromBlock;
    return timer(0, config.pollInterval).pipe(
      exhaustMap(() =>
        requestBlockNumber(config.rpc).pipe(
          concatMap((head) => {
            const confirmed = head - config.confirmations;
            cursor ??= Math.max(0, confirmed + 1);
            return confirmed < cursor ? EMPTY : readLogRange(config, cursor, confirmed);
          }),
          afterEach((batch) => {
            cursor = batch.toBlock + 1;
          }),
        ),
      ),
    );
  });
}
