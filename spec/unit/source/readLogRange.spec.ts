import { Observable, type ObservableInput, type Subscriber, of } from 'rxjs';
import {
  type GetLogsFilter,
  InvalidRpcResponseError,
  type LogBatch,
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  type NexusRpc,
  RpcUnavailableError,
} from 'ogpu-events';
import { BlockSpan } from '../../../src/source/BlockSpan';
import { type LogRangeReader, readLogRange } from '../../../src/source/readLogRange';
import { type LogSpec, NEXUS_ADDRESS, rawLog, rpcLog, rangeOf } from '../helpers/logs';
import { runMarbles, scriptedRpc } from '../helpers/marbles';
import { testPolicy } from '../helpers/testPolicy';

const TOPICS = [NEXUS_EVENT_TOPICS.Attempted, NEXUS_EVENT_TOPICS.Registered];

/** A reader of spans of 5 blocks, without retries. */
function reader(rpc: NexusRpc, overrides: Partial<LogRangeReader> = {}): LogRangeReader {
  return {
    rpc,
    policy: testPolicy(),
    address: NEXUS_ADDRESS,
    topics: TOPICS,
    span: new BlockSpan(5),
    report: () => undefined,
    ...overrides,
  };
}

/** An rpc that answers eth_getLogs with `getLogs`; a range read must ask nothing else. */
const logsOnly = (getLogs: (filter: GetLogsFilter) => ObservableInput<unknown>): NexusRpc => ({
  getBlock: () => {
    throw new Error('a range read must not ask for a block');
  },
  getCode: () => {
    throw new Error('a range read must not ask for code');
  },
  getLogs,
});

const filter = (fromBlock: number, toBlock: number): GetLogsFilter => ({
  address: NEXUS_ADDRESS,
  topics: [TOPICS],
  fromBlock,
  toBlock,
});

describe('readLogRange', () => {
  describe('chunking', () => {
    it('reads [fromBlock, toBlock] in consecutive chunks of at most span.current blocks, sending the exact filter', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [0] });
        helpers.expectObservable(readLogRange(reader(node.rpc), 3, 14)).toBe('-ab(c|)', {
          a: { fromBlock: 3, toBlock: 7, logs: [] },
          b: { fromBlock: 8, toBlock: 12, logs: [] },
          c: { fromBlock: 13, toBlock: 14, logs: [] },
        });
        return node;
      });

      expect(node.getLogsCalls.map((call) => call.filter)).toEqual([filter(3, 7), filter(8, 12), filter(13, 14)]);
    });

    it.each([
      {
        from: 0,
        to: 9,
        max: 5,
        ranges: [
          [0, 4],
          [5, 9],
        ],
      },
      { from: 10, to: 10, max: 5, ranges: [[10, 10]] },
      {
        from: 7,
        to: 9,
        max: 1,
        ranges: [
          [7, 7],
          [8, 8],
          [9, 9],
        ],
      },
      { from: 0, to: 1_999, max: 2_000, ranges: [[0, 1_999]] },
      {
        from: 0,
        to: 2_000,
        max: 2_000,
        ranges: [
          [0, 1_999],
          [2_000, 2_000],
        ],
      },
    ])('reads [$from, $to] with a span of $max blocks as $ranges', ({ from, to, max, ranges }) => {
      const requested: [number, number][] = [];
      const emitted: [number, number][] = [];
      const rpc = logsOnly((fFilter) => {
        const f = rangeOf(fFilter);
        requested.push([f.fromBlock, f.toBlock]);
        return of([]);
      });
      readLogRange(reader(rpc, { span: new BlockSpan(max) }), from, to).subscribe((b) =>
        emitted.push([b.fromBlock, b.toBlock]),
      );

      expect(requested).toEqual(ranges);
      expect(emitted).toEqual(ranges);
    });

    it('completes without a request when fromBlock is above toBlock', () => {
      runMarbles(({ expectObservable }) => {
        const rpc = logsOnly(() => {
          throw new Error('must not be called');
        });
        expectObservable(readLogRange(reader(rpc), 11, 10)).toBe('|');
      });
    });

    it('asks for the next chunk as soon as a chunk is answered, before delivering it, and for the one after only once it was delivered (read-ahead of one)', () => {
      const events: string[] = [];
      const rpc = logsOnly((fFilter) => {
        const f = rangeOf(fFilter);
        events.push(`request ${f.fromBlock}-${f.toBlock}`);
        return Promise.resolve([]);
      });
      return new Promise<void>((resolve, reject) => {
        readLogRange(reader(rpc), 0, 12).subscribe({
          next: (b) => events.push(`deliver ${b.fromBlock}-${b.toBlock}`),
          error: reject,
          complete: () => {
            expect(events).toEqual([
              'request 0-4',
              'request 5-9',
              'deliver 0-4',
              'request 10-12',
              'deliver 5-9',
              'deliver 10-12',
            ]);
            resolve();
          },
        });
      });
    });

    it('cancels the chunk read ahead when the subscriber leaves, and asks for nothing more', () => {
      const requested: string[] = [];
      const cancelled: string[] = [];
      const pending = new Map<string, Subscriber<unknown>>();
      const rpc = logsOnly((fFilter) => {
        const f = rangeOf(fFilter);
        const key = `${f.fromBlock}-${f.toBlock}`;
        requested.push(key);
        return new Observable<unknown>((subscriber) => {
          pending.set(key, subscriber);
          return () => cancelled.push(key);
        });
      });
      const delivered: string[] = [];
      const subscription = readLogRange(reader(rpc), 0, 12).subscribe((b) => {
        delivered.push(`${b.fromBlock}-${b.toBlock}`);
        subscription?.unsubscribe();
      });
      pending.get('0-4')?.next([]);
      pending.get('0-4')?.complete();

      expect(delivered).toEqual(['0-4']);
      expect(requested).toEqual(['0-4', '5-9']);
      expect(cancelled).toContain('5-9');
    });

    it('is lazy: nothing is requested until subscription, and each subscription reads again', () => {
      let calls = 0;
      const rpc = logsOnly(() => {
        calls += 1;
        return of([]);
      });
      const range$: Observable<LogBatch> = readLogRange(reader(rpc), 0, 4);
      expect(calls).toBe(0);
      range$.subscribe();
      range$.subscribe();
      expect(calls).toBe(2);
    });
  });

  describe('validation of each chunk', () => {
    it('skips an invalid log, reports it as invalid-log, and still delivers the valid logs after it', () => {
      const good1: LogSpec = { block: 3, index: 0 };
      const good2: LogSpec = { block: 4, index: 1 };
      const bad = { ...rawLog({ block: 3, index: 1 }), blockHash: '0x1234' };
      const reports: NexusDiagnostic[] = [];
      const rpc = logsOnly(() => of([rawLog(good1), bad, rawLog(good2)]));
      const batches: LogBatch[] = [];
      readLogRange(reader(rpc, { report: (d) => reports.push(d) }), 3, 4).subscribe((b) => batches.push(b));

      expect(batches).toEqual([
        { fromBlock: 3, toBlock: 4, logs: [rpcLog(good1), rpcLog(good2)], readAt: expect.any(Number) },
      ]);
      expect(reports).toEqual([
        { kind: 'invalid-log', reason: [expect.stringMatching(/blockHash: .*32 bytes/)], log: bad },
      ]);
    });

    it('treats an eth_getLogs result that is not an array as a failed attempt: without retries, fails with RpcUnavailableError (RPC_UNAVAILABLE) caused by an InvalidRpcResponseError', () => {
      const rpc = logsOnly(() => of(null));
      let caught: unknown;
      readLogRange(reader(rpc), 0, 1).subscribe({ error: (error: unknown) => (caught = error) });

      expect(caught).toBeInstanceOf(RpcUnavailableError);
      expect(caught).toMatchObject({ code: 'RPC_UNAVAILABLE', method: 'eth_getLogs', attempts: 1 });
      const cause = (caught as RpcUnavailableError).cause;
      expect(cause).toBeInstanceOf(InvalidRpcResponseError);
      expect(cause).toMatchObject({ code: 'INVALID_RPC_RESPONSE', method: 'eth_getLogs' });
    });

    it('asks again for a chunk whose result was not an array, reporting rpc-retry, and delivers it once the node answers properly', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles(({ cold, expectObservable }) => {
        const filters: GetLogsFilter[] = [];
        const answers = [{ logs: [] }, 'not logs', [rawLog({ block: 3, index: 0 })]];
        const rpc = logsOnly((fFilter) => {
          const f = rangeOf(fFilter);
          filters.push(f);
          return cold('-(a|)', { a: answers[filters.length - 1] });
        });
        // retries after 8 frames each: half of initialDelay 10, plus half of the half (random 0.5)
        const policy = testPolicy({ maxRetries: 5, initialDelay: 10, maxDelay: 10 });
        expectObservable(readLogRange(reader(rpc, { policy, report: (d) => reports.push(d) }), 3, 4)).toBe(
          '19ms (a|)',
          { a: { fromBlock: 3, toBlock: 4, logs: [rpcLog({ block: 3, index: 0 })] } },
        );
        return filters;
      });

      expect(node).toEqual([filter(3, 4), filter(3, 4), filter(3, 4)]);
      expect(reports).toEqual(
        [1, 2].map((retry) => ({
          kind: 'rpc-retry',
          method: 'eth_getLogs',
          retry,
          delayMs: 8,
          reason: expect.stringContaining('Unexpected result from eth_getLogs'),
          error: expect.any(InvalidRpcResponseError),
        })),
      );
    });
  });
});
