import { describeValue } from '../internal/describeValue.js';
import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * What the library found out about a failed request: the third argument of
 * {@link RpcRequestError}'s constructor.
 *
 * @example
 * ```ts
 * import { RpcRequestError, type RpcRequestErrorInfo } from 'ogpu-events';
 *
 * const info: RpcRequestErrorInfo = { rpcCode: -32601, message: 'the method eth_getLogs does not exist' };
 * const error = new RpcRequestError('eth_getLogs', new Error('method not found'), info);
 * ```
 */
export interface RpcRequestErrorInfo {
  /** The node's JSON-RPC error code, if it sent one. */
  readonly rpcCode?: number | undefined;
  /** HTTP status of the answer, if it was not 2xx. */
  readonly httpStatus?: number | undefined;
  /** The most specific message found (the node's rather than a transport wrapper's). */
  readonly message?: string | undefined;
  /** Further explanation. */
  readonly details?: readonly string[] | undefined;
}

/**
 * A JSON-RPC request failed. Emitted on a stream when retrying cannot help (an unknown
 * method, invalid parameters, an HTTP 401/403/404, a node refusing even a one-block
 * `eth_getLogs`); transient failures are retried instead and, once a bounded retry budget
 * is spent, end in {@link RpcUnavailableError} whose `cause` is one of these.
 *
 * `method` names the request; `rpcCode`/`httpStatus` carry what the node answered;
 * `cause` holds the transport's original error.
 *
 * @example
 * ```ts
 * import { RpcRequestError } from 'ogpu-events';
 *
 * nexus.taskStatusChanged$(task).subscribe({
 *   error: (error) => {
 *     if (error instanceof RpcRequestError) console.error(`${error.method} failed (${error.rpcCode ?? error.httpStatus})`, error.cause);
 *   },
 * });
 * ```
 */
export class RpcRequestError extends OgpuEventsError {
  /** Always `'RpcRequestError'`. */
  override name = 'RpcRequestError';
  /** The JSON-RPC method that failed, e.g. `eth_getLogs`. */
  readonly method: string;
  /** The node's JSON-RPC error code, if it sent one. */
  readonly rpcCode: number | undefined;
  /** HTTP status of the answer, if it was not 2xx. */
  readonly httpStatus: number | undefined;

  constructor(method: string, cause: unknown, info: RpcRequestErrorInfo = {}) {
    const message = info.message ?? messageOf(cause);
    const codes = [
      info.httpStatus === undefined ? undefined : `HTTP ${info.httpStatus}`,
      info.rpcCode === undefined ? undefined : `code ${info.rpcCode}`,
    ].filter((part) => part !== undefined);
    super(
      'RPC_REQUEST_FAILED',
      `JSON-RPC request ${method} failed: ${message}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`,
      { cause, ...(info.details === undefined ? {} : { details: info.details }) },
    );
    this.method = method;
    this.rpcCode = info.rpcCode;
    this.httpStatus = info.httpStatus;
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
