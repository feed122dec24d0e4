import fc from 'fast-check';
import { EMPTY, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import type { LogBatch } from 'ogpu-events';
import { type ContiguousBatchesParams, contiguousBatches } from '../../../src/streams/contiguousBatches';
import { rpcLog } from '../helpers/logs';
import { rawBlockHeader, runMarbles } from '../helpers/marbles';
import type { RpcBlockHeader } from '../../../src/codecs/RpcBlockHeader';

/** Block `n`'s header, as the stream's head request yields it. */
const headerOf = (n: number): RpcBlockHeader => {
  const raw = rawBlockHeader(n);
  return { number: n, hash: raw['hash'] ?? '', parentHash: raw['parentHash'] ?? '' };
};

/** A batch of `[fromBlock, toBlock]` with one log in each of `logBlocks`. */
const batch = (fromBlock: number, toBlock: number, logBlocks: readonly number[] = []): LogBatch => ({
  fromBlock,
  toBlock,
  logs: logBlocks.map((block) => rpcLog({ block, index: 0 })),
});

/** A batch with one log in every block of the range. */
const full = (fromBlock: number, toBlock: number): LogBatch =>
  batch(
    fromBlock,
    toBlock,
    Array.from({ length: toBlock - fromBlock + 1 }, (_, i) => fromBlock + i),
  );

/** Like {@link full}, with logs of index 1: a batch whose logs tell that it came from the live feed. */
const liveFull = (fromBlock: number, toBlock: number): LogBatch => ({
  fromBlock,
  toBlock,
  logs: Array.from({ length: toBlock - fromBlock + 1 }, (_, i) => rpcLog({ block: fromBlock + i, index: 1 })),
});

interface Setup {
  readonly head: number;
  readonly fromBlock: number | undefined;
  readonly confirmations?: number;
  readonly live$: Observable<LogBatch>;
  /** Frames a range read takes (default 2). */
  readonly readLatency?: number;
}

/** contiguousBatches over a scripted head, live feed and reader; records the reads. */
function setup({ cold }: RunHelpers, options: Setup) {
  const reads: [number, number][] = [];
  const head$ = cold('-(a|)', { a: headerOf(options.head) });
  const params: ContiguousBatchesParams = {
    head$,
    fromBlock: options.fromBlock,
    confirmations: options.confirmations ?? 0,
    live$: options.live$,
    // like readLogRange: nothing for an empty range, else one batch with a log in every block
    read: (from, to) => {
      reads.push([from, to]);
      return from > to ? EMPTY : cold(`${'-'.repeat(options.readLatency ?? 2)}(a|)`, { a: full(from, to) });
    },
  };
  return { batches$: contiguousBatches(params), reads, head$ };
}

describe('contiguousBatches', () => {
  describe('with fromBlock', () => {
    it('backfills [fromBlock, head - confirmations], then follows the live batches', () => {
      const reads = runMarbles((helpers) => {
        const live = helpers.hot('----a----b', { a: batch(19, 19, [19]), b: batch(20, 21, [21]) });
        const { batches$, reads } = setup(helpers, { head: 20, fromBlock: 5, confirmations: 2, live$: live });
        helpers.expectObservable(batches$, '^ 11ms !').toBe('---xa----b', {
          x: full(5, 18),
          a: batch(19, 19, [19]),
          b: batch(20, 21, [21]),
        });
        // the live batches are subscribed to first, before the head is even asked for
        helpers.expectSubscriptions(live.subscriptions).toBe('^-----------!');
        return reads;
      });

      expect(reads).toEqual([[5, 18]]);
    });

    it('continues after the last batch of a backfill read in several chunks', () => {
      runMarbles((helpers) => {
        const live = helpers.hot('------a', { a: batch(11, 12, [11]) });
        const params: ContiguousBatchesParams = {
          head$: helpers.cold('-(a|)', { a: headerOf(10) }),
          fromBlock: 0,
          confirmations: 0,
          live$: live,
          read: (from, to) =>
            from === 0 && to === 10
              ? helpers.cold('-a-(b|)', { a: full(0, 5), b: full(6, 10) })
              : helpers.cold('(a|)', { a: batch(from, to, [-1]) }),
        };
        helpers.expectObservable(contiguousBatches(params), '^ 9ms !').toBe('--a-b-c', {
          a: full(0, 5),
          b: full(6, 10),
          c: batch(11, 12, [11]),
        });
      });
    });

    it('reads nothing while fromBlock is above the confirmed head, and trims the first live batch reaching it', () => {
      const reads = runMarbles((helpers) => {
        const live = helpers.hot('---a--b', { a: full(21, 25), b: full(26, 32) });
        const { batches$, reads } = setup(helpers, { head: 20, fromBlock: 30, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('------b', { b: full(30, 32) });
        return reads;
      });

      // the empty backfill [30, 20] is the only read
      expect(reads).toEqual([[30, 20]]);
    });

    it('holds the live batches that arrive while the backfill runs and delivers them right after it, in order, reading no gap', () => {
      const reads = runMarbles((helpers) => {
        const live = helpers.hot('---a-b 14ms c', { a: full(11, 11), b: full(12, 13), c: full(14, 14) });
        const { batches$, reads } = setup(helpers, { head: 10, fromBlock: 0, live$: live, readLatency: 10 });
        helpers.expectObservable(batches$, '^ 29ms !').toBe('11ms (xab) 4ms c', {
          x: full(0, 10),
          a: full(11, 11),
          b: full(12, 13),
          c: full(14, 14),
        });
        return reads;
      });

      expect(reads).toEqual([[0, 10]]);
    });

    it('reads the gap before a held live batch that starts above the end of the backfill', () => {
      const reads = runMarbles((helpers) => {
        const live = helpers.hot('---a', { a: full(13, 14) });
        const { batches$, reads } = setup(helpers, { head: 10, fromBlock: 0, live$: live, readLatency: 4 });
        helpers.expectObservable(batches$, '^ 19ms !').toBe('-----x---(ga)', {
          x: full(0, 10),
          g: full(11, 12),
          a: full(13, 14),
        });
        return reads;
      });

      expect(reads).toEqual([
        [0, 10],
        [11, 12],
      ]);
    });

    it('cuts a held live batch that overlaps the backfill only below fromBlock: blocks the backfill already covered pass again', () => {
      runMarbles((helpers) => {
        const live = helpers.hot('--a', { a: full(3, 12) });
        const { batches$ } = setup(helpers, { head: 10, fromBlock: 5, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('---(xa)', { x: full(5, 10), a: full(5, 12) });
      });
    });
  });

  describe('without fromBlock', () => {
    it('starts at head + 1: skips live batches wholly below it and trims one that overlaps it', () => {
      const reads = runMarbles((helpers) => {
        const live = helpers.hot('--a--b--c', { a: full(18, 20), b: full(19, 22), c: full(23, 23) });
        const { batches$, reads } = setup(helpers, { head: 20, fromBlock: undefined, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('-----b--c', { b: full(21, 22), c: full(23, 23) });
        return reads;
      });

      expect(reads).toEqual([]);
    });

    it('ignores confirmations for its start line: events of blocks mined before subscribing are not delivered', () => {
      runMarbles((helpers) => {
        const live = helpers.hot('--a--b', { a: full(15, 18), b: full(19, 22) });
        const { batches$ } = setup(helpers, { head: 20, fromBlock: undefined, confirmations: 2, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('-----b', { b: full(21, 22) });
      });
    });

    it('reads the gap [cursor, batch.fromBlock - 1] before a live batch that starts above the cursor', () => {
      const reads = runMarbles((helpers) => {
        const live = helpers.hot('--a------b', { a: full(25, 26), b: full(27, 27) });
        const { batches$, reads } = setup(helpers, { head: 20, fromBlock: undefined, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('----(ga)-b', {
          g: full(21, 24),
          a: full(25, 26),
          b: full(27, 27),
        });
        return reads;
      });

      expect(reads).toEqual([[21, 24]]);
    });

    it('keeps chain order: live batches arriving while a gap read is in flight wait for it', () => {
      runMarbles((helpers) => {
        const live = helpers.hot('--a--b-c', { a: full(25, 26), b: full(27, 27), c: full(28, 29) });
        const { batches$ } = setup(helpers, { head: 20, fromBlock: undefined, live$: live, readLatency: 10 });
        helpers.expectObservable(batches$, '^ 19ms !').toBe('12ms (gabc)', {
          g: full(21, 24),
          a: full(25, 26),
          b: full(27, 27),
          c: full(28, 29),
        });
      });
    });

    it('passes live batches that overlap blocks already covered whole, and fills gaps, for a mix of late, overlapping and early batches', () => {
      const { delivered, reads } = runMarbles((helpers) => {
        const live = helpers.hot('-a-b-c-d-e-f', {
          a: full(10, 21),
          b: full(22, 23),
          c: full(22, 25),
          d: full(30, 31),
          e: full(28, 33),
          f: full(36, 36),
        });
        const { batches$, reads } = setup(helpers, { head: 20, fromBlock: undefined, live$: live, readLatency: 3 });
        const delivered: LogBatch[] = [];
        batches$.subscribe((b) => delivered.push(b));
        return { delivered, reads };
      });

      expect(delivered.map((b) => [b.fromBlock, b.toBlock])).toEqual([
        [21, 21], // a, cut at the start
        [22, 23], // b
        [22, 25], // c, whole although 22-23 were covered
        [26, 29], // the gap before d
        [30, 31], // d
        [28, 33], // e, whole
        [34, 35], // the gap before f
        [36, 36], // f
      ]);
      // every batch keeps exactly the logs of its own range
      for (const b of delivered) expect(b).toEqual(full(b.fromBlock, b.toBlock));
      expect(reads).toEqual([
        [26, 29],
        [34, 35],
      ]);
    });

    it('covers every block from its start at least once, in order of first coverage, none below the start, and loses no live batch, whatever the live batches and their timing', () => {
      const liveBatch = fc.record({
        after: fc.integer({ min: 1, max: 6 }),
        from: fc.integer({ min: 0, max: 40 }),
        length: fc.integer({ min: 1, max: 8 }),
      });
      fc.assert(
        fc.property(
          fc.integer({ min: 5, max: 30 }),
          fc.option(fc.integer({ min: 0, max: 35 }), { nil: undefined }),
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 4 }),
          fc.array(liveBatch, { maxLength: 20 }),
          (head, fromBlock, confirmations, readLatency, specs) => {
            const liveBatches = specs.map(({ from, length }) => liveFull(from, from + length - 1));
            const { delivered, reads } = runMarbles((helpers) => {
              const letters = 'abcdefghijklmnopqrstuvwxyz';
              const marble = specs.map(({ after }, i) => `${'-'.repeat(after - 1)}${letters[i]}`).join('');
              const values: Record<string, LogBatch> = {};
              liveBatches.forEach((b, i) => (values[letters[i]!] = b));
              const live = helpers.hot<LogBatch>(marble, values);
              const { batches$, reads } = setup(helpers, { head, fromBlock, confirmations, live$: live, readLatency });
              const delivered: LogBatch[] = [];
              batches$.subscribe((b) => delivered.push(b));
              return { delivered, reads };
            });

            const start = fromBlock ?? head + 1;
            let next = start;
            for (const b of delivered) {
              // exactly the logs of its own range, nothing below the start, no gap before it
              const fromLive = b.logs[0]?.logIndex === 1;
              expect(b).toEqual(fromLive ? liveFull(b.fromBlock, b.toBlock) : full(b.fromBlock, b.toBlock));
              expect(b.fromBlock).toBeGreaterThanOrEqual(start);
              expect(b.fromBlock).toBeLessThanOrEqual(next);
              next = Math.max(next, b.toBlock + 1);
            }
            // the backfill and every live block at or above the start are covered
            const backfillEnd = fromBlock === undefined ? head : head - confirmations;
            const liveEnd = Math.max(-1, ...liveBatches.map((b) => b.toBlock));
            expect(next).toBe(Math.max(start, backfillEnd + 1, liveEnd + 1));
            // every live batch reaching the start is delivered, in order, cut only below the start
            const passed = liveBatches
              .filter((b) => b.toBlock >= start)
              .map((b) => [Math.max(b.fromBlock, start), b.toBlock]);
            const deliveredLive = delivered.filter((b) => b.logs[0]?.logIndex === 1);
            expect(deliveredLive.map((b) => [b.fromBlock, b.toBlock])).toEqual(passed);
            // the stream reads only its backfill and the gaps: never a block already covered
            const ownReads = reads.filter(([from, to]) => from <= to);
            for (const [from] of ownReads) expect(from).toBeGreaterThanOrEqual(start);
            const readBlocks = ownReads.flatMap(([from, to]) =>
              Array.from({ length: to - from + 1 }, (_, i) => from + i),
            );
            expect(new Set(readBlocks).size).toBe(readBlocks.length);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('after a reorg (the poller rewound)', () => {
    it('passes a live batch that re-reads blocks already covered through whole, rewound flag included', () => {
      const reads = runMarbles((helpers) => {
        const rewound: LogBatch = { ...full(22, 24), rewound: true };
        const live = helpers.hot('--a--b--c', { a: full(21, 23), b: full(24, 25), c: rewound });
        const { batches$, reads } = setup(helpers, { head: 20, fromBlock: undefined, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('--a--b--c', {
          a: full(21, 23),
          b: full(24, 25),
          c: { ...full(22, 24), rewound: true },
        });
        return reads;
      });

      // nothing is read again by the stream itself: the poller's re-read is the one that counts
      expect(reads).toEqual([]);
    });

    it('cuts a rewound live batch reaching below the stream start at the start, keeping its flag', () => {
      runMarbles((helpers) => {
        const live = helpers.hot<LogBatch>('--a--b', { a: full(21, 22), b: { ...full(18, 22), rewound: true } });
        const { batches$ } = setup(helpers, { head: 20, fromBlock: undefined, live$: live });
        helpers.expectObservable(batches$, '^ 9ms !').toBe('--a--b', {
          a: full(21, 22),
          b: { ...full(21, 22), rewound: true },
        });
      });
    });
  });

  describe('subscription', () => {
    it('asks for the head once per subscription', () => {
      runMarbles((helpers) => {
        const live = helpers.hot<LogBatch>('-');
        const { batches$, head$ } = setup(helpers, { head: 20, fromBlock: undefined, live$: live });
        helpers.expectObservable(batches$, '^ 4ms !').toBe('');
        helpers.expectObservable(batches$, '---^ 4ms !').toBe('');
        helpers.expectSubscriptions(head$.subscriptions).toBe(['^!', '---^!']);
      });
    });

    it('unsubscribing cancels the read in flight and leaves the live feed', () => {
      runMarbles((helpers) => {
        const live = helpers.hot('--a', { a: full(25, 26) });
        const gap = helpers.cold('-----(a|)', { a: full(21, 24) });
        const params: ContiguousBatchesParams = {
          head$: helpers.cold('-(a|)', { a: headerOf(20) }),
          fromBlock: undefined,
          confirmations: 0,
          live$: live,
          read: () => gap,
        };
        helpers.expectObservable(contiguousBatches(params), '^ 3ms !').toBe('');
        helpers.expectSubscriptions(gap.subscriptions).toBe('--^-!');
        helpers.expectSubscriptions(live.subscriptions).toBe('^---!');
      });
    });

    it('fails when a read fails', () => {
      runMarbles((helpers) => {
        const failure = new Error('read failed');
        const params: ContiguousBatchesParams = {
          head$: helpers.cold('-(a|)', { a: headerOf(20) }),
          fromBlock: 3,
          confirmations: 0,
          live$: helpers.hot<LogBatch>('-'),
          read: () => helpers.cold('--#', undefined, failure),
        };
        helpers.expectObservable(contiguousBatches(params)).toBe('---#', undefined, failure);
      });
    });
  });
});
