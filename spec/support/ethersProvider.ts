import { FetchRequest, JsonRpcProvider, Network } from 'ethers';

/**
 * The provider the library builds for an `rpcUrl`.
 *
 * - `staticNetwork`: ethers otherwise detects the chain before the first call and, when
 *   the node is down, retries that forever in the background and logs every second.
 *   The library never signs, so the chain id only labels the provider.
 * - `batchMaxCount: 1`: one JSON-RPC object per HTTP request, without the 10 ms stall
 *   ethers waits to fill a batch.
 * - The HTTP timeout is the library's `requestTimeout` (ethers' default is 5 minutes),
 *   and ethers' own retry of HTTP 429 is off: it would hide throttling from the
 *   library's backoff and read `Retry-After` seconds as milliseconds.
 */
export function createJsonRpcProvider(url: string, chainId: bigint | undefined, timeout: number): JsonRpcProvider {
  const network = chainId === undefined ? new Network('custom', 0n) : Network.from(chainId);
  const request = new FetchRequest(url);
  request.timeout = timeout;
  request.retryFunc = () => Promise.resolve(false);
  return new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
}
