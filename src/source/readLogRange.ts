import { EMPTY, type Observable, defer, expand, map } from 'rxjs';
import type { NexusRpc } from '../rpc/NexusRpc.js';
import type { LogBatch } from './LogBatch.js';
import type { NexusDiagnostic } from './NexusDiagnostic.js';
import { requestLogs } from './rpcRequests.js';
import { validateRpcLogs } from './validateRpcLogs.js';

/** What a range read needs to know. */
export interface LogRangeReader {
  readonly rpc: NexusRpc;
  /** Nexus address, lower case. */
  readonly address: string;
  /** topic0s to ask for. */
  readonly topics: readonly string[];
  /** Largest number of blocks in one `eth_getLogs`. */
  readonly maxBlockRange: number;
  readonly report: (diagnostic: NexusDiagnostic) => void;
}

/**
 * Reads the logs of blocks `[fromBlock, toBlock]` in consecutive chunks of at most
 * `maxBlockRange` blocks, one request at a time, emitting one {@link LogBatch} per
 * chunk in order. The next chunk is requested only after the previous batch has been
 * delivered downstream. Completes after `toBlock`; emits nothing if the range is empty.
 */
export function readLogRange(reader: LogRangeReader, fromBlock: number, toBlock: number): Observable<LogBatch> {
  const readChunk = (start: number): Observable<LogBatch> => {
    const end = Math.min(toBlock, start + reader.maxBlockRange - 1);
    return requestLogs(reader.rpc, {
      address: reader.address,
      topics: [reader.topics],
      fromBlock: start,
      toBlock: end,
    }).pipe(
      map((result) => ({
        fromBlock: start,
        toBlock: end,
        logs: validateRpcLogs(result, reader.address, reader.report),
      })),
    );
  };
  return defer(() =>
    fromBlock > toBlock
      ? EMPTY
      : readChunk(fromBlock).pipe(
          expand((batch) => (batch.toBlock < toBlock ? readChunk(batch.toBlock + 1) : EMPTY), 1),
        ),
  );
}
