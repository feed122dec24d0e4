import type { ObservableInput } from 'rxjs';
import type { NexusRpc } from './NexusRpc.js';

const toQuantity = (n: number): string => `0x${n.toString(16)}`;

/**
 * The {@link NexusRpc} calls as raw JSON-RPC requests (method and params), sent
 * through `send`: one mapping for every transport the library builds.
 */
export function jsonRpcCalls(send: (method: string, params: unknown[]) => ObservableInput<unknown>): NexusRpc {
  return {
    getBlock: (block) => send('eth_getBlockByNumber', [block === 'latest' ? 'latest' : toQuantity(block), false]),
    getLogs: (filter) =>
      send('eth_getLogs', [
        filter.blockHash === undefined
          ? {
              address: filter.address,
              topics: filter.topics,
              fromBlock: toQuantity(filter.fromBlock),
              toBlock: toQuantity(filter.toBlock),
            }
          : { address: filter.address, topics: filter.topics, blockHash: filter.blockHash },
      ]),
    getCode: (address) => send('eth_getCode', [address, 'latest']),
    getChainId: () => send('eth_chainId', []),
  };
}
