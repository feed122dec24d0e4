import * as t from 'io-ts';
import { AddressHex, Bytes, Hash32, Quantity } from './hex.js';

/**
 * A log as `eth_getLogs` returns it, validated and normalised: hex in lower case,
 * block number and log index as numbers. The library's boundary with the node.
 *
 * @example
 * ```ts
 * logPoller$({ network: 'testnet' }).subscribe(({ logs }) => {
 *   for (const log of logs) console.log(log.blockNumber, log.logIndex, log.topics[0]);
 * });
 * ```
 */
export const RpcLog = t.intersection(
  [
    t.type({
      address: AddressHex,
      topics: t.array(Hash32),
      data: Bytes,
      blockNumber: Quantity,
      blockHash: Hash32,
      transactionHash: Hash32,
      logIndex: Quantity,
    }),
    t.partial({ removed: t.boolean }),
  ],
  'RpcLog',
);

/**
 * A log that passed {@link RpcLog}: the unit the poller emits and the streams decode.
 *
 * @example
 * ```ts
 * import type { RpcLog } from 'ogpu-events';
 *
 * const key = (log: RpcLog) => `${log.transactionHash}:${log.logIndex}`;
 * ```
 */
export type RpcLog = t.TypeOf<typeof RpcLog>;
