import fc from 'fast-check';
import { type RpcFailureClass, classifyRpcFailure } from '../../../src/rpc/classifyRpcFailure';
import { BlockSpan, GROW_AFTER_SUCCESSES } from '../../../src/source/BlockSpan';

type Refusal = Extract<RpcFailureClass, { kind: 'range' }>;

const BARE: Refusal = { kind: 'range' };
const limit = (n: number): Refusal => ({ kind: 'range', limit: n });
const suggested = (fromBlock: number, toBlock: number, stated?: number): Refusal => ({
  kind: 'range',
  suggested: { fromBlock, toBlock },
  ...(stated === undefined ? {} : { limit: stated }),
});

/** `times` successful reads of `blocks` blocks (default: the current span at each read). */
function succeed(span: BlockSpan, times: number, blocks?: number): void {
  for (let i = 0; i < times; i++) span.succeeded(blocks ?? span.current);
}

/** Refuses `[0, current - 1]` without saying why, so that the span halves. */
function halve(span: BlockSpan): void {
  span.refused(0, span.current - 1, BARE);
}

describe('BlockSpan', () => {
  it('starts at the maximum', () => {
    const span = new BlockSpan(2_000);
    expect(span.current).toBe(2_000);
    expect(span.max).toBe(2_000);
  });

  describe('after a refusal', () => {
    it("asks for the node's suggested range when it starts at fromBlock and ends before toBlock", () => {
      const span = new BlockSpan(2_000);

      expect(span.refused(100, 2_099, suggested(100, 611))).toEqual({ span: 512, basis: 'suggested' });
      expect(span.current).toBe(512);
    });

    it('prefers the suggestion to a stated limit (Alchemy states both)', () => {
      const span = new BlockSpan(5_000);
      expect(span.refused(0, 4_999, suggested(0, 299, 2_000))).toEqual({ span: 300, basis: 'suggested' });
    });

    it.each([
      ['starts after fromBlock', suggested(101, 611)],
      ['starts before fromBlock', suggested(99, 611)],
      ['ends at toBlock', suggested(100, 2_099)],
      ['ends after toBlock', suggested(100, 5_000)],
    ])('ignores a suggestion that %s, and halves', (_why, refusal) => {
      expect(new BlockSpan(2_000).refused(100, 2_099, refusal)).toEqual({ span: 1_000, basis: 'halved' });
    });

    it('ignores a suggestion it cannot use, and falls back to the stated limit', () => {
      expect(new BlockSpan(5_000).refused(0, 4_999, suggested(10, 20, 2_000))).toEqual({
        span: 2_000,
        basis: 'stated-limit',
      });
    });

    it('asks for the stated limit when it is below the refused span', () => {
      const span = new BlockSpan(5_000);

      expect(span.refused(0, 4_999, limit(2_000))).toEqual({ span: 2_000, basis: 'stated-limit' });
      expect(span.current).toBe(2_000);
    });

    it('halves when the stated limit is not below the refused span (the node contradicts itself)', () => {
      const span = new BlockSpan(5_000);

      expect(span.refused(0, 1_499, limit(2_000))).toEqual({ span: 750, basis: 'halved' });
      expect(span.refused(0, 749, limit(750))).toEqual({ span: 375, basis: 'halved' });
    });

    it.each([
      [2, 1],
      [3, 1],
      [7, 3],
      [2_000, 1_000],
      [2_001, 1_000],
    ])('halves a refused span of %p blocks that came without a reason to %p', (blocks, half) => {
      const span = new BlockSpan(5_000);
      expect(span.refused(10, 10 + blocks - 1, BARE)).toEqual({ span: half, basis: 'halved' });
    });

    it('gives up on a one-block range (nothing smaller to ask), leaving the span as it was', () => {
      const span = new BlockSpan(2_000);

      expect(span.refused(42, 42, BARE)).toBeUndefined();
      expect(span.refused(42, 42, limit(1))).toBeUndefined();
      expect(span.current).toBe(2_000);
    });

    it('never raises the span: a refusal of a range started before a smaller refusal keeps the smaller span', () => {
      const span = new BlockSpan(2_000);
      span.refused(0, 1_999, limit(100));

      // A concurrent read of 2000 blocks, refused without a reason: that range is asked again in halves,
      // but the shared span stays at 100.
      expect(span.refused(2_000, 3_999, BARE)).toEqual({ span: 1_000, basis: 'halved' });
      expect(span.current).toBe(100);
    });

    it('takes refusals as classifyRpcFailure reads them from real messages', () => {
      const refusal = (message: string): Refusal =>
        classifyRpcFailure({ message, error: new Error(message) }, 'eth_getLogs') as Refusal;
      const span = new BlockSpan(50_000);

      expect(span.refused(0, 49_999, refusal('eth_getLogs is limited to a 10,000 range'))).toEqual({
        span: 10_000,
        basis: 'stated-limit',
      });
      expect(
        span.refused(
          16,
          10_015,
          refusal(
            'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x10, 0x80f]',
          ),
        ),
      ).toEqual({ span: 2_048, basis: 'suggested' });
      expect(span.refused(0, 2_047, refusal('block range is too wide'))).toEqual({ span: 1_024, basis: 'halved' });
      expect(span.current).toBe(1_024);
    });
  });

  describe('after successes', () => {
    it(`grows by a quarter after ${GROW_AFTER_SUCCESSES} successful reads of the current span`, () => {
      expect(GROW_AFTER_SUCCESSES).toBe(4);
      const span = new BlockSpan(2_000);
      halve(span); // 1000

      succeed(span, GROW_AFTER_SUCCESSES - 1);
      expect(span.current).toBe(1_000);
      succeed(span, 1);
      expect(span.current).toBe(1_250);
      succeed(span, GROW_AFTER_SUCCESSES);
      expect(span.current).toBe(1_562);
    });

    it('counts reads of more than the current span (started before it shrank) as full', () => {
      const span = new BlockSpan(2_000);
      halve(span);
      succeed(span, GROW_AFTER_SUCCESSES, 2_000);
      expect(span.current).toBe(1_250);
    });

    it('grows by at least one block', () => {
      const span = new BlockSpan(10);
      span.refused(0, 1, BARE);
      expect(span.current).toBe(1);

      const seen = [span.current];
      for (let i = 0; i < 5; i++) {
        succeed(span, GROW_AFTER_SUCCESSES);
        seen.push(span.current);
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('grows back to the maximum and never above it', () => {
      const span = new BlockSpan(2_000);
      halve(span);
      halve(span); // 500

      const seen: number[] = [];
      for (let i = 0; i < 10; i++) {
        succeed(span, GROW_AFTER_SUCCESSES);
        seen.push(span.current);
      }
      expect(seen).toEqual([625, 781, 976, 1_220, 1_525, 1_906, 2_000, 2_000, 2_000, 2_000]);
    });

    it('does not count reads of fewer blocks than the current span, nor let them break the count', () => {
      const span = new BlockSpan(2_000);
      halve(span); // 1000

      succeed(span, 10, 999);
      expect(span.current).toBe(1_000);
      succeed(span, 2);
      succeed(span, 3, 10);
      succeed(span, 2);
      expect(span.current).toBe(1_250);
    });

    it('starts counting again after a refusal', () => {
      const span = new BlockSpan(2_000);
      halve(span); // 1000
      succeed(span, GROW_AFTER_SUCCESSES - 1);

      span.refused(0, 4_999, BARE); // halves a long range: 2500, the span stays 1000
      expect(span.current).toBe(1_000);
      succeed(span, GROW_AFTER_SUCCESSES - 1);
      expect(span.current).toBe(1_000);
      succeed(span, 1);
      expect(span.current).toBe(1_250);
    });

    it('does nothing at the maximum', () => {
      const span = new BlockSpan(2_000);
      succeed(span, 100);
      expect(span.current).toBe(2_000);
    });

    it('never grows above a stated limit again, even after shrinking below it', () => {
      const span = new BlockSpan(5_000);
      span.refused(0, 4_999, limit(2_000));
      succeed(span, 40);
      expect(span.current).toBe(2_000);

      halve(span); // 1000
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        succeed(span, GROW_AFTER_SUCCESSES);
        seen.push(span.current);
      }
      expect(seen).toEqual([1_250, 1_562, 1_952, 2_000, 2_000, 2_000]);
    });

    it('keeps the lowest of the limits stated', () => {
      const span = new BlockSpan(10_000);
      span.refused(0, 9_999, limit(3_000));
      span.refused(0, 2_999, limit(1_000));
      span.refused(0, 999, limit(2_000)); // not below the refused span: halves, the ceiling stays 1000
      succeed(span, 100);
      expect(span.current).toBe(1_000);
    });
  });

  describe('over any run of refusals and successes', () => {
    type Step =
      | { readonly kind: 'refused'; readonly offset: number; readonly blocks: number; readonly refusal: Refusal }
      | { readonly kind: 'succeeded'; readonly blocks: number };

    /** Refusals as classifyRpcFailure can produce them: a suggestion never ends before it starts, limits are ≥ 1. */
    const refusal: fc.Arbitrary<Refusal> = fc
      .record(
        {
          suggested: fc
            .tuple(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 20_000 }))
            .map(([from, length]) => ({ fromBlock: from, toBlock: from + length })),
          limit: fc.integer({ min: 1, max: 20_000 }),
        },
        { requiredKeys: [] },
      )
      .map((fields) => ({ kind: 'range' as const, ...fields }));

    const steps = (max: number): fc.Arbitrary<Step[]> =>
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('refused' as const),
            offset: fc.integer({ min: 0, max: 1_000 }),
            blocks: fc.integer({ min: 1, max: max * 2 }),
            refusal,
          }),
          fc.record({ kind: fc.constant('succeeded' as const), blocks: fc.integer({ min: 1, max: max * 2 }) }),
        ),
        { maxLength: 300 },
      );

    it('stays between 1 and the maximum, below every limit stated for a longer range, and asks for less than was refused', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 10_000 }).chain((max) => fc.tuple(fc.constant(max), steps(max))),
          ([max, run]) => {
            const span = new BlockSpan(max);
            let ceiling = max;
            for (const step of run) {
              if (step.kind === 'succeeded') {
                span.succeeded(step.blocks);
              } else {
                const { offset, blocks } = step;
                const fromBlock = step.refusal.suggested?.fromBlock ?? offset;
                const before = span.current;
                const next = span.refused(fromBlock, fromBlock + blocks - 1, step.refusal);
                if (blocks === 1) {
                  expect(next).toBeUndefined();
                  expect(span.current).toBe(before);
                } else {
                  expect(next).toBeDefined();
                  expect(next!.span).toBeGreaterThanOrEqual(1);
                  expect(next!.span).toBeLessThan(blocks);
                  expect(span.current).toBe(Math.min(before, next!.span));
                  if (next!.basis === 'stated-limit') ceiling = Math.min(ceiling, step.refusal.limit!);
                }
              }
              expect(span.current).toBeGreaterThanOrEqual(1);
              expect(span.current).toBeLessThanOrEqual(ceiling);
            }
          },
        ),
      );
    });
  });
});
