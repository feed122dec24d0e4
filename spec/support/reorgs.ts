import type { FaultyRpcCall, FaultyRpcProxy } from './FaultyRpcProxy';
import { waitFor } from './streams';
import type { TestChain } from './testChain';

/** anvil: takes a snapshot of the chain; resolves to its id, for {@link revert}. */
export function snapshot(chain: TestChain): Promise<string> {
  return chain.provider.send('evm_snapshot', []) as Promise<string>;
}

/** anvil: reverts the chain to snapshot `id` (its head becomes the snapshot's head); throws if anvil refuses. */
export async function revert(chain: TestChain, id: string): Promise<void> {
  const reverted = (await chain.provider.send('evm_revert', [id])) as unknown;
  if (reverted !== true) throw new Error(`evm_revert(${id}) answered ${String(reverted)}`);
}

/** `eth_getBlockByNumber('latest')`: the head request of a poll tick or of a stream's start. */
export const isHeadRequest = (call: FaultyRpcCall): boolean =>
  call.method === 'eth_getBlockByNumber' && (call.params as unknown[])[0] === 'latest';

/**
 * Waits until the client behind `proxy` has asked for the head `count` more times. Polls
 * never overlap, so after two of them a whole tick has run on the chain as it was when
 * this was called.
 */
export async function polls(proxy: FaultyRpcProxy, count: number, ms = 10_000): Promise<void> {
  const heads = (): number => proxy.calls.filter(isHeadRequest).length;
  const seen = heads();
  await waitFor(() => heads() >= seen + count, ms, `${count} polls`);
}
