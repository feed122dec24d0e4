import { FaultyRpcProxy } from '../../spec/support/FaultyRpcProxy';
import { type TestChain, randomAddress, startTestChain } from '../../spec/support/testChain';

export { FaultyRpcProxy, randomAddress, type TestChain };

/**
 * Starts anvil with a deployed MockNexus (same six event signatures as the real Nexus),
 * runs `body` with it and stops the chain afterwards, whatever happens.
 */
export async function withChain<T>(
  body: (chain: TestChain) => Promise<T>,
  anvilArgs: readonly string[] = [],
): Promise<T> {
  const chain = await startTestChain(anvilArgs);
  try {
    return await body(chain);
  } finally {
    await chain.stop();
  }
}

/**
 * A counting loopback JSON-RPC proxy in front of `url` (no faults: plain forwarding), for
 * `body`; stopped afterwards, whatever happens. `proxy.calls` lists every JSON-RPC call
 * that reached the node.
 */
export async function withCountingProxy<T>(url: string, body: (proxy: FaultyRpcProxy) => Promise<T>): Promise<T> {
  const proxy = await new FaultyRpcProxy(url, { rate: 0 }).start();
  try {
    return await body(proxy);
  } finally {
    await proxy.stop();
  }
}

/** How many of `calls` used each JSON-RPC method, most frequent first. */
export function countByMethod(calls: readonly { readonly method: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
