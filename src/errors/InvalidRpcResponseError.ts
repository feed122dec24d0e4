import { describeValue } from '../internal/describeValue.js';
import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * A node answered a request with a result of the wrong shape (a head that is not a block,
 * an `eth_getLogs` result that is not an array, no answer at all). Such answers are
 * treated as transient and retried, so this reaches a subscriber as the `cause` of an
 * {@link RpcUnavailableError} once a bounded retry budget is spent. Individual malformed
 * logs are not errors: they are skipped and reported as diagnostics.
 *
 * @example
 * ```ts
 * import { InvalidRpcResponseError, RpcUnavailableError } from 'ogpu-events';
 *
 * nexus.registered$(source).subscribe({
 *   error: (error) => {
 *     if (error instanceof RpcUnavailableError && error.cause instanceof InvalidRpcResponseError) {
 *       console.error(`${error.cause.method} kept answering badly`, error.cause.details);
 *     }
 *   },
 * });
 * ```
 */
export class InvalidRpcResponseError extends OgpuEventsError {
  /** Always `'InvalidRpcResponseError'`. */
  override name = 'InvalidRpcResponseError';
  /** The JSON-RPC method whose result was rejected. */
  readonly method: string;

  constructor(method: string, result: unknown, problems: readonly string[]) {
    super('INVALID_RPC_RESPONSE', `Unexpected result from ${method}: ${describeValue(result)}`, {
      details: problems,
    });
    this.method = method;
  }
}
