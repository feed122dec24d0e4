import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * The NATS server could not be reached (a wrong host or port, nothing listening, a URL
 * that is not a NATS URL), or the server has no JetStream. Emitted on the stream of
 * `relayToJetStream` or of a `createJetStreamNexusEvents` stream when the first connection
 * fails; once connected, a lost connection is reconnected instead.
 *
 * @example
 * ```ts
 * import { BrokerUnavailableError } from 'ogpu-events/jetstream';
 *
 * relayToJetStream(options).subscribe({
 *   error: (error) => {
 *     if (error instanceof BrokerUnavailableError) console.error(`no broker at ${error.servers.join(', ')}`);
 *   },
 * });
 * ```
 */
export class BrokerUnavailableError extends OgpuEventsError {
  /** Always `'BrokerUnavailableError'`. */
  override name = 'BrokerUnavailableError';
  /** The servers tried, without credentials. */
  readonly servers: readonly string[];

  constructor(servers: readonly string[], reason: string, cause?: unknown) {
    super('BROKER_UNAVAILABLE', `Cannot use the NATS server ${servers.join(', ')}: ${reason}`, { cause });
    this.servers = servers;
  }
}
