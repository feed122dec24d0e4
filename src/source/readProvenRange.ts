import { type Observable, concatMap, map, of } from 'rxjs';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import type { RpcLog } from '../codecs/RpcLog.js';
import { InvalidRpcResponseError } from '../errors/InvalidRpcResponseError.js';
import type { ReadLogBatch } from './LogBatch.js';
import type { NexusBloom } from './NexusBloom.js';
import { type LogRangeReader, readLogRange } from './readLogRange.js';
import { request, requestBlock } from './rpcRequests.js';
import { validateRpcLogs } from './validateRpcLogs.js';

/** A range reader that can also tell from a block's bloom whether it may hold Nexus logs. */
export interface ProvenRangeReader extends LogRangeReader {
  readonly bloom: NexusBloom;
}

/**
 * Reads `[fromBlock, top.number]` like {@link readLogRange}, and makes the newest block's
 * logs certain. Behind a load balancer, the `eth_getLogs` of a range may be answered by a
 * node that has not seen `top` yet; a legacy node then leaves its logs out without a word.
 * The range's answer is kept as it is when it vouches for `top` itself (it holds logs of
 * `top`: the node had reached it) or when `top`'s bloom rules out Nexus
 * logs (nothing to miss). Otherwise `top` is asked again by its hash (EIP-234), which a
 * node without that block refuses ("unknown block", retried while the block is still on
 * the chain; once it is not, the read fails with `ChainMoved` and is started over),
 * and its logs in the batch are replaced by that answer. Costs one request, only when the newest block may hold
 * Nexus logs and the range's answer shows none of them.
 */
export function readProvenRange(
  reader: ProvenRangeReader,
  fromBlock: number,
  top: RpcBlockHeader,
): Observable<ReadLogBatch> {
  return readLogRange(reader, fromBlock, top.number).pipe(
    concatMap((batch) => (batch.toBlock === top.number ? proveTop(reader, batch, top) : of(batch))),
  );
}

function proveTop(reader: ProvenRangeReader, batch: ReadLogBatch, top: RpcBlockHeader): Observable<ReadLogBatch> {
  const below = batch.logs.length - logsAtTop(batch.logs, top.number);
  const atTop = batch.logs.slice(below);
  // Logs of `top` show the node had reached it. Without them, the bloom must rule Nexus
  // logs out; a transport that drops the bloom leaves nothing to check, and the answer stands.
  const vouched = atTop.length > 0 || top.logsBloom === undefined || !reader.bloom.mayHoldLogs(top.logsBloom);
  if (vouched) return of(batch);
  return readBlockLogs(reader, top).pipe(
    map((logs) => {
      if (logs.length > atTop.length) {
        reader.report({
          kind: 'lagging-node',
          method: 'eth_getLogs',
          reason: `the answer for blocks ${batch.fromBlock}-${batch.toBlock} lacked ${logs.length - atTop.length} log(s) of block ${top.number}`,
        });
      }
      return { ...batch, logs: [...batch.logs.slice(0, below), ...logs] };
    }),
  );
}

/** How many of the (chain-ordered) `logs` are in block `number`, counted from the end. */
function logsAtTop(logs: readonly RpcLog[], number: number): number {
  let count = 0;
  while (count < logs.length && logs[logs.length - 1 - count]?.blockNumber === number) count += 1;
  return count;
}

/** The Nexus logs of the block `header` names, asked for by its hash. */
function readBlockLogs(reader: ProvenRangeReader, header: RpcBlockHeader): Observable<RpcLog[]> {
  // A block at that height with another hash, or none (a shorter chain, or a node behind:
  // either way a fresh start is safe), means the block is gone.
  const stillCanonical = (): Observable<boolean> =>
    requestBlock(reader, header.number).pipe(map((current) => current?.hash === header.hash));
  const filter = { address: reader.address, topics: [reader.topics], blockHash: header.hash };
  return request(
    reader,
    'eth_getLogs',
    () => reader.rpc.getLogs(filter),
    (result) => {
      const logs = validateRpcLogs(result, reader.address, reader.report);
      const stray = logs.find((log) => log.blockHash !== header.hash || log.blockNumber !== header.number);
      if (stray !== undefined) {
        throw new InvalidRpcResponseError('eth_getLogs', result, [
          `asked for the logs of block ${header.number} (${header.hash}), got one of block ${stray.blockNumber} (${stray.blockHash})`,
        ]);
      }
      return logs;
    },
    { stillValid: stillCanonical },
  );
}
