import { RpcLog, parseRpcLog } from '../codecs/RpcLog.js';
import { isPrevalidated } from '../codecs/prevalidatedLogs.js';
import { reportErrors } from '../codecs/reportErrors.js';
import { InvalidRpcResponseError } from '../errors/InvalidRpcResponseError.js';
import type { NexusDiagnostic } from './NexusDiagnostic.js';

/**
 * Validates the result of `eth_getLogs` at the boundary. A result that is not an array
 * fails the request; a single bad log is skipped and reported, never fatal. The valid
 * logs are returned in chain order (nodes sort them; this does not trust it). A list the
 * library's own transport already checked for `address` (readLogsAnswer) is returned as is.
 */
export function validateRpcLogs(
  result: unknown,
  address: string,
  report: (diagnostic: NexusDiagnostic) => void,
): RpcLog[] {
  if (isPrevalidated(result, address)) return result;
  if (!Array.isArray(result)) {
    throw new InvalidRpcResponseError('eth_getLogs', result, ['expected an array of logs']);
  }
  const logs: RpcLog[] = [];
  let sorted = true;
  let previous: RpcLog | undefined;
  for (const raw of result as unknown[]) {
    // The fast path, helped by the previous log (same block, transaction, topic, address);
    // the io-ts codec only for a log it refuses, to say why.
    let log = parseRpcLog(raw, previous);
    if (log === undefined) {
      const decoded = RpcLog.decode(raw);
      if (decoded._tag === 'Left') {
        report({ kind: 'invalid-log', reason: reportErrors(decoded.left), log: raw });
        continue;
      }
      log = decoded.right;
    }
    previous = log;
    if (log.address !== address) {
      report({ kind: 'invalid-log', reason: [`log of ${log.address}, not of the Nexus ${address}`], log: raw });
      continue;
    }
    if (log.removed === true) continue;
    const last = logs[logs.length - 1];
    if (last !== undefined && compareLogs(last, log) > 0) sorted = false;
    logs.push(log);
  }
  return sorted ? logs : logs.sort(compareLogs);
}

/** Chain order: by block number, then log index. */
export function compareLogs(a: RpcLog, b: RpcLog): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}
