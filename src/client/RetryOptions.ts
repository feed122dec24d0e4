/**
 * How a client retries requests that failed for a transient reason (timeout, HTTP 429
 * or 5xx, connection reset or refused, JSON-RPC internal/server errors). The delay
 * before retry `n` is drawn between half and all of
 * `min(maxDelay, initialDelay × 2^(n-1))` (jitter spreads clients that failed together),
 * and is never shorter than the `Retry-After` the node sent (capped at 5 minutes).
 *
 * @example
 * ```ts
 * import { createNexusEvents, type RetryOptions } from 'ogpu-events';
 *
 * // Give up after 5 retries (about 15 s) and fail the stream with RpcUnavailableError.
 * const retry: RetryOptions = { maxRetries: 5, initialDelay: 1_000, maxDelay: 8_000 };
 * const nexus = createNexusEvents({ network: 'testnet', retry });
 * ```
 */
export interface RetryOptions {
  /**
   * Retries of one request before the stream fails with `RpcUnavailableError`
   * (code `RPC_UNAVAILABLE`). `Infinity` waits for the node as long as it takes.
   * @default Infinity
   */
  readonly maxRetries?: number | undefined;
  /**
   * Milliseconds before the first retry.
   * @default 250
   */
  readonly initialDelay?: number | undefined;
  /**
   * Upper bound of the backoff, in milliseconds.
   * @default 30000
   */
  readonly maxDelay?: number | undefined;
}
