import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * Emitted on a stream when the configured Nexus address holds no contract code on the
 * node's chain: a wrong address, or a node of another chain. Retrying cannot fix it, so
 * the stream fails at once instead of polling an empty address forever.
 *
 * @example
 * ```ts
 * import { NexusNotFoundError } from 'ogpu-events';
 *
 * nexus.registered$(source).subscribe({
 *   error: (error) => {
 *     if (error instanceof NexusNotFoundError) console.error(`no Nexus at ${error.address} on this chain`);
 *   },
 * });
 * ```
 */
export class NexusNotFoundError extends OgpuEventsError {
  /** Always `'NexusNotFoundError'`. */
  override name = 'NexusNotFoundError';
  /** The address that holds no code, checksummed. */
  readonly address: string;

  constructor(address: string) {
    super('NEXUS_NOT_FOUND', `No contract code at the Nexus address ${address} on this chain`, {
      details: ['check the address option (or network), and that the RPC URL is a node of the right chain'],
    });
    this.address = address;
  }
}
