import fc from 'fast-check';
import { BlockCoverage } from '../../../src/streams/BlockCoverage';

describe('BlockCoverage: which read last covered each block', () => {
  it('gives a first read all its blocks', () => {
    const coverage = new BlockCoverage();
    expect(coverage.claim(10, 20, 5)).toEqual([[10, 20]]);
    expect(coverage.readAtOf(15)).toBe(5);
    expect(coverage.readAtOf(9)).toBe(-1);
  });

  it('gives a later read the blocks again, and an earlier read only the blocks no later read covered', () => {
    const coverage = new BlockCoverage();
    coverage.claim(10, 20, 5);
    expect(coverage.claim(15, 25, 7)).toEqual([[15, 25]]);
    // an answer of read 6 arriving late: only 10..14 (read 5) are older than it
    expect(coverage.claim(10, 30, 6)).toEqual([
      [10, 14],
      [26, 30],
    ]);
    expect([9, 10, 14, 15, 25, 26, 30, 31].map((n) => coverage.readAtOf(n))).toEqual([-1, 6, 6, 7, 7, 6, 6, -1]);
  });

  it('an empty range claims nothing', () => {
    expect(new BlockCoverage().claim(5, 4, 1)).toEqual([]);
  });

  it('forgets runs that end below a horizon, and merges neighbours of the same read (bounded size)', () => {
    const coverage = new BlockCoverage();
    for (let block = 0; block < 1_000; block += 1) coverage.claim(block, block, 1);
    expect(coverage.size).toBe(1);
    for (let block = 1_000; block < 2_000; block += 1) {
      coverage.claim(block, block, block);
      coverage.forgetBelow(block - 10);
    }
    expect(coverage.size).toBeLessThanOrEqual(11);
    expect(coverage.readAtOf(1_500)).toBe(-1);
  });

  it('agrees with a block-by-block model on random claims (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 30 })),
          {
            maxLength: 30,
          },
        ),
        (claims) => {
          const coverage = new BlockCoverage();
          const model = new Map<number, number>();
          for (const [from, length, readAt] of claims) {
            const to = from + length;
            const expected: number[] = [];
            for (let n = from; n <= to; n += 1) if ((model.get(n) ?? -1) <= readAt) expected.push(n);
            const fresh = coverage
              .claim(from, to, readAt)
              .flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
            expect(fresh).toEqual(expected);
            for (const n of expected) model.set(n, readAt);
            for (let n = 0; n <= 52; n += 1) expect(coverage.readAtOf(n)).toBe(model.get(n) ?? -1);
          }
        },
      ),
    );
  });
});
