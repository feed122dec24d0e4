import { type Observable, tap } from 'rxjs';
import {
  InvalidRpcResponseError,
  type LogBatch,
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  type NexusRpc,
  RpcRequestError,
} from 'ogpu-events';
import { type PollLogsConfig, pollLogs } from '../../../src/source/pollLogs';
import { type LogSpec, NEXUS_ADDRESS, rawLog, rpcLog } from '../helpers/logs';
import { runMarbles, scriptedRpc } from '../helpers/marbles';

const TOPICS = [NEXUS_EVENT_TOPICS.TaskPublished, NEXUS_EVENT_TOPICS.TaskStatusChanged];

/** A poller configuration: every 10 frames, no confirmations, ranges of up to 100 blocks. */
function config(rpc: NexusRpc, overrides: Partial<PollLogsConfig> = {}): PollLogsConfig {
  return {
    rpc,
    address: NEXUS_ADDRESS,
    topics: TOPICS,
    maxBlockRange: 100,
    pollInterval: 10,
    confirmations: 0,
    report: () => undefined,
    ...overrides,
  };
}

/** The batch the poller should emit for `[fromBlock, toBlock]` holding `logs`. */
const batch = (fromBlock: number, toBlock: number, logs: readonly LogSpec[] = []): LogBatch => ({
  fromBlock,
  toBlock,
  logs: logs.map(rpcLog),
});

const log = (block: number, index: number): LogSpec => ({ block, index, topics: [TOPICS[0]!] });

describe('pollLogs', () => {
  describe('polling cadence', () => {
    it('asks for the head once at subscription and then once every pollInterval', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 34ms !').toBe('');
        return node;
      });

      expect(node.blockNumberCalls).toEqual([0, 10, 20, 30]);
    });

    it('asks for no logs while no block above the cursor is confirmed', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 16, 16] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('');
        return node;
      });

      expect(node.blockNumberCalls).toHaveLength(3);
      expect(node.getLogsCalls).toEqual([]);
    });

    it('reads from the cursor to the confirmed head once a new block is confirmed, then continues after it', () => {
      const logs = [log(16, 0), log(17, 0), log(18, 0), log(18, 1), log(19, 3)];
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 16, 18, 18, 19], logs });
        // ticks at 0, 10, 20, 30, 40; the head answers 1 frame later, the logs 1 frame after that
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 44ms !').toBe('22ms a 19ms b', {
          a: batch(17, 18, [log(17, 0), log(18, 0), log(18, 1)]),
          b: batch(19, 19, [log(19, 3)]),
        });
        return node;
      });

      expect(node.ranges()).toEqual([
        [17, 18],
        [19, 19],
      ]);
    });

    it('emits a batch for a range without logs, so that subscribers see the cursor advance', () => {
      runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 17, 19] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('12ms a 9ms b', {
          a: { fromBlock: 17, toBlock: 17, logs: [] },
          b: { fromBlock: 18, toBlock: 19, logs: [] },
        });
      });
    });
  });

  describe('where reading starts', () => {
    it('starts by default at the first block not yet confirmed at the first tick: head + 1 without confirmations', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 18], logs: [log(16, 0), log(17, 0)] });
        helpers
          .expectObservable(pollLogs(config(node.rpc)), '^ 14ms !')
          .toBe('12ms a', { a: batch(17, 18, [log(17, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([[17, 18]]);
    });

    it('with confirmations, starts at head - confirmations + 1 and reads only up to head - confirmations', () => {
      const logs = [log(13, 0), log(14, 0), log(17, 0), log(18, 0)];
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 20], logs });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { confirmations: 3 })), '^ 14ms !')
          .toBe('12ms a', { a: batch(14, 17, [log(14, 0), log(17, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([[14, 17]]);
    });

    it('never starts below block 0 when the chain is shorter than the confirmations', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [1, 5, 6], logs: [log(0, 0), log(1, 0)] });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { confirmations: 5 })), '^ 24ms !')
          .toBe('12ms a 9ms b', { a: batch(0, 0, [log(0, 0)]), b: batch(1, 1, [log(1, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([
        [0, 0],
        [1, 1],
      ]);
    });

    it('starts at an explicit fromBlock and catches up to the confirmed head at the first tick', () => {
      const logs = [log(2, 0), log(3, 0), log(14, 0), log(15, 0), log(16, 0)];
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 16, 17], logs });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 3, confirmations: 2 })), '^ 24ms !')
          .toBe('--a 19ms b', { a: batch(3, 14, [log(3, 0), log(14, 0)]), b: batch(15, 15, [log(15, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([
        [3, 14],
        [15, 15],
      ]);
    });

    it('honours fromBlock 0', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16], logs: [log(0, 0)] });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 0 })), '^ 4ms !')
          .toBe('--a', { a: batch(0, 16, [log(0, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([[0, 16]]);
    });

    it('waits, reading nothing, while an explicit fromBlock is above the confirmed head', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 19, 21] });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 20 })), '^ 24ms !')
          .toBe('22ms a', { a: batch(20, 21) });
        return node;
      });

      expect(node.ranges()).toEqual([[20, 21]]);
    });
  });

  describe('ranges longer than maxBlockRange', () => {
    it('are cut into chunks of maxBlockRange blocks, each requested only after the previous one was emitted', () => {
      const logs = [log(0, 0), log(4, 0), log(5, 0), log(14, 2), log(16, 0)];
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16], logs, logsLatency: 2 });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 0, maxBlockRange: 5 })), '^ 14ms !')
          .toBe('---a-b-c-d', {
            a: batch(0, 4, [log(0, 0), log(4, 0)]),
            b: batch(5, 9, [log(5, 0)]),
            c: batch(10, 14, [log(14, 2)]),
            d: batch(15, 16, [log(16, 0)]),
          });
        return node;
      });

      expect(node.ranges()).toEqual([
        [0, 4],
        [5, 9],
        [10, 14],
        [15, 16],
      ]);
      expect(node.getLogsCalls.map(({ at }) => at)).toEqual([1, 3, 5, 7]);
      expect(node.maxConcurrentGetLogs()).toBe(1);
    });
  });

  describe('slow polls', () => {
    it('drop the ticks that fall while a poll is running, so that polls never overlap', () => {
      const node = runMarbles((helpers, scheduler) => {
        // A new block every frame; eth_getLogs takes 25 frames, longer than two poll intervals.
        const node = scriptedRpc(helpers, scheduler, { heads: (now) => 100 + now, logsLatency: 25 });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 99ms !').toBe('36ms a 29ms b 29ms c', {
          a: batch(101, 110),
          b: batch(111, 140),
          c: batch(141, 170),
        });
        return node;
      });

      // ticks 20, 30, 50, 60, 80 and 90 fell during a poll
      expect(node.blockNumberCalls).toEqual([0, 10, 40, 70]);
      expect(node.maxConcurrentGetLogs()).toBe(1);
    });
  });

  describe('invalid logs', () => {
    it('are reported to config.report and left out of the batch; the valid logs around them still arrive', () => {
      const foreign: LogSpec = { block: 17, index: 1, address: `0x${'cd'.repeat(20)}` };
      const reports: NexusDiagnostic[] = [];
      runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [17], logs: [log(17, 0), foreign, log(17, 2)] });
        const poller = pollLogs(config(node.rpc, { fromBlock: 17, report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 4ms !').toBe('--a', { a: batch(17, 17, [log(17, 0), log(17, 2)]) });
      });

      expect(reports).toEqual([
        { kind: 'invalid-log', reason: [expect.stringContaining('0xcdcd')], log: rawLog(foreign) },
      ]);
    });
  });

  describe('failures (there are no retries)', () => {
    it('end the stream with an RpcRequestError when eth_getLogs fails, after the batches read before it, and nothing is read past it', () => {
      const failure = new Error('node exploded');
      let caught: unknown;
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, {
          heads: [12, 30],
          failGetLogs: (filter) => (filter.fromBlock === 5 ? failure : undefined),
        });
        const poller = pollLogs(config(node.rpc, { fromBlock: 0, maxBlockRange: 5 }));
        helpers
          .expectObservable(poller.pipe(tap({ error: (error: unknown) => (caught = error) })))
          .toBe(
            '--a#',
            { a: batch(0, 4) },
            expect.objectContaining({ code: 'RPC_REQUEST_FAILED', method: 'eth_getLogs', cause: failure }),
          );
        return node;
      });

      expect(caught).toBeInstanceOf(RpcRequestError);
      expect((caught as RpcRequestError).message).toContain('node exploded');
      expect(node.ranges()).toEqual([
        [0, 4],
        [5, 9],
      ]);
      // virtual time runs on for thousands of frames: no tick after the failure
      expect(node.blockNumberCalls).toEqual([0]);
    });

    it('end the stream with an RpcRequestError naming eth_blockNumber when the head request fails', () => {
      const failure = new Error('ECONNREFUSED');
      runMarbles(({ cold, expectObservable }) => {
        const rpc: NexusRpc = { getBlockNumber: () => cold('-#', undefined, failure), getLogs: () => cold('-(a|)') };
        expectObservable(pollLogs(config(rpc))).toBe(
          '-#',
          undefined,
          expect.objectContaining({ code: 'RPC_REQUEST_FAILED', method: 'eth_blockNumber', cause: failure }),
        );
      });
    });

    it('end the stream with an RpcRequestError when the rpc throws synchronously', () => {
      let caught: unknown;
      const rpc: NexusRpc = {
        getBlockNumber: () => {
          throw new TypeError('fetch failed');
        },
        getLogs: () => [],
      };
      runMarbles(() => {
        pollLogs(config(rpc)).subscribe({ error: (error: unknown) => (caught = error) });
      });

      expect(caught).toBeInstanceOf(RpcRequestError);
      expect(caught).toMatchObject({ code: 'RPC_REQUEST_FAILED', method: 'eth_blockNumber' });
    });

    it('end the stream with an InvalidRpcResponseError when the head is not a quantity', () => {
      let caught: unknown;
      runMarbles(({ cold, expectObservable }) => {
        const rpc: NexusRpc = { getBlockNumber: () => cold('-(a|)', { a: 'latest' }), getLogs: () => cold('-(a|)') };
        const poller = pollLogs(config(rpc)).pipe(tap({ error: (error: unknown) => (caught = error) }));
        expectObservable(poller).toBe(
          '-#',
          undefined,
          expect.objectContaining({ code: 'INVALID_RPC_RESPONSE', method: 'eth_blockNumber' }),
        );
      });

      expect(caught).toBeInstanceOf(InvalidRpcResponseError);
      expect((caught as Error).message).toContain('"latest"');
    });

    it('end the stream with an InvalidRpcResponseError when eth_getLogs does not answer an array', () => {
      runMarbles(({ cold, expectObservable }) => {
        const rpc: NexusRpc = {
          getBlockNumber: () => cold('-(a|)', { a: '0x10' }),
          getLogs: () => cold('-(a|)', { a: { logs: [] } }),
        };
        expectObservable(pollLogs(config(rpc, { fromBlock: 0 }))).toBe(
          '--#',
          undefined,
          expect.objectContaining({ code: 'INVALID_RPC_RESPONSE', method: 'eth_getLogs' }),
        );
      });
    });
  });

  describe('unsubscribing', () => {
    it('cancels the request in flight and makes no RPC call afterwards', () => {
      let blockNumberCalls = 0;
      let getLogsCalls = 0;
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const slowLogs = cold('-----(a|)', { a: [] });
        const rpc: NexusRpc = {
          getBlockNumber: () => {
            blockNumberCalls += 1;
            return cold('-(a|)', { a: '0x10' });
          },
          getLogs: () => {
            getLogsCalls += 1;
            return slowLogs;
          },
        };
        expectObservable(pollLogs(config(rpc, { fromBlock: 0 })), '^ 3ms !').toBe('');
        expectSubscriptions(slowLogs.subscriptions).toBe('-^--!');
      });

      // virtual time runs on for thousands of frames after the unsubscription: no more ticks
      expect(blockNumberCalls).toBe(1);
      expect(getLogsCalls).toBe(1);
    });

    it('between polls stops the timer', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 14ms !').toBe('');
        return node;
      });

      expect(node.blockNumberCalls).toEqual([0, 10]);
    });

    it('lets each subscription run its own loop from its own start', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 17, 18] });
        const poller: Observable<LogBatch> = pollLogs(config(node.rpc, { fromBlock: 10 }));
        helpers.expectObservable(poller, '^ 4ms !').toBe('--a', { a: batch(10, 16) });
        helpers.expectObservable(poller, '^ 4ms !').toBe('--a', { a: batch(10, 17) });
        return node;
      });

      expect(node.ranges()).toEqual([
        [10, 16],
        [10, 17],
      ]);
    });
  });
});
