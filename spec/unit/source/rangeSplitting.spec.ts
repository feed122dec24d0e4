import fc from 'fast-check';
import { NEVER, type Observable, concatMap, of, throwError, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import {
  type GetLogsRangeFilter,
  type LogBatch,
  type NexusDiagnostic,
  type NexusRpc,
  RpcRequestError,
} from 'ogpu-events';
import { BlockSpan, GROW_AFTER_SUCCESSES } from '../../../src/source/BlockSpan';
import type { RequestPolicy } from '../../../src/source/RequestPolicy';
import { type LogRangeReader, readLogRange } from '../../../src/source/readLogRange';
import { type LogSpec, NEXUS_ADDRESS, rawLog, rpcLog, rangeOf } from '../helpers/logs';
import { runMarbles } from '../helpers/marbles';

const TOPIC = `0x${'70'.padStart(64, '0')}`;

/** Retries without bound after 5, 10, 20, 20… frames (random() = 0: half of each step). */
const POLICY: RequestPolicy = { timeout: 1_000, maxRetries: Infinity, initialDelay: 10, maxDelay: 40, random: () => 0 };

/** How the fake node answers one eth_getLogs. */
type Verdict = { readonly refuse: unknown } | { readonly fail: unknown } | undefined;

interface FakeNodeOptions {
  /** Decides, for the n-th eth_getLogs (0-based), whether the node refuses it, fails it, or answers. */
  readonly verdict: (filter: GetLogsRangeFilter, call: number) => Verdict;
  /** The chain's logs. */
  readonly logs?: readonly LogSpec[];
}

/**
 * A node that answers eth_getLogs after one frame of virtual time (or synchronously, without a
 * scheduler), unless `verdict` says to refuse or fail it: then it emits that error.
 */
function fakeNode(scheduler: TestScheduler | undefined, options: FakeNodeOptions) {
  const requests: [number, number][] = [];
  const times: number[] = [];
  const rpc: NexusRpc = {
    getBlock: () => NEVER,
    getCode: () => NEVER,
    getLogs: (filterFilter) => {
      const filter = rangeOf(filterFilter);
      const call = requests.length;
      requests.push([filter.fromBlock, filter.toBlock]);
      times.push(scheduler?.now() ?? 0);
      const verdict = options.verdict(filter, call);
      const answer: Observable<unknown> =
        verdict === undefined
          ? of(
              (options.logs ?? [])
                .filter((log) => log.block >= filter.fromBlock && log.block <= filter.toBlock)
                .map(rawLog),
            )
          : throwError(() => ('refuse' in verdict ? verdict.refuse : verdict.fail));
      return scheduler === undefined ? answer : timer(1).pipe(concatMap(() => answer));
    },
  };
  return { rpc, requests, times };
}

/** A JSON-RPC error object as a node sends it. */
const rpcError = (message: string, code = -32005) => ({ code, message });

function reader(rpc: NexusRpc, span: BlockSpan | number, reports: NexusDiagnostic[] = []): LogRangeReader {
  return {
    rpc,
    policy: POLICY,
    report: (diagnostic) => reports.push(diagnostic),
    address: NEXUS_ADDRESS,
    topics: [TOPIC],
    span: typeof span === 'number' ? new BlockSpan(span) : span,
  };
}

/** Subscribes synchronously and returns what was emitted, and the error if any. */
function readSync(read$: Observable<LogBatch>): { batches: LogBatch[]; error: unknown; complete: boolean } {
  const result = { batches: [] as LogBatch[], error: undefined as unknown, complete: false };
  read$.subscribe({
    next: (batch) => result.batches.push(batch),
    error: (error: unknown) => (result.error = error),
    complete: () => (result.complete = true),
  });
  return result;
}

/** Every block number the batches cover, in the order they cover them. */
const coveredBlocks = (batches: readonly LogBatch[]): number[] =>
  batches.flatMap((batch) => range(batch.fromBlock, batch.toBlock));

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Refusals worded as public providers word them, for a node that takes at most `cap` blocks. */
const refusals = {
  /** Infura / Alchemy: too many results, with the range that would work. */
  suggested: (f: GetLogsRangeFilter, cap: number) =>
    rpcError(
      `query returned more than 10000 results. Try with this block range [${hex(f.fromBlock)}, ${hex(f.fromBlock + cap - 1)}].`,
    ),
  /** A node stating its limit. */
  statedLimit: (f: GetLogsRangeFilter, cap: number) =>
    rpcError(`range ${f.toBlock - f.fromBlock + 1} exceeds limit of ${cap}`, -32000),
  /** A node saying no more than that. */
  tooWide: () => rpcError('block range is too wide', -32000),
} as const;

describe('readLogRange: ranges the node refuses', () => {
  describe('a refused chunk is asked again smaller, and the refusal is reported as range-split', () => {
    it.each([
      {
        name: 'the range a node suggests (Infura: "Try with this block range [0x64, 0x95]")',
        error: rpcError('query returned more than 1000 results. Try with this block range [0x64, 0x95].'),
        nextSpan: 50,
        basis: 'suggested',
      },
      {
        name: 'the range a node suggests (Alchemy: "this block range should work: [0x64, 0x12b]")',
        error: rpcError(
          'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can make unlimited block range requests with a 10K log limit in the response size. Based on your parameters, this block range should work: [0x64, 0x12b]',
          -32602,
        ),
        nextSpan: 200,
        basis: 'suggested',
      },
      {
        name: 'the limit a node states ("range 1000 exceeds limit of 500")',
        error: rpcError('range 1000 exceeds limit of 500', -32000),
        nextSpan: 500,
        basis: 'stated-limit',
      },
      {
        name: 'the limit a node states ("eth_getLogs is limited to a 250 range", code -32602)',
        error: rpcError('eth_getLogs is limited to a 250 range', -32602),
        nextSpan: 250,
        basis: 'stated-limit',
      },
      {
        name: 'half, when the node says no more ("block range is too wide")',
        error: rpcError('block range is too wide', -32000),
        nextSpan: 500,
        basis: 'halved',
      },
      {
        name: 'half, for a result-count refusal without a suggestion ("query returned more than 10000 results")',
        error: rpcError('query returned more than 10000 results'),
        nextSpan: 500,
        basis: 'halved',
      },
      {
        name: 'the node’s JSON-RPC error in the body of an HTTP 400 (ethers SERVER_ERROR) — a refusal, not a fatal 400',
        error: {
          code: 'SERVER_ERROR',
          info: {
            responseStatus: '400 Bad Request',
            responseBody: '{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"block range is too wide"}}',
          },
        },
        nextSpan: 500,
        basis: 'halved',
      },
    ])('to $name', ({ error, nextSpan, basis }) => {
      const reports: NexusDiagnostic[] = [];
      const logs = [
        { block: 100, index: 0 },
        { block: 100 + nextSpan, index: 3 },
        { block: 1_099, index: 1 },
      ];
      const node = fakeNode(undefined, { verdict: (_, call) => (call === 0 ? { refuse: error } : undefined), logs });
      const {
        batches,
        error: failure,
        complete,
      } = readSync(readLogRange(reader(node.rpc, 1_000, reports), 100, 1_099));

      expect(failure).toBeUndefined();
      expect(complete).toBe(true);
      expect(node.requests[0]).toEqual([100, 1_099]);
      expect(node.requests[1]).toEqual([100, 100 + nextSpan - 1]);
      expect(reports[0]).toEqual({
        kind: 'range-split',
        fromBlock: 100,
        toBlock: 1_099,
        nextSpan,
        basis,
        reason: expect.any(String),
      });
      expect(coveredBlocks(batches)).toEqual(range(100, 1_099));
      expect(batches.flatMap((b) => b.logs)).toEqual(logs.map(rpcLog));
    });

    it('reports the node’s own message as the reason', () => {
      const reports: NexusDiagnostic[] = [];
      const node = fakeNode(undefined, {
        verdict: (f, call) => (call === 0 ? { refuse: refusals.statedLimit(f, 500) } : undefined),
      });
      readSync(readLogRange(reader(node.rpc, 1_000, reports), 0, 999));

      expect(reports).toEqual([
        {
          kind: 'range-split',
          fromBlock: 0,
          toBlock: 999,
          nextSpan: 500,
          basis: 'stated-limit',
          reason: 'range 1000 exceeds limit of 500',
        },
      ]);
    });

    it('asks the refused chunk again at once (a refusal is not a transient failure: no backoff, no rpc-retry)', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = fakeNode(scheduler, {
          verdict: (f) => (f.toBlock - f.fromBlock + 1 > 4 ? { refuse: refusals.tooWide() } : undefined),
        });
        // [0,15] refused at 1, [0,7] refused at 2, [0,3] answers at 3, then [4,7], [8,11], [12,15]
        helpers.expectObservable(readLogRange(reader(node.rpc, 16, reports), 0, 15)).toBe('---abc(d|)', {
          a: { fromBlock: 0, toBlock: 3, logs: [] },
          b: { fromBlock: 4, toBlock: 7, logs: [] },
          c: { fromBlock: 8, toBlock: 11, logs: [] },
          d: { fromBlock: 12, toBlock: 15, logs: [] },
        });
        return node;
      });

      expect(node.times.slice(0, 3)).toEqual([0, 1, 2]);
      expect(reports.map((d) => d.kind)).toEqual(['range-split', 'range-split']);
    });
  });

  describe('the learnt span (one BlockSpan shared by the reads of a client)', () => {
    it('is used by the chunks after the refused one, and by later reads', () => {
      const span = new BlockSpan(1_000);
      const node = fakeNode(undefined, {
        verdict: (f) => (f.toBlock - f.fromBlock + 1 > 500 ? { refuse: refusals.statedLimit(f, 500) } : undefined),
      });
      readSync(readLogRange(reader(node.rpc, span), 0, 1_999));
      readSync(readLogRange(reader(node.rpc, span), 2_000, 2_999));

      expect(node.requests).toEqual([
        [0, 999],
        [0, 499],
        [500, 999],
        [1_000, 1_499],
        [1_500, 1_999],
        [2_000, 2_499],
        [2_500, 2_999],
      ]);
      expect(span.current).toBe(500);
    });

    it(`grows back by a quarter after ${GROW_AFTER_SUCCESSES} full-span successes, up to the limit the node stated and never above`, () => {
      const span = new BlockSpan(1_000);
      // States a limit of 500 on [0, 999]; then refuses [0, 499] once more, saying only "too wide".
      const node = fakeNode(undefined, {
        verdict: (f, call) => {
          if (f.toBlock - f.fromBlock + 1 > 500) return { refuse: refusals.statedLimit(f, 500) };
          return call === 1 ? { refuse: refusals.tooWide() } : undefined;
        },
      });
      const { error } = readSync(readLogRange(reader(node.rpc, span), 0, 9_999));

      expect(error).toBeUndefined();
      const spans = node.requests.map(([from, to]) => to - from + 1);
      expect(spans.slice(0, 2)).toEqual([1_000, 500]);
      expect(spans.slice(2, 18)).toEqual([
        ...Array<number>(4).fill(250),
        ...Array<number>(4).fill(312),
        ...Array<number>(4).fill(390),
        ...Array<number>(4).fill(487),
      ]);
      expect(new Set(spans.slice(18, -1))).toEqual(new Set([500]));
      expect(Math.max(...spans.slice(1))).toBe(500);
      expect(span.current).toBe(500);
    });

    it('after a suggestion (no stated limit), grows back up to the configured maximum', () => {
      const span = new BlockSpan(100);
      const node = fakeNode(undefined, {
        verdict: (f, call) => (call === 0 ? { refuse: refusals.suggested(f, 40) } : undefined),
      });
      readSync(readLogRange(reader(node.rpc, span), 0, 5_000));

      const spans = node.requests.map(([from, to]) => to - from + 1);
      expect(spans.slice(0, 6)).toEqual([100, 40, 40, 40, 40, 50]);
      expect(Math.max(...spans.slice(1))).toBe(100);
      expect(span.current).toBe(100);
    });

    it('counts only full-span successes: a short last chunk does not grow the span', () => {
      const span = new BlockSpan(10);
      const node = fakeNode(undefined, {
        verdict: (f, call) => (call === 0 ? { refuse: refusals.tooWide() } : undefined),
      });
      // [0,9] refused → 5; then [0,4], [5,9], [10,14], [15,16]: three full spans and a short one
      readSync(readLogRange(reader(node.rpc, span), 0, 16));

      expect(node.requests).toEqual([
        [0, 9],
        [0, 4],
        [5, 9],
        [10, 14],
        [15, 16],
      ]);
      expect(span.current).toBe(5);
    });
  });

  describe('a node refusing even one block', () => {
    it('fails the read with an RpcRequestError naming the block, after the batches before it', () => {
      const reports: NexusDiagnostic[] = [];
      // Block 7 holds more logs than the node will return in one answer.
      const node = fakeNode(undefined, {
        verdict: (f) =>
          f.fromBlock <= 7 && f.toBlock >= 7
            ? { refuse: rpcError('query returned more than 10000 results') }
            : undefined,
      });
      const { batches, error } = readSync(readLogRange(reader(node.rpc, 5, reports), 5, 9));

      expect(node.requests).toEqual([
        [5, 9],
        [5, 6],
        [7, 8],
        [7, 7],
      ]);
      expect(batches.map((b) => [b.fromBlock, b.toBlock])).toEqual([[5, 6]]);
      expect(error).toBeInstanceOf(RpcRequestError);
      expect(error).toMatchObject({ method: 'eth_getLogs', rpcCode: -32005 });
      expect((error as RpcRequestError).message).toContain('query returned more than 10000 results');
      expect((error as RpcRequestError).message).toContain('even for the single block 7');
      expect(reports.map((d) => d.kind === 'range-split' && [d.fromBlock, d.toBlock, d.nextSpan])).toEqual([
        [5, 9, 2],
        [7, 8, 1],
      ]);
    });

    it('fails at once when the span is already one block', () => {
      const node = fakeNode(undefined, { verdict: () => ({ refuse: refusals.tooWide() }) });
      const { batches, error } = readSync(readLogRange(reader(node.rpc, 1), 42, 50));

      expect(node.requests).toEqual([[42, 42]]);
      expect(batches).toEqual([]);
      expect((error as RpcRequestError).message).toContain('single block 42');
    });
  });

  describe('transient failures in the middle of a split backfill', () => {
    it('are retried without losing or repeating a block', () => {
      const reports: NexusDiagnostic[] = [];
      const logs = range(0, 39).map((block) => ({ block, index: block % 3 }));
      let result: { batches: LogBatch[]; error: unknown } = { batches: [], error: undefined };
      const node = runMarbles((_, scheduler) => {
        const node = fakeNode(scheduler, {
          logs,
          verdict: (f, call) => {
            if (call === 2 || call === 5 || call === 6) return { fail: { code: -32603, message: 'internal error' } };
            if (call === 9) return { fail: { code: 'ECONNRESET', message: 'socket hang up' } };
            return f.toBlock - f.fromBlock + 1 > 6 ? { refuse: refusals.statedLimit(f, 6) } : undefined;
          },
        });
        const batches: LogBatch[] = [];
        readLogRange(reader(node.rpc, 16, reports), 0, 39).subscribe({
          next: (batch) => batches.push(batch),
          error: (error: unknown) => (result = { batches, error }),
          complete: () => (result = { batches, error: undefined }),
        });
        return node;
      });

      expect(result.error).toBeUndefined();
      expect(coveredBlocks(result.batches)).toEqual(range(0, 39));
      expect(result.batches.flatMap((b) => b.logs)).toEqual(logs.map(rpcLog));
      // a failed request is sent again for the very same range
      for (const failed of [2, 5, 9]) expect(node.requests[failed + 1]).toEqual(node.requests[failed]);
      expect(reports.filter((d) => d.kind === 'rpc-retry')).toHaveLength(4);
    });
  });

  describe('coverage (property): whatever the node’s limits, the batches cover [from, to] exactly once, in order', () => {
    const limitedNode = fc.record({
      cap: fc.integer({ min: 1, max: 60 }),
      wording: fc.constantFrom('suggested', 'statedLimit', 'tooWide'),
      /** Refuses a range holding more than this many logs, however few its blocks. */
      maxResults: fc.integer({ min: 3, max: 40 }),
    });
    // Ranges stay short (≤ 80 blocks, so ≤ 80 chunks): a synchronous transport and many chunks
    // exhaust the stack (see 'a transport that answers synchronously' below).
    const readRange = fc.record({
      from: fc.integer({ min: 0, max: 10_000 }),
      length: fc.integer({ min: 0, max: 80 }),
      span: fc.integer({ min: 1, max: 200 }),
      /** Blocks (relative to from) holding logs: up to 3 each. */
      logBlocks: fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 1, max: 3 })), { maxLength: 40 }),
    });

    it('with size refusals (block span or result count) worded as real providers word them', () => {
      fc.assert(
        fc.property(limitedNode, readRange, ({ cap, wording, maxResults }, { from, length, span, logBlocks }) => {
          const to = from + length - 1;
          const logs = [...new Map(logBlocks.map(([offset, count]) => [from + offset, count])).entries()]
            .sort(([a], [b]) => a - b)
            .flatMap(([block, count]) => range(0, count - 1).map((index) => ({ block, index })));
          const node = fakeNode(undefined, {
            logs,
            verdict: (f) => {
              const blocks = f.toBlock - f.fromBlock + 1;
              const results = logs.filter((l) => l.block >= f.fromBlock && l.block <= f.toBlock).length;
              if (blocks > cap) return { refuse: refusals[wording](f, cap) };
              if (results > maxResults) return { refuse: rpcError(`query returned more than ${maxResults} results`) };
              return undefined;
            },
          });
          const reports: NexusDiagnostic[] = [];
          const { batches, error, complete } = readSync(readLogRange(reader(node.rpc, span, reports), from, to));

          expect(error).toBeUndefined();
          expect(complete).toBe(true);
          expect(coveredBlocks(batches)).toEqual(range(from, to));
          expect(batches.flatMap((b) => b.logs)).toEqual(logs.filter((l) => l.block <= to).map(rpcLog));
          for (const batch of batches) expect(batch.toBlock - batch.fromBlock + 1).toBeLessThanOrEqual(cap);
          for (const report of reports) expect(report.kind).toBe('range-split');
        }),
        { numRuns: 300 },
      );
    });

    it('with transient failures mixed in, in virtual time', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 30 }),
          fc.constantFrom('suggested', 'statedLimit', 'tooWide'),
          fc.integer({ min: 0, max: 500 }),
          fc.integer({ min: 0, max: 80 }),
          fc.integer({ min: 1, max: 100 }),
          fc.array(fc.nat(40), { maxLength: 8 }),
          (cap, wording, from, length, span, failingCalls) => {
            const to = from + length - 1;
            const failing = new Set(failingCalls);
            let outcome: { blocks: number[]; error: unknown; complete: boolean } | undefined;
            runMarbles((_, scheduler) => {
              const node = fakeNode(scheduler, {
                verdict: (f, call) => {
                  if (failing.has(call)) return { fail: { code: -32603, message: 'internal error' } };
                  return f.toBlock - f.fromBlock + 1 > cap ? { refuse: refusals[wording](f, cap) } : undefined;
                },
              });
              const batches: LogBatch[] = [];
              readLogRange(reader(node.rpc, span), from, to).subscribe({
                next: (batch) => batches.push(batch),
                error: (error: unknown) => (outcome = { blocks: coveredBlocks(batches), error, complete: false }),
                complete: () => (outcome = { blocks: coveredBlocks(batches), error: undefined, complete: true }),
              });
            }, 100_000);

            expect(outcome).toEqual({ blocks: range(from, to), error: undefined, complete: true });
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('a transport that answers synchronously', () => {
    it('reads a range of thousands of chunks without exhausting the stack, and completes', () => {
      const node = fakeNode(undefined, { verdict: () => undefined });
      const { batches, error, complete } = readSync(readLogRange(reader(node.rpc, 10), 0, 99_999));

      expect(error).toBeUndefined();
      expect(complete).toBe(true);
      expect(batches).toHaveLength(10_000);
    });
  });

  describe('BlockSpan on its own', () => {
    it('refuses to shrink below one block: a refused one-block read has no smaller retry', () => {
      const span = new BlockSpan(10);
      expect(span.refused(5, 5, { kind: 'range' })).toBeUndefined();
      expect(span.current).toBe(10);
    });

    it('ignores a suggested range that does not start at the refused block, or is not smaller', () => {
      const span = new BlockSpan(100);
      expect(span.refused(0, 99, { kind: 'range', suggested: { fromBlock: 10, toBlock: 20 } })).toEqual({
        span: 50,
        basis: 'halved',
      });
      expect(span.refused(0, 49, { kind: 'range', suggested: { fromBlock: 0, toBlock: 60 } })).toEqual({
        span: 25,
        basis: 'halved',
      });
    });

    it('prefers a suggestion to a stated limit, and a stated limit to halving', () => {
      const both = { kind: 'range', suggested: { fromBlock: 0, toBlock: 29 }, limit: 40 } as const;
      expect(new BlockSpan(100).refused(0, 99, both)).toEqual({ span: 30, basis: 'suggested' });
      expect(new BlockSpan(100).refused(0, 99, { kind: 'range', limit: 40 })).toEqual({
        span: 40,
        basis: 'stated-limit',
      });
    });

    it('halves when the stated limit is not below the refused span', () => {
      expect(new BlockSpan(100).refused(0, 59, { kind: 'range', limit: 80 })).toEqual({ span: 30, basis: 'halved' });
    });

    it('never lets a later refusal with a bigger suggestion raise the current span', () => {
      const span = new BlockSpan(100);
      span.refused(0, 99, { kind: 'range', limit: 20 });
      span.refused(0, 99, { kind: 'range', suggested: { fromBlock: 0, toBlock: 59 } });
      expect(span.current).toBe(20);
    });
  });
});
