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
 * The two JSON-RPC calls the library makes. Pass your own to
 * `createNexusEvents({ rpc })` to use another transport (or to inject a fake in tests:
 * return Observables and time stays on the RxJS scheduler).
 *
 * Results are validated by the library, so implementations may return the node's
 * raw JSON: a hex quantity for the block number, the array of logs for `getLogs`.
 *
 * @example
 * ```ts
 * import type { NexusRpc } from 'ogpu-events';
 *
 * const rpc: NexusRpc = {
 *   getBlockNumber: () => provider.send('eth_blockNumber', []),
 *   getLogs: (f) => provider.send('eth_getLogs', [{ ...f, fromBlock: toQuantity(f.fromBlock), toBlock: toQuantity(f.toBlock) }]),
 * };
 * ```
 */
export interface NexusRpc {
  /** `eth_blockNumber`: the head, as a hex quantity, number or bigint. */
  getBlockNumber(): ObservableInput<unknown>;
  /** `eth_getLogs`: the matching logs, as the node returns them. */
  getLogs(filter: GetLogsFilter): ObservableInput<unknown>;
}
