import { describeValue } from '../internal/describeValue.js';
import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * Emitted on a stream when a JSON-RPC request failed. `method` names the request;
 * `cause` holds the transport's or the node's original error.
 *
 * @example
 * ```ts
 * import { RpcRequestError } from 'ogpu-events';
 *
 * nexus.taskStatusChanged$(task).subscribe({
 *   error: (error) => {
 *     if (error instanceof RpcRequestError) console.error(`${error.method} failed`, error.cause);
 *   },
 * });
 * ```
 */
export class RpcRequestError extends OgpuEventsError {
  override name = 'RpcRequestError';
  /** The JSON-RPC method that failed, e.g. `eth_getLogs`. */
  readonly method: string;

  constructor(method: string, cause: unknown) {
    super('RPC_REQUEST_FAILED', `JSON-RPC request ${method} failed: ${messageOf(cause)}`, { cause });
    this.method = method;
  }
}

/** The first line of an error's message; plain JSON-RPC error objects have one too. */
function messageOf(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
      ? (error as { message: string }).message
      : describeValue(error);
  return message.split('\n')[0] ?? message;
}
