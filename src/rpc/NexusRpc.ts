import type { ObservableInput } from 'rxjs';

/**
 * The `eth_getLogs` filters the library sends: one address, topic0 in a set, and either a
 * closed block range or one block named by its hash (EIP-234). The newest blocks of a
 * read are asked for by hash, so that a node that has not seen them yet answers
 * "unknown block" instead of a silently incomplete list.
 *
 * @example
 * ```ts
 * import type { GetLogsFilter } from 'ogpu-events';
 *
 * const range: GetLogsFilter = { address: nexusAddress, topics: [[topic0]], fromBlock: 100, toBlock: 199 };
 * const oneBlock: GetLogsFilter = { address: nexusAddress, topics: [[topic0]], blockHash };
 * ```
 */
export type GetLogsFilter = GetLogsRangeFilter | GetLogsBlockHashFilter;

/**
 * An `eth_getLogs` filter over a closed block range.
 *
 * @example
 * ```ts
 * import type { GetLogsRangeFilter } from 'ogpu-events';
 *
 * const filter: GetLogsRangeFilter = { address: nexusAddress, topics: [[topic0]], fromBlock: 100, toBlock: 199 };
 * ```
 */
export interface GetLogsRangeFilter {
  /** The Nexus address, lower case. */
  readonly address: string;
  /** `[[topic0, …]]`: logs whose topic0 is any of these. */
  readonly topics: readonly (readonly string[])[];
  /** First block, inclusive. */
  readonly fromBlock: number;
  /** Last block, inclusive. */
  readonly toBlock: number;
  /** Never set on a range filter. */
  readonly blockHash?: undefined;
}

/**
 * An `eth_getLogs` filter for the one block with this hash (EIP-234).
 *
 * @example
 * ```ts
 * import type { GetLogsBlockHashFilter } from 'ogpu-events';
 *
 * const filter: GetLogsBlockHashFilter = { address: nexusAddress, topics: [[topic0]], blockHash };
 * ```
 */
export interface GetLogsBlockHashFilter {
  /** The Nexus address, lower case. */
  readonly address: string;
  /** `[[topic0, …]]`: logs whose topic0 is any of these. */
  readonly topics: readonly (readonly string[])[];
  /** The block's hash, lower case. */
  readonly blockHash: string;
  /** Never set on a block-hash filter. */
  readonly fromBlock?: undefined;
  /** Never set on a block-hash filter. */
  readonly toBlock?: undefined;
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
 *   getLogs: (f) =>
 *     provider.send('eth_getLogs', [
 *       f.blockHash === undefined ? { ...f, fromBlock: hex(f.fromBlock), toBlock: hex(f.toBlock) } : f,
 *     ]),
 *   getCode: (address) => provider.send('eth_getCode', [address, 'latest']),
 * };
 * ```
 */
export interface NexusRpc {
  /**
   * `eth_getBlockByNumber(block, false)`: the block (only `number`, `hash`, `parentHash`
   * and `logsBloom` are read), or `null` when the chain has no such block.
   */
  getBlock(block: number | 'latest'): ObservableInput<unknown>;
  /**
   * `eth_getLogs`: the matching logs, as the node returns them. The filter is a block
   * range or, for the newest blocks of a read, one block hash (EIP-234); a node that does
   * not know that hash should fail ("unknown block"), which the library retries.
   */
  getLogs(filter: GetLogsFilter): ObservableInput<unknown>;
  /** `eth_getCode(address, 'latest')`: checked once when polling starts, to fail fast on a wrong address. */
  getCode(address: string): ObservableInput<unknown>;
  /**
   * `eth_chainId`: the chain id as a hex quantity. Optional: only the JetStream relay asks
   * (its subjects name the chain), and it takes a `chainId` option from transports without it.
   */
  getChainId?(): ObservableInput<unknown>;
}
