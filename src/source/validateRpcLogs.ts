import { RpcLog } from '../codecs/RpcLog.js';
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
  for (const raw of result as unknown[]) {
    const decoded = RpcLog.decode(raw);
    if (decoded._tag === 'Left') {
      report({ kind: 'invalid-log', reason: reportErrors(decoded.left), log: raw });
      continue;
    }
    const log = decoded.right;
    if (log.address !== address) {
      report({ kind: 'invalid-log', reason: [`log of ${log.address}, not of the Nexus ${address}`], log: raw });
      continue;
    }
    if (log.removed === true) continue;
    const previous = logs[logs.length - 1];
    if (previous !== undefined && compareLogs(previous, log) > 0) sorted = false;
    logs.push(log);
  }
  return sorted ? logs : logs.sort(compareLogs);
}

/** Chain order: by block number, then log index. */
export function compareLogs(a: RpcLog, b: RpcLog): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}
