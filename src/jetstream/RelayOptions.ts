import type { NexusEventsOptions } from '../client/NexusEventsOptions.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import type { BrokerOptions } from './BrokerOptions.js';

/**
 * Options of `relayToJetStream`: the chain side is the options of `createNexusEvents`
 * (node, Nexus address, polling, confirmations, retries), the broker side those of
 * {@link BrokerOptions}.
 *
 * @example
 * ```ts
 * import type { RelayOptions } from 'ogpu-events/jetstream';
 *
 * const options: RelayOptions = {
 *   network: 'testnet',
 *   servers: 'nats://relay:secret@127.0.0.1:4222',
 *   confirmations: 2,
 *   fromBlock: 1_200_000,
 * };
 * ```
 */
export interface RelayOptions extends NexusEventsOptions, BrokerOptions {
  /**
   * Where to start when the stream holds no checkpoint of this relay. With a checkpoint,
   * the relay resumes after it and this is ignored.
   * @default new blocks only
   */
  readonly fromBlock?: number | undefined;
  /**
   * The chain id, for a custom `rpc` transport without `getChainId()`; otherwise asked of
   * the node (`eth_chainId`).
   */
  readonly chainId?: number | bigint | undefined;
  /**
   * The duplicate window (milliseconds) of a stream the relay creates. Exactly-once does not
   * depend on it (a restarted relay reads back what it stored above its checkpoint); it
   * covers republishing after lost acknowledgements.
   * @default 120000
   */
  readonly duplicateWindow?: number | undefined;
  /**
   * At most this many publishes wait for their acknowledgement at once.
   * @default 1024
   */
  readonly maxPending?: number | undefined;
  /** Called with every diagnostic (the chain side's, and broker waits). */
  readonly onDiagnostic?: ((diagnostic: NexusDiagnostic) => void) | undefined;
}
