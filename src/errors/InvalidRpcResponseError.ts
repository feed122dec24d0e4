import { describeValue } from '../internal/describeValue.js';
import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * Emitted on a stream when a node answered a request with a result of the wrong shape
 * (for instance an `eth_blockNumber` that is not a hex quantity). Individual malformed
 * logs are not errors: they are skipped and reported as diagnostics.
 *
 * @example
 * ```ts
 * import { InvalidRpcResponseError } from 'ogpu-events';
 *
 * nexus.registered$(source).subscribe({
 *   error: (error) => {
 *     if (error instanceof InvalidRpcResponseError) console.error(error.method, error.details);
 *   },
 * });
 * ```
 */
export class InvalidRpcResponseError extends OgpuEventsError {
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
