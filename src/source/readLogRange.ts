import {
  EMPTY,
  type Observable,
  ReplaySubject,
  Subscription,
  catchError,
  connectable,
  defer,
  finalize,
  map,
  expand,
  queueScheduler,
  throwError,
} from 'rxjs';
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

/** One chunk's answer as the node gave it, before validation. */
interface ChunkAnswer {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly result: unknown;
  readonly readAt: number;
}

/**
 * Reads the logs of blocks `[fromBlock, toBlock]` in consecutive chunks of at most
 * `span.current` blocks, emitting one {@link LogBatch} per chunk in order. Reads are
 * pipelined with a read-ahead of one chunk: as soon as a chunk is answered, the next one
 * is requested, and only then is the answer validated and delivered downstream, so the
 * node works on chunk k+1 while the client decodes chunk k. Chunk k+2 is requested once
 * chunk k was delivered and chunk k+1 answered: at most one answer waits. When the node
 * refuses a chunk for its size, the same chunk is asked again smaller (reported as
 * `range-split`) and the next chunk starts after what was read; a node refusing even one
 * block fails the read with an {@link RpcRequestError}. Completes after `toBlock`; emits
 * nothing if the range is empty; unsubscribing cancels the request in flight.
 *
 * @example
 * readLogRange(reader, 1_000, 250_000).subscribe((batch) => deliver(batch.logs));
 */
export function readLogRange(reader: LogRangeReader, fromBlock: number, toBlock: number): Observable<ReadLogBatch> {
  const readChunk = (start: number, span: number): Observable<ChunkAnswer> => {
    const end = Math.min(toBlock, start + span - 1);
    let readAt = 0;
    return defer(() => {
      // Stamped when asked, not when answered: an answer held up on the way describes the
      // chain as it was when the request left, and must not pass for a later read.
      readAt = nextReadAt();
      return requestLogs(reader, {
        address: reader.address,
        topics: [reader.topics],
        fromBlock: start,
        toBlock: end,
      });
    }).pipe(
      map((result) => {
        reader.span.succeeded(end - start + 1);
        return { fromBlock: start, toBlock: end, result, readAt };
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
  return defer(() => {
    if (fromBlock > toBlock) return EMPTY;
    const inFlight = new Subscription();
    /** Sends the request for the chunk at `start` now; its answer is kept for the one subscriber to come. */
    const requestNow = (start: number): Observable<ChunkAnswer> => {
      const answer$ = connectable(readChunk(start, reader.span.current), {
        connector: () => new ReplaySubject<ChunkAnswer>(1),
        resetOnDisconnect: false,
      });
      inFlight.add(answer$.connect());
      return answer$;
    };
    /** A chunk's batch, the next chunk having been asked for first (before validation). */
    const stepOf = (
      answer: ChunkAnswer,
    ): { readonly batch: ReadLogBatch; readonly next$?: Observable<ChunkAnswer> } => {
      const next$ = answer.toBlock < toBlock ? requestNow(answer.toBlock + 1) : undefined;
      const batch: ReadLogBatch = {
        fromBlock: answer.fromBlock,
        toBlock: answer.toBlock,
        logs: validateRpcLogs(answer.result, reader.address, reader.report),
        readAt: answer.readAt,
      };
      return next$ === undefined ? { batch } : { batch, next$ };
    };
    return requestNow(fromBlock).pipe(
      map(stepOf),
      // A step is taken up once the previous batch was delivered: the chunk after it is asked
      // for only then (read-ahead of one). The queue scheduler keeps a transport that answers
      // synchronously from nesting one chunk's subscription inside the previous one's (a
      // stack overflow on long ranges).
      expand((step) => (step.next$ === undefined ? EMPTY : step.next$.pipe(map(stepOf))), 1, queueScheduler),
      map((step) => step.batch),
      finalize(() => inFlight.unsubscribe()),
    );
  });
}
