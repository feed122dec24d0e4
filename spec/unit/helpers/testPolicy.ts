import type { RequestPolicy } from '../../../src/source/RequestPolicy';

/**
 * A request policy for unit tests: no retries (a failure reaches the subscriber at
 * once), a timeout far beyond any test's virtual time, and jitter fixed at the middle
 * (`random` always 0.5) so that backoff delays are deterministic.
 */
export function testPolicy(overrides: Partial<RequestPolicy> = {}): RequestPolicy {
  return { timeout: 100_000, maxRetries: 0, initialDelay: 10, maxDelay: 1_000, random: () => 0.5, ...overrides };
}
