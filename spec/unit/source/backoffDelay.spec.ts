import fc from 'fast-check';
import { MAX_RETRY_AFTER, type RequestPolicy, backoffDelay } from '../../../src/source/RequestPolicy';

/** The library's defaults (250 ms doubling to 30 s), with a fixed jitter draw. */
function policy(random: number, overrides: Partial<Omit<RequestPolicy, 'random'>> = {}): RequestPolicy {
  return {
    timeout: 10_000,
    maxRetries: Number.POSITIVE_INFINITY,
    initialDelay: 250,
    maxDelay: 30_000,
    ...overrides,
    random: () => random,
  };
}

/** The largest draw `random` can give: just below 1. */
const TOP = 1 - Number.EPSILON;

/** The un-jittered delay of retry `retry`: min(maxDelay, initialDelay × 2^(retry-1)) (0 × ∞ taken as 0). */
const step = (p: RequestPolicy, retry: number): number =>
  p.initialDelay === 0 ? 0 : Math.min(p.maxDelay, p.initialDelay * 2 ** (retry - 1));

const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** Whole-millisecond policies as the options allow them: 0 ≤ initialDelay ≤ maxDelay < 2^31. */
const wholePolicy = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), draw)
  .map(([a, b, random]) => policy(random, { initialDelay: Math.min(a, b), maxDelay: Math.max(a, b) }));
const retryNumber = fc.integer({ min: 1, max: 2_000 });

describe('backoffDelay', () => {
  describe('doubles from initialDelay up to maxDelay, with "equal jitter" (half to all of the step)', () => {
    it.each([
      [1, 125, 250],
      [2, 250, 500],
      [3, 500, 1_000],
      [4, 1_000, 2_000],
      [7, 8_000, 16_000],
      [8, 15_000, 30_000],
      [9, 15_000, 30_000],
      [50, 15_000, 30_000],
    ])('retry %p with the defaults: %p ms at the lowest draw, %p ms at the highest', (retry, lowest, highest) => {
      expect(backoffDelay(policy(0), retry)).toBe(lowest);
      expect(backoffDelay(policy(TOP), retry)).toBe(highest);
    });

    it('is the middle of the range for a draw of 0.5', () => {
      expect(backoffDelay(policy(0.5), 1)).toBe(188); // 125 + 62.5, rounded
      expect(backoffDelay(policy(0.5), 3)).toBe(750);
    });

    it('is 0 with an initialDelay of 0', () => {
      expect(backoffDelay(policy(TOP, { initialDelay: 0, maxDelay: 0 }), 1)).toBe(0);
      expect(backoffDelay(policy(TOP, { initialDelay: 0 }), 40)).toBe(0);
    });

    it('stays finite and at most maxDelay for any retry number, however large', () => {
      for (const retry of [53, 54, 1_024, 1_025, 1e6, Number.MAX_SAFE_INTEGER]) {
        const delay = backoffDelay(policy(TOP), retry);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBe(30_000);
      }
      expect(backoffDelay(policy(TOP, { initialDelay: 2 ** 31 - 1, maxDelay: 2 ** 31 - 1 }), 1e6)).toBe(2 ** 31 - 1);
    });

    it('is a whole number of milliseconds in [step/2, step] for whole-millisecond policies', () => {
      fc.assert(
        fc.property(wholePolicy, retryNumber, (p, retry) => {
          const delay = backoffDelay(p, retry);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(step(p, retry) / 2);
          expect(delay).toBeLessThanOrEqual(step(p, retry));
        }),
      );
    });

    it('is within half a millisecond of [step/2, step] for fractional delays (it rounds to whole ms)', () => {
      const fractional = fc
        .tuple(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), draw)
        .map(([a, b, random]) => policy(random, { initialDelay: Math.min(a, b), maxDelay: Math.max(a, b) }));
      fc.assert(
        fc.property(fractional, retryNumber, (p, retry) => {
          const delay = backoffDelay(p, retry);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(step(p, retry) / 2 - 0.5);
          expect(delay).toBeLessThanOrEqual(step(p, retry) + 0.5);
        }),
      );
    });

    it('never decreases from one retry to the next (same draw)', () => {
      fc.assert(
        fc.property(wholePolicy, retryNumber, (p, retry) => {
          expect(backoffDelay(p, retry + 1)).toBeGreaterThanOrEqual(backoffDelay(p, retry));
        }),
      );
    });

    it('never decreases with the draw (same retry)', () => {
      fc.assert(
        fc.property(wholePolicy, retryNumber, draw, (p, retry, other) => {
          const [low, high] = [Math.min(p.random(), other), Math.max(p.random(), other)];
          expect(backoffDelay({ ...p, random: () => high }, retry)).toBeGreaterThanOrEqual(
            backoffDelay({ ...p, random: () => low }, retry),
          );
        }),
      );
    });

    it('reaches the cap and stays there: from the retry where the doubling passes maxDelay, it is in [maxDelay/2, maxDelay]', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 100_000 }),
          fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          draw,
          (initialDelay, maxDelay, random) => {
            const p = policy(random, { initialDelay: Math.min(initialDelay, maxDelay), maxDelay });
            const capped = Math.ceil(Math.log2(p.maxDelay / p.initialDelay)) + 1;
            for (const retry of [capped, capped + 1, capped + 30]) {
              expect(backoffDelay(p, retry)).toBeGreaterThanOrEqual(p.maxDelay / 2);
              expect(backoffDelay(p, retry)).toBeLessThanOrEqual(p.maxDelay);
            }
          },
        ),
      );
    });

    it('asks the jitter source once per delay', () => {
      let draws = 0;
      backoffDelay({ ...policy(0), random: () => (draws++, 0.3) }, 3);
      expect(draws).toBe(1);
    });
  });

  describe("never shorter than the node's Retry-After, capped at MAX_RETRY_AFTER", () => {
    it('MAX_RETRY_AFTER is 5 minutes', () => {
      expect(MAX_RETRY_AFTER).toBe(300_000);
    });

    it('waits the Retry-After when it is longer than the backoff', () => {
      expect(backoffDelay(policy(TOP), 1, 10_000)).toBe(10_000);
      expect(backoffDelay(policy(0), 9, 20_000)).toBe(20_000);
    });

    it('keeps the backoff when the Retry-After is shorter, zero or negative', () => {
      expect(backoffDelay(policy(0), 3, 100)).toBe(500);
      expect(backoffDelay(policy(0), 3, 0)).toBe(500);
      expect(backoffDelay(policy(0), 3, -1_000)).toBe(500);
      expect(backoffDelay(policy(0), 3, undefined)).toBe(500);
    });

    it('waits at most MAX_RETRY_AFTER for a longer Retry-After (an hour, a date years away)', () => {
      expect(backoffDelay(policy(0), 1, 3_600_000)).toBe(MAX_RETRY_AFTER);
      expect(backoffDelay(policy(TOP), 1, 189_388_800_000)).toBe(MAX_RETRY_AFTER);
      expect(backoffDelay(policy(0), 1, Number.POSITIVE_INFINITY)).toBe(MAX_RETRY_AFTER);
    });

    it('does not cut a backoff longer than MAX_RETRY_AFTER (maxDelay above 5 minutes)', () => {
      const slow = policy(TOP, { initialDelay: 600_000, maxDelay: 600_000 });
      expect(backoffDelay(slow, 1, 3_600_000)).toBe(600_000);
    });

    it('is max(jittered backoff, min(Retry-After, MAX_RETRY_AFTER)), for any input', () => {
      fc.assert(
        fc.property(wholePolicy, retryNumber, fc.integer({ min: 0, max: 10 * MAX_RETRY_AFTER }), (p, retry, after) => {
          const delay = backoffDelay(p, retry, after);
          const backoff = backoffDelay(p, retry);
          expect(delay).toBe(Math.max(backoff, Math.min(after, MAX_RETRY_AFTER)));
          expect(delay).toBeGreaterThanOrEqual(Math.min(after, MAX_RETRY_AFTER));
          expect(delay).toBeLessThanOrEqual(Math.max(p.maxDelay, MAX_RETRY_AFTER));
        }),
      );
    });
  });
});
