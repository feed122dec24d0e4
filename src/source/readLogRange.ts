import { EMPTY, type Observable, catchError, defer, expand, map, queueScheduler, throwError } from 'rxjs';
import { RpcRequestError } from '../errors/RpcRequestError.js';
import type { BlockSpan } from './BlockSpan.js';
import { type ReadLogBatch, nextReadAt } from './LogBatch.js';
import { LogRangeRefusal, type RequestContext, requestLogs } from './rpcRequests.js';
import { validateRpcLogs } from './validateRpcLogs.js';

/** What a range read needs to know. */
export interface LogRangeReader extends RequestContext {
  /** Nexus address, lower case. */
  readonly address: string;
  /** topic0s to ask for. */
  readonly topics: readonly string[];
  /** How many blocks one `eth_getLogs` may cover; shared by the client's reads. */
  readonly span: BlockSpan;
}

/**
 * Reads the logs of blocks `[fromBlock, toBlock]` in consecutive chunks of at most
 * `span.current` blocks, one request at a time, emitting one {@link LogBatch} per chunk
 * in order. The next chunk is requested only after the previous batch has been
 * delivered downstream. When the node refuses a chunk for its size, the same chunk is
 * asked again smaller (reported as `range-split`); a node refusing even one block fails
 * the read with an {@link RpcRequestError}. Completes after `toBlock`; emits nothing if
 * the range is empty.
 */
export function readLogRange(reader: LogRangeReader, fromBlock: number, toBlock: number): Observable<ReadLogBatch> {
  const readChunk = (start: number, span: number): Observable<ReadLogBatch> => {
    const end = Math.min(toBlock, start + span - 1);
    return requestLogs(reader, {
      address: reader.address,
      topics: [reader.topics],
      fromBlock: start,
      toBlock: end,
    }).pipe(
      map((result) => {
        reader.span.succeeded(end - start + 1);
        return {
          fromBlock: start,
          toBlock: end,
          logs: validateRpcLogs(result, reader.address, reader.report),
          readAt: nextReadAt(),
        };
      }),
      catchError((error: unknown) => {
        if (!(error instanceof LogRangeRefusal)) return throwError(() => error);
        const next = reader.span.refused(start, end, error.refusal);
        if (next === undefined) {
          return throwError(
            () =>
              new RpcRequestError('eth_getLogs', error.failure.error, {
                message: error.failure.message,
                rpcCode: error.failure.rpcCode,
                httpStatus: error.failure.httpStatus,
                details: [`the node refuses eth_getLogs even for the single block ${start}`],
              }),
          );
        }
        reader.report({
          kind: 'range-split',
          fromBlock: start,
          toBlock: end,
          nextSpan: next.span,
          basis: next.basis,
          reason: error.failure.message,
        });
        return readChunk(start, next.span);
      }),
    );
  };
  return defer(() =>
    fromBlock > toBlock
      ? EMPTY
      : readChunk(fromBlock, reader.span.current).pipe(
          // The queue scheduler keeps a transport that answers synchronously from nesting
          // one chunk's subscription inside the previous one's (a stack overflow on long ranges).
          expand(
            (batch) => (batch.toBlock < toBlock ? readChunk(batch.toBlock + 1, reader.span.current) : EMPTY),
            1,
            queueScheduler,
          ),
        ),
  );
}
