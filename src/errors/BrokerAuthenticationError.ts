import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * The NATS server refused the credentials (a wrong user, password or token, or none
 * where the server needs some). Retrying with the same credentials cannot help, so the
 * stream fails at once.
 *
 * @example
 * ```ts
 * import { BrokerAuthenticationError } from 'ogpu-events/jetstream';
 *
 * nexus.taskStatusChanged$(task).subscribe({
 *   error: (error) => {
 *     if (error instanceof BrokerAuthenticationError) console.error('check the user and password in --nats');
 *   },
 * });
 * ```
 */
export class BrokerAuthenticationError extends OgpuEventsError {
  /** Always `'BrokerAuthenticationError'`. */
  override name = 'BrokerAuthenticationError';
  /** The servers tried, without credentials. */
  readonly servers: readonly string[];

  constructor(servers: readonly string[], cause?: unknown) {
    super('BROKER_AUTHENTICATION_FAILED', `The NATS server ${servers.join(', ')} refused the credentials`, {
      cause,
      details: ['give them in the URL (nats://user:password@host:4222) or as the user/pass or token options'],
    });
    this.servers = servers;
  }
}
