import fc from 'fast-check';
import { type BlockAnchor, BlockHashWindow } from '../../../src/source/BlockHashWindow';

const hash = (n: number, version = 0): string =>
  `0x${version.toString(16).padStart(8, '0')}${n.toString(16).padStart(56, '0')}`;
const anchor = (n: number, version = 0): BlockAnchor => ({ number: n, hash: hash(n, version) });

/** A window that remembered `numbers`, in order. */
function windowOf(depth: number, numbers: readonly number[]): BlockHashWindow {
  const window = new BlockHashWindow(depth);
  for (const n of numbers) window.remember(n, hash(n));
  return window;
}

/** Block numbers remembered, oldest first. */
const numbers = (window: BlockHashWindow): number[] =>
  window
    .newestFirst()
    .map((a) => a.number)
    .reverse();

describe('BlockHashWindow', () => {
  it('is empty at first', () => {
    const window = new BlockHashWindow(64);

    expect(window.depth).toBe(64);
    expect(window.size).toBe(0);
    expect(window.latest).toBeUndefined();
    expect(window.oldest).toBeUndefined();
    expect(window.newestFirst()).toEqual([]);
  });

  it('remembers the anchors it is given: latest, oldest and all of them newest first', () => {
    const window = windowOf(64, [10, 20, 30]);

    expect(window.size).toBe(3);
    expect(window.latest).toEqual(anchor(30));
    expect(window.oldest).toEqual(anchor(10));
    expect(window.newestFirst()).toEqual([anchor(30), anchor(20), anchor(10)]);
  });

  it('returns a copy from newestFirst', () => {
    const window = windowOf(64, [1, 2]);
    (window.newestFirst() as BlockAnchor[]).length = 0;
    expect(window.size).toBe(2);
  });

  describe('pruning by height', () => {
    it('forgets anchors more than depth blocks below the newest, and keeps the one exactly depth below', () => {
      expect(numbers(windowOf(10, [0, 5, 10, 15, 20]))).toEqual([10, 15, 20]);
      expect(numbers(windowOf(10, [0, 5, 9, 15, 20]))).toEqual([15, 20]);
    });

    it('keeps the latest anchor even when a jump leaves every other one behind', () => {
      const window = windowOf(10, [1, 2, 3, 1_000]);
      expect(window.newestFirst()).toEqual([anchor(1_000)]);
    });

    it('keeps only the latest anchor with a depth of 0', () => {
      expect(numbers(windowOf(0, [1, 2, 3]))).toEqual([3]);
    });

    it('holds depth + 1 anchors at most, one per block', () => {
      const window = windowOf(
        5,
        Array.from({ length: 100 }, (_, i) => i),
      );
      expect(window.size).toBe(6);
      expect(numbers(window)).toEqual([94, 95, 96, 97, 98, 99]);
    });
  });

  describe('remembering a height already remembered (the chain was read again after a reorg)', () => {
    it('replaces the anchor at that height and forgets those above it', () => {
      const window = windowOf(64, [10, 20, 30, 40]);
      window.remember(20, hash(20, 1));

      expect(window.newestFirst()).toEqual([anchor(20, 1), anchor(10)]);
    });

    it('forgets every anchor above a lower height', () => {
      const window = windowOf(64, [10, 20, 30]);
      window.remember(5, hash(5, 1));

      expect(window.newestFirst()).toEqual([anchor(5, 1)]);
    });

    it('prunes from the new height, not the old one', () => {
      const window = windowOf(10, [90, 95, 100]);
      window.remember(92, hash(92, 1)); // horizon 82: 90 stays

      expect(numbers(window)).toEqual([90, 92]);
    });
  });

  describe('forgetFrom', () => {
    it('forgets the anchors at or above the height (no longer canonical)', () => {
      const window = windowOf(64, [10, 20, 30]);
      window.forgetFrom(20);

      expect(window.newestFirst()).toEqual([anchor(10)]);
      expect(window.latest).toEqual(anchor(10));
    });

    it('keeps everything for a height above the latest', () => {
      const window = windowOf(64, [10, 20, 30]);
      window.forgetFrom(31);
      expect(numbers(window)).toEqual([10, 20, 30]);
    });

    it('forgets everything for a height at or below the oldest', () => {
      const window = windowOf(64, [10, 20, 30]);
      window.forgetFrom(10);

      expect(window.size).toBe(0);
      expect(window.latest).toBeUndefined();
      expect(window.oldest).toBeUndefined();
    });

    it('does nothing on an empty window', () => {
      const window = new BlockHashWindow(8);
      window.forgetFrom(0);
      expect(window.size).toBe(0);
    });
  });

  describe('over any long run of remember and forgetFrom', () => {
    type Command =
      { readonly op: 'remember'; readonly delta: number } | { readonly op: 'forgetFrom'; readonly back: number };

    /** Mostly forward, sometimes back (a reorg), sometimes far ahead (a long backfill range). */
    const command: fc.Arbitrary<Command> = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({ op: fc.constant('remember' as const), delta: fc.integer({ min: 1, max: 40 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('remember' as const), delta: fc.integer({ min: -30, max: 0 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('remember' as const), delta: fc.integer({ min: 100, max: 5_000 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('forgetFrom' as const), back: fc.integer({ min: -5, max: 50 }) }),
      },
    );

    it('never holds more than depth + 1 anchors, and holds exactly what a plain filter model says', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 64 }),
          fc.array(command, { minLength: 1, maxLength: 2_000 }),
          (depth, commands) => {
            const window = new BlockHashWindow(depth);
            let model: BlockAnchor[] = [];
            let head = 1_000;
            let version = 0;
            for (const c of commands) {
              if (c.op === 'remember') {
                head = Math.max(0, head + c.delta);
                version += 1;
                const remembered = anchor(head, version);
                window.remember(remembered.number, remembered.hash);
                model = [...model.filter((a) => a.number < head), remembered].filter(
                  (a, i, all) => a.number >= head - depth || i === all.length - 1,
                );
              } else {
                const from = head - c.back;
                window.forgetFrom(from);
                model = model.filter((a) => a.number < from);
              }

              expect(window.size).toBeLessThanOrEqual(depth + 1);
              expect(window.newestFirst()).toEqual([...model].reverse());
              expect(window.latest).toEqual(model[model.length - 1]);
              expect(window.oldest).toEqual(model[0]);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
