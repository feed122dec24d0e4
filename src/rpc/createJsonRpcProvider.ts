import { JsonRpcProvider, Network } from 'ethers';

/**
 * The provider the library builds for an `rpcUrl`.
 *
 * - `staticNetwork`: ethers otherwise detects the chain before the first call and, when
 *   the node is down, retries that forever in the background and logs every second.
 *   The library never signs, so the chain id only labels the provider.
 * - `batchMaxCount: 1`: one JSON-RPC object per HTTP request, without the 10 ms stall
 *   ethers waits to fill a batch.
 */
export function createJsonRpcProvider(url: string, chainId?: bigint): JsonRpcProvider {
  const network = chainId === undefined ? new Network('custom', 0n) : Network.from(chainId);
  return new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1 });
}
