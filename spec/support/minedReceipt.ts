import type { JsonRpcProvider } from 'ethers';

/** What a test needs of a mined transaction's receipt. */
export interface MinedReceipt {
  readonly hash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
}

/**
 * Waits until the node has a receipt for `hash`, asking `eth_getTransactionReceipt` every few
 * milliseconds, and throws if the transaction reverted or is not mined within `timeoutMs`.
 *
 * Anvil's automine mines in the background: the receipt can be missing for a moment after
 * `eth_sendTransaction` answers. ethers' `tx.wait()` then waits for the *next* block to look
 * again, and in a test that mines nothing more it waits forever (seen: a CI run whose fixture
 * hung until the hook's timeout). Asking for the receipt directly has no such race.
 *
 * @example
 * const hash = await provider.send('eth_sendRawTransaction', [raw]);
 * const { blockNumber } = await minedReceipt(provider, hash);
 */
export async function minedReceipt(provider: JsonRpcProvider, hash: string, timeoutMs = 30_000): Promise<MinedReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = (await provider.send('eth_getTransactionReceipt', [hash])) as {
      blockNumber: string;
      blockHash: string;
      status: string;
    } | null;
    if (receipt !== null) {
      if (receipt.status !== '0x1') throw new Error(`transaction ${hash} reverted`);
      return { hash, blockNumber: Number.parseInt(receipt.blockNumber, 16), blockHash: receipt.blockHash };
    }
    if (Date.now() > deadline) throw new Error(`transaction ${hash} was not mined within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
