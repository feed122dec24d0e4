/** How every request of a client is timed out and retried (validated options). */
export interface RequestPolicy {
  /** Milliseconds an attempt may take. */
  readonly timeout: number;
  /** Retries after the first attempt; `Infinity` for no bound. */
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  /** Source of jitter in [0, 1); injectable for deterministic tests. */
  readonly random: () => number;
}

/** The longest `Retry-After` honoured, in milliseconds. */
export const MAX_RETRY_AFTER = 5 * 60_000;

/**
 * Delay before retry number `retry` (1 for the first): exponential, capped, with "equal
 * jitter" (between half and all of the step), and at least the node's `Retry-After`.
 */
export function backoffDelay(policy: RequestPolicy, retry: number, retryAfterMs?: number): number {
  const step = Math.min(policy.maxDelay, policy.initialDelay * 2 ** Math.min(retry - 1, 52));
  const jittered = Math.round(step / 2 + (step / 2) * policy.random());
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER));
}
