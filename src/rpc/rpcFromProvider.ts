import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { hasMethods } from '../internal/hasMethods.js';
import type { NexusRpc } from './NexusRpc.js';
import { jsonRpcCalls } from './jsonRpcCalls.js';

/**
 * Anything with an ethers-style `send(method, params)`: a `JsonRpcProvider`,
 * `BrowserProvider`, or a thin wrapper of your own.
 *
 * @example
 * ```ts
 * import { JsonRpcProvider } from 'ethers';
 * import type { JsonRpcSender } from 'ogpu-events';
 *
 * const sender: JsonRpcSender = new JsonRpcProvider('http://127.0.0.1:8545');
 * ```
 */
export interface JsonRpcSender {
  /** Sends one JSON-RPC call and resolves to its `result` (rejects with the node's or the transport's error). */
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Adapts an ethers provider to {@link NexusRpc}. Calls go through `send` with raw
 * JSON-RPC, which skips ethers' per-log formatting (a keccak checksum of every address):
 * the library validates and decodes the raw logs itself.
 *
 * The provider's own timeout and retry settings still apply underneath the library's
 * (`requestTimeout`, `retry`); for a plain URL, prefer the `rpcUrl` option, whose `fetch`
 * transport has no hidden retry and decodes large answers much faster.
 *
 * @example
 * ```ts
 * import { JsonRpcProvider } from 'ethers';
 * import { rpcFromProvider, logPoller$ } from 'ogpu-events';
 *
 * const rpc = rpcFromProvider(new JsonRpcProvider('http://127.0.0.1:8545'));
 * logPoller$({ rpc, address: nexusAddress }).subscribe((batch) => console.log(batch.logs.length));
 * ```
 */
export function rpcFromProvider(provider: JsonRpcSender): NexusRpc {
  if (!hasMethods(provider, ['send'])) {
    throw new InvalidOptionError('provider', provider, 'an ethers provider with send(method, params)');
  }
  return jsonRpcCalls((method, params) => provider.send(method, params));
}
