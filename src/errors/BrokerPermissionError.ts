import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * The NATS server refused an operation to this user: publishing onto an event subject
 * (a consumer's user must not), creating the stream, or a JetStream API call its
 * permissions leave out. The README's "Scaling out" section lists what each role needs.
 *
 * @example
 * ```ts
 * import { BrokerPermissionError } from 'ogpu-events/jetstream';
 *
 * relayToJetStream(options).subscribe({
 *   error: (error) => {
 *     if (error instanceof BrokerPermissionError) console.error(`not allowed: ${error.operation}`);
 *   },
 * });
 * ```
 */
export class BrokerPermissionError extends OgpuEventsError {
  /** Always `'BrokerPermissionError'`. */
  override name = 'BrokerPermissionError';
  /** What was refused, e.g. `publish to ogpu.31337.TaskPublished.0x…`. */
  readonly operation: string;

  constructor(operation: string, cause?: unknown) {
    super('BROKER_PERMISSION_DENIED', `The NATS server refused this user permission to ${operation}`, { cause });
    this.operation = operation;
  }
}
