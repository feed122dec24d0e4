import type { RpcLog } from './RpcLog.js';

/*
 * Log lists that a transport already read and checked to the letter of the library's
 * boundary (see readLogsAnswer): every log a well-formed RpcLog of one Nexus address, none
 * removed, in chain order. validateRpcLogs hands them on without a second pass. Only the
 * library's own code can mark a list: the registry is private to this module, so a list
 * returned by a user's `rpc` is always validated.
 */
const checkedFor = new WeakMap<readonly RpcLog[], string>();

/**
 * Marks `logs` as checked for the Nexus at `address` (lower case) and returns them.
 *
 * @example
 * ```ts
 * return markPrevalidated(logs, address);
 * ```
 */
export function markPrevalidated(logs: RpcLog[], address: string): RpcLog[] {
  checkedFor.set(logs, address);
  return logs;
}

/**
 * Whether `result` is a list marked by {@link markPrevalidated} for the Nexus at `address`.
 *
 * @example
 * ```ts
 * if (isPrevalidated(result, address)) return result;
 * ```
 */
export function isPrevalidated(result: unknown, address: string): result is RpcLog[] {
  return Array.isArray(result) && checkedFor.get(result) === address;
}
