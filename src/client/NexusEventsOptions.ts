import type { RetryOptions } from './RetryOptions.js';
import type { NetworkName } from '../nexus/networks.js';
import type { NexusRpc } from '../rpc/NexusRpc.js';
import type { JsonRpcSender } from '../rpc/rpcFromProvider.js';

/**
 * Options of {@link createNexusEvents} (and of {@link logPoller$}).
 *
 * Give the node as exactly one of `rpcUrl`, `provider` or `rpc` (or let `network`
 * supply the public URL), and the Nexus `address` (or let `network` supply it).
 *
 * @example
 * ```ts
 * import type { NexusEventsOptions } from 'ogpu-events';
 *
 * const options: NexusEventsOptions = {
 *   rpcUrl: 'http://127.0.0.1:8545',
 *   address: '0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1',
 *   pollInterval: 1_000,
 *   confirmations: 2,
 * };
 * ```
 */
export interface NexusEventsOptions {
  /**
   * A known OpenGPU network: fills in `address` and `rpcUrl` (explicit options win).
   */
  readonly network?: NetworkName | undefined;
  /** HTTP(S) JSON-RPC URL, reached with the platform's `fetch` (Node.js ≥ 18, browsers). */
  readonly rpcUrl?: string | undefined;
  /** An ethers provider (or anything with `send(method, params)`) to use instead of `rpcUrl`. */
  readonly provider?: JsonRpcSender | undefined;
  /** A custom transport for the three calls the library makes; see {@link NexusRpc}. */
  readonly rpc?: NexusRpc | undefined;
  /** The Nexus contract address (checksummed or lower case). */
  readonly address?: string | undefined;
  /**
   * Milliseconds between polls.
   * @default 2000
   */
  readonly pollInterval?: number | undefined;
  /**
   * Only blocks at or below `head - confirmations` are read.
   * @default 0
   */
  readonly confirmations?: number | undefined;
  /**
   * Largest number of blocks in one `eth_getLogs` request; longer ranges are read in
   * chunks. A node that refuses a range for its size makes the client use less (and
   * grow back slowly), whatever this says.
   * @default 2000
   */
  readonly maxBlockRange?: number | undefined;
  /**
   * Milliseconds one request may take before it is abandoned and retried (a transient
   * failure); for `rpcUrl` the HTTP request is aborted.
   * @default 10000
   */
  readonly requestTimeout?: number | undefined;
  /** How transient failures are retried; see {@link RetryOptions}. Default: forever, 250 ms doubling to 30 s. */
  readonly retry?: RetryOptions | undefined;
}
