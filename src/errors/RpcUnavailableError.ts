import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * Emitted on a stream when a request kept failing with transient faults (timeouts, HTTP
 * 429 and 5xx, connection resets, JSON-RPC internal errors) until the retry budget set
 * with the `retry.maxRetries` option ran out. With the default budget (unbounded) it is
 * never raised: the stream waits for the node instead.
 *
 * `cause` is the failure of the last attempt: an {@link RpcRequestError}, or an
 * {@link InvalidRpcResponseError} when the node kept answering with malformed results.
 *
 * @example
 * ```ts
 * import { RpcUnavailableError, createNexusEvents } from 'ogpu-events';
 *
 * const nexus = createNexusEvents({ network: 'testnet', retry: { maxRetries: 5 } });
 * nexus.taskStatusChanged$(task).subscribe({
 *   error: (error) => {
 *     if (error instanceof RpcUnavailableError) console.error(`node down: ${error.method} failed ${error.attempts} times`);
 *   },
 * });
 * ```
 */
export class RpcUnavailableError extends OgpuEventsError {
  /** Always `'RpcUnavailableError'`. */
  override name = 'RpcUnavailableError';
  /** The JSON-RPC method that kept failing. */
  readonly method: string;
  /** How many times it was sent. */
  readonly attempts: number;

  constructor(method: string, attempts: number, lastError: OgpuEventsError) {
    super('RPC_UNAVAILABLE', `JSON-RPC request ${method} still failing after ${attempts} attempts`, {
      cause: lastError,
      details: [`last error: ${lastError.shortMessage}`],
    });
    this.method = method;
    this.attempts = attempts;
  }
}
