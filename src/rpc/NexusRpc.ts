import type { ObservableInput } from 'rxjs';

/**
 * The `eth_getLogs` filter the library sends: one address, topic0 in a set, a closed
 * block range.
 *
 * @example
 * ```ts
 * import type { GetLogsFilter } from 'ogpu-events';
 *
 * const filter: GetLogsFilter = { address: nexusAddress, topics: [[topic0]], fromBlock: 100, toBlock: 199 };
 * ```
 */
export interface GetLogsFilter {
  /** The Nexus address, lower case. */
  readonly address: string;
  /** `[[topic0, …]]`: logs whose topic0 is any of these. */
  readonly topics: readonly (readonly string[])[];
  /** First block, inclusive. */
  readonly fromBlock: number;
  /** Last block, inclusive. */
  readonly toBlock: number;
}

/**
 * The three JSON-RPC calls the library makes. Pass your own to
 * `createNexusEvents({ rpc })` to use another transport (or to inject a fake in tests:
 * return Observables and time stays on the RxJS scheduler).
 *
 * Results are validated by the library, so implementations may return the node's raw
 * JSON. Errors may be thrown or emitted as they come: the library digs the node's
 * JSON-RPC error (`{ code, message }`), an HTTP status and `Retry-After`, or a socket
 * error code out of them to decide between retrying, asking for a smaller range, and
 * failing.
 *
 * @example
 * ```ts
 * import type { NexusRpc } from 'ogpu-events';
 *
 * const hex = (n: number) => `0x${n.toString(16)}`;
 * const rpc: NexusRpc = {
 *   getBlock: (block) => provider.send('eth_getBlockByNumber', [block === 'latest' ? block : hex(block), false]),
 *   getLogs: (f) => provider.send('eth_getLogs', [{ ...f, fromBlock: hex(f.fromBlock), toBlock: hex(f.toBlock) }]),
 *   getCode: (address) => provider.send('eth_getCode', [address, 'latest']),
 * };
 * ```
 */
export interface NexusRpc {
  /**
   * `eth_getBlockByNumber(block, false)`: the block (only `number`, `hash` and
   * `parentHash` are read), or `null` when the chain has no such block.
   */
  getBlock(block: number | 'latest'): ObservableInput<unknown>;
  /** `eth_getLogs`: the matching logs, as the node returns them. */
  getLogs(filter: GetLogsFilter): ObservableInput<unknown>;
  /** `eth_getCode(address, 'latest')`: checked once when polling starts, to fail fast on a wrong address. */
  getCode(address: string): ObservableInput<unknown>;
}
