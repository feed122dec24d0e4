import { type Observable, of, tap } from 'rxjs';
import { getAddress } from 'ethers';
import {
  InvalidRpcResponseError,
  type LogBatch,
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  NexusNotFoundError,
  type NexusRpc,
  RpcRequestError,
  RpcUnavailableError,
} from 'ogpu-events';
import { NexusBloom } from '../../../src/source/NexusBloom';
import { BlockSpan } from '../../../src/source/BlockSpan';
import { type PollLogsConfig, pollLogs } from '../../../src/source/pollLogs';
import { type LogSpec, NEXUS_ADDRESS, rawLog, rpcLog } from '../helpers/logs';
import { rawBlockHeader, runMarbles, scriptedRpc } from '../helpers/marbles';
import { testPolicy } from '../helpers/testPolicy';

const TOPICS = [NEXUS_EVENT_TOPICS.TaskPublished, NEXUS_EVENT_TOPICS.TaskStatusChanged];

/**
 * A poller configuration: every 10 frames, no confirmations, ranges of up to 100 blocks,
 * no retries (a failure reaches the subscriber at once).
 */
function config(rpc: NexusRpc, overrides: Partial<PollLogsConfig> = {}): PollLogsConfig {
  return {
    rpc,
    policy: testPolicy(),
    address: NEXUS_ADDRESS,
    topics: TOPICS,
    span: new BlockSpan(100),
    bloom: new NexusBloom(NEXUS_ADDRESS, TOPICS),
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

/** An rpc whose code check passes at once, for tests that script the head and the logs by hand. */
const handRpc = (rpc: Pick<NexusRpc, 'getBlock' | 'getLogs'>): NexusRpc => ({ ...rpc, getCode: () => of('0x60') });

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

    it('checks that the Nexus has code once, beside the first tick (not waiting for it), and never again', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 17, 18, 19], codeLatency: 3 });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 34ms !').toBe('12ms a 9ms b 9ms c', {
          a: batch(17, 17),
          b: batch(18, 18),
          c: batch(19, 19),
        });
        return node;
      });

      expect(node.codeCalls).toEqual([[0, NEXUS_ADDRESS]]);
      expect(node.blockNumberCalls).toEqual([0, 10, 20, 30]);
    });

    it('asks for nothing but the head while no new block is confirmed: a tick whose head is the last one does nothing more', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 16, 16] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('');
        return node;
      });

      expect(node.blockNumberCalls).toHaveLength(3);
      expect(node.blockCalls).toEqual([]);
      expect(node.getLogsCalls).toEqual([]);
    });

    it('reads from the cursor to the confirmed head once a new block is confirmed, then continues after it', () => {
      const logs = [log(16, 0), log(17, 0), log(18, 0), log(18, 1), log(19, 3)];
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 16, 18, 18, 19], logs });
        // ticks at 0, 10, 20, 30, 40; every request takes 1 frame. At 20 the head jumped two
        // blocks: block 16 (read last) is checked with a request of its own before the logs.
        // At 40 the head is the next block: its parentHash checks block 18, no extra request.
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 44ms !').toBe('23ms a 18ms b', {
          a: batch(17, 18, [log(17, 0), log(18, 0), log(18, 1)]),
          b: batch(19, 19, [log(19, 3)]),
        });
        return node;
      });

      expect(node.ranges()).toEqual([
        [17, 18],
        [19, 19],
      ]);
      expect(node.blockCalls).toEqual([[21, 16]]);
    });

    it('emits a batch for a range without logs, so that subscribers see the cursor advance', () => {
      runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 17, 19] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('12ms a 10ms b', {
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
          .toBe('13ms a', { a: batch(17, 18, [log(17, 0)]) });
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
          .toBe('14ms a', { a: batch(14, 17, [log(14, 0), log(17, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([[14, 17]]);
      // the start anchors the chain at block 13; the tick asks for the confirmed block 17
      // and, as 17 is not next to 13, for block 13 to check it
      expect(node.blockCalls).toEqual([
        [1, 13],
        [11, 17],
        [12, 13],
      ]);
    });

    it('never starts below block 0 when the chain is shorter than the confirmations', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [1, 5, 6], logs: [log(0, 0), log(1, 0)] });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { confirmations: 5 })), '^ 24ms !')
          .toBe('13ms a 9ms b', { a: batch(0, 0, [log(0, 0)]), b: batch(1, 1, [log(1, 0)]) });
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
        // tick 0: head 16 (0 → 1); block 2, below fromBlock, is fetched as the first anchor (1 → 2)
        // and, just fetched, needs no second check; the confirmed block 14 (2 → 3); the logs of
        // [3, 14] (3 → 4).
        // tick 10: same head, nothing more. tick 20: head 17 (20 → 21), the confirmed block 15
        // (21 → 22) whose parentHash checks anchor 14; the logs of [15, 15] (22 → 23).
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 3, confirmations: 2 })), '^ 24ms !')
          .toBe('----a 18ms b', { a: batch(3, 14, [log(3, 0), log(14, 0)]), b: batch(15, 15, [log(15, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([
        [3, 14],
        [15, 15],
      ]);
      expect(node.blockCalls).toEqual([
        [1, 2],
        [2, 14],
        [21, 15],
      ]);
      // Block fromBlock - 1 is fetched as the anchor exactly once, at the first tick, as soon as
      // the head answered; the anchor check of that tick uses the header just fetched.
      const anchorCalls = node.blockCalls.filter(([, block]) => block === 2);
      expect(anchorCalls).toEqual([[1, 2]]);
      expect(anchorCalls.every(([at]) => at < 10)).toBe(true);
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
      // no block -1 to anchor at, and no anchor to check: not one numbered header
      expect(node.blockCalls).toEqual([]);
    });

    it('waits, reading nothing, while an explicit fromBlock is above the confirmed head', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 19, 21] });
        // tick 0: head 16, block 19 does not exist yet: nothing to anchor or read.
        // tick 10: head 19 (10 → 11): block 19 is fetched as the anchor (11 → 12); it is the head,
        // so checking it costs nothing; nothing to read yet.
        // tick 20: head 21 (20 → 21): anchor 19 is not next to it, so it is checked (21 → 22);
        // the logs of [20, 21] (22 → 23).
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 20 })), '^ 24ms !')
          .toBe('23ms a', { a: batch(20, 21) });
        return node;
      });

      expect(node.ranges()).toEqual([[20, 21]]);
      expect(node.blockCalls).toEqual([
        [11, 19],
        [21, 19],
      ]);
    });
  });

  describe('ranges longer than the span', () => {
    it('are cut into chunks of span.current blocks, each requested only after the previous one was emitted', () => {
      const logs = [log(0, 0), log(4, 0), log(5, 0), log(14, 2), log(16, 0)];
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16], logs, logsLatency: 2 });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 0, span: new BlockSpan(5) })), '^ 14ms !')
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
        // Each poll: the head (1 frame), the header of the block read last (1 frame), the logs.
        const node = scriptedRpc(helpers, scheduler, { heads: (now) => 100 + now, logsLatency: 25 });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 99ms !').toBe('37ms a 29ms b 29ms c', {
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
        // head 17 (0 → 1), block 16 fetched as the anchor (1 → 2): the head's parentHash checks
        // it; the logs of [17, 17] (2 → 3)
        helpers.expectObservable(poller, '^ 4ms !').toBe('---a', { a: batch(17, 17, [log(17, 0), log(17, 2)]) });
      });

      expect(reports).toEqual([
        { kind: 'invalid-log', reason: [expect.stringContaining('0xcdcd')], log: rawLog(foreign) },
      ]);
    });
  });

  describe('per-tick cost', () => {
    it('a tick with one new block and no confirmations costs the head and one eth_getLogs: the new head’s parentHash checks the block read last', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 17, 18] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('12ms a 9ms b', {
          a: batch(17, 17),
          b: batch(18, 18),
        });
        return node;
      });

      expect(node.blockNumberCalls).toEqual([0, 10, 20]);
      expect(node.blockCalls).toEqual([]);
      expect(node.ranges()).toEqual([
        [17, 17],
        [18, 18],
      ]);
    });

    it('a tick with several new blocks also asks for the header of the block read last, once', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 20, 25] });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('13ms a 9ms b', {
          a: batch(17, 20),
          b: batch(21, 25),
        });
        return node;
      });

      expect(node.blockCalls).toEqual([
        [11, 16],
        [21, 20],
      ]);
      expect(node.getLogsCalls).toHaveLength(2);
    });

    it('with confirmations, a tick with one new block costs the head, the confirmed block’s header (whose parentHash checks the block read last) and one eth_getLogs', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16, 17, 18] });
        helpers.expectObservable(pollLogs(config(node.rpc, { confirmations: 2 })), '^ 24ms !').toBe('13ms a 9ms b', {
          a: batch(15, 15),
          b: batch(16, 16),
        });
        return node;
      });

      // one header at start (block 14 anchors the chain), then one per tick
      expect(node.blockCalls).toEqual([
        [1, 14],
        [11, 15],
        [21, 16],
      ]);
      expect(node.blockNumberCalls).toEqual([0, 10, 20]);
      expect(node.getLogsCalls).toHaveLength(2);
    });
  });

  describe('a Nexus address without code', () => {
    it.each(['0x', '0x0'])(
      'fails the poller with NexusNotFoundError naming the checksummed address as soon as eth_getCode answers %p, and polls no more',
      (code) => {
        let caught: unknown;
        const node = runMarbles((helpers, scheduler) => {
          const node = scriptedRpc(helpers, scheduler, { heads: [16], code, codeLatency: 3 });
          const poller = pollLogs(config(node.rpc)).pipe(tap({ error: (error: unknown) => (caught = error) }));
          helpers
            .expectObservable(poller)
            .toBe(
              '---#',
              undefined,
              expect.objectContaining({ code: 'NEXUS_NOT_FOUND', address: getAddress(NEXUS_ADDRESS) }),
            );
          return node;
        });

        expect(caught).toBeInstanceOf(NexusNotFoundError);
        expect((caught as Error).message).toContain(getAddress(NEXUS_ADDRESS));
        // the first tick's head request went out beside the check; no tick after the failure
        expect(node.blockNumberCalls).toEqual([0]);
        expect(node.getLogsCalls).toEqual([]);
      },
    );

    it('runs the first tick beside the check: a range read before the answer (empty, at an address without code) is emitted, then the poller fails', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16], code: '0x', codeLatency: 3 });
        helpers
          .expectObservable(pollLogs(config(node.rpc, { fromBlock: 0 })))
          .toBe('--a#', { a: batch(0, 16) }, expect.any(NexusNotFoundError));
        return node;
      });

      expect(node.ranges()).toEqual([[0, 16]]);
    });

    it('fails at once when eth_getCode answers synchronously, before any head request', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16], code: '0x' });
        helpers.expectObservable(pollLogs(config(node.rpc))).toBe('#', undefined, expect.any(NexusNotFoundError));
        return node;
      });

      expect(node.blockNumberCalls).toEqual([]);
    });
  });

  describe('failures', () => {
    it('a failing eth_getLogs is retried with backoff, reported as rpc-retry; once the retries are spent the stream ends with RpcUnavailableError, after the batches read before it, and nothing is read past it', () => {
      const failure = new Error('node exploded');
      const reports: NexusDiagnostic[] = [];
      let caught: unknown;
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, {
          heads: [12, 30],
          failGetLogs: (filter) => (filter.fromBlock === 5 ? failure : undefined),
        });
        const poller = pollLogs(
          config(node.rpc, {
            fromBlock: 0,
            span: new BlockSpan(5),
            policy: testPolicy({ maxRetries: 2, initialDelay: 10 }),
            report: (d) => reports.push(d),
          }),
        );
        // [5, 9] fails at 3, 12 and 28: retries after 8 and 15 frames (3/4 of 10 and of 20)
        helpers
          .expectObservable(poller.pipe(tap({ error: (error: unknown) => (caught = error) })))
          .toBe(
            '--a 25ms #',
            { a: batch(0, 4) },
            expect.objectContaining({ code: 'RPC_UNAVAILABLE', method: 'eth_getLogs', attempts: 3 }),
          );
        return node;
      });

      expect(caught).toBeInstanceOf(RpcUnavailableError);
      const last = (caught as RpcUnavailableError).cause;
      expect(last).toBeInstanceOf(RpcRequestError);
      expect(last).toMatchObject({ code: 'RPC_REQUEST_FAILED', method: 'eth_getLogs', cause: failure });
      expect((last as RpcRequestError).message).toContain('node exploded');
      expect(reports).toEqual([
        expect.objectContaining({ kind: 'rpc-retry', method: 'eth_getLogs', retry: 1, delayMs: 8 }),
        expect.objectContaining({ kind: 'rpc-retry', method: 'eth_getLogs', retry: 2, delayMs: 15 }),
      ]);
      expect(node.ranges()).toEqual([
        [0, 4],
        [5, 9],
        [5, 9],
        [5, 9],
      ]);
      expect(node.getLogsCalls.map(({ at }) => at)).toEqual([1, 2, 11, 27]);
      // virtual time runs on for thousands of frames: no tick after the failure, nor during the retries
      expect(node.blockNumberCalls).toEqual([0]);
    });

    it('a fatal eth_getLogs failure (the node does not have the method) ends the stream at once with RpcRequestError, even with unlimited retries', () => {
      const failure = Object.assign(new Error('the method eth_getLogs does not exist/is not available'), {
        code: -32601,
      });
      const reports: NexusDiagnostic[] = [];
      let caught: unknown;
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, { heads: [16], failGetLogs: () => failure });
        const poller = pollLogs(
          config(node.rpc, {
            fromBlock: 0,
            policy: testPolicy({ maxRetries: Number.POSITIVE_INFINITY }),
            report: (d) => reports.push(d),
          }),
        );
        helpers
          .expectObservable(poller.pipe(tap({ error: (error: unknown) => (caught = error) })))
          .toBe(
            '--#',
            undefined,
            expect.objectContaining({ code: 'RPC_REQUEST_FAILED', method: 'eth_getLogs', rpcCode: -32601 }),
          );
        return node;
      });

      expect(caught).toBeInstanceOf(RpcRequestError);
      expect((caught as RpcRequestError).cause).toBe(failure);
      expect(reports).toEqual([]);
      expect(node.getLogsCalls).toHaveLength(1);
    });

    it('without retries, a failing head request ends the stream with RpcUnavailableError naming eth_getBlockByNumber', () => {
      const failure = new Error('ECONNREFUSED');
      let caught: unknown;
      runMarbles(({ cold, expectObservable }) => {
        const rpc = handRpc({ getBlock: () => cold('-#', undefined, failure), getLogs: () => cold('-(a|)') });
        expectObservable(pollLogs(config(rpc)).pipe(tap({ error: (error: unknown) => (caught = error) }))).toBe(
          '-#',
          undefined,
          expect.objectContaining({ code: 'RPC_UNAVAILABLE', method: 'eth_getBlockByNumber', attempts: 1 }),
        );
      });

      expect(caught).toBeInstanceOf(RpcUnavailableError);
      expect((caught as RpcUnavailableError).cause).toMatchObject({
        code: 'RPC_REQUEST_FAILED',
        method: 'eth_getBlockByNumber',
        cause: failure,
      });
    });

    it('an rpc that throws synchronously counts as a failed attempt (RpcUnavailableError without retries)', () => {
      let caught: unknown;
      const thrown = new TypeError('fetch failed');
      const rpc = handRpc({
        getBlock: () => {
          throw thrown;
        },
        getLogs: () => [],
      });
      runMarbles(() => {
        pollLogs(config(rpc)).subscribe({ error: (error: unknown) => (caught = error) });
      });

      expect(caught).toBeInstanceOf(RpcUnavailableError);
      expect(caught).toMatchObject({ code: 'RPC_UNAVAILABLE', method: 'eth_getBlockByNumber' });
      expect((caught as RpcUnavailableError).cause).toMatchObject({ code: 'RPC_REQUEST_FAILED', cause: thrown });
    });

    it.each([
      ['a string', 'latest', '"latest"'],
      ['null', null, 'no latest block'],
      ['a header without hash', { number: '0x10', parentHash: `0x${'00'.repeat(32)}` }, 'hash'],
    ])(
      'a head that is %s is an invalid answer, treated as a failed attempt: RpcUnavailableError caused by an InvalidRpcResponseError',
      (_what, head, mentioned) => {
        let caught: unknown;
        runMarbles(({ cold, expectObservable }) => {
          const rpc = handRpc({ getBlock: () => cold('-(a|)', { a: head }), getLogs: () => cold('-(a|)') });
          const poller = pollLogs(config(rpc)).pipe(tap({ error: (error: unknown) => (caught = error) }));
          expectObservable(poller).toBe(
            '-#',
            undefined,
            expect.objectContaining({ code: 'RPC_UNAVAILABLE', method: 'eth_getBlockByNumber' }),
          );
        });

        const cause = (caught as RpcUnavailableError).cause;
        expect(cause).toBeInstanceOf(InvalidRpcResponseError);
        expect(cause).toMatchObject({ code: 'INVALID_RPC_RESPONSE', method: 'eth_getBlockByNumber' });
        expect((cause as Error).message).toContain(mentioned);
      },
    );

    it('an eth_getLogs result that is not an array is an invalid answer: RpcUnavailableError caused by an InvalidRpcResponseError', () => {
      let caught: unknown;
      runMarbles(({ cold, expectObservable }) => {
        const rpc = handRpc({
          getBlock: () => cold('-(a|)', { a: rawBlockHeader(16) }),
          getLogs: () => cold('-(a|)', { a: { logs: [] } }),
        });
        const poller = pollLogs(config(rpc, { fromBlock: 0 })).pipe(
          tap({ error: (error: unknown) => (caught = error) }),
        );
        expectObservable(poller).toBe(
          '--#',
          undefined,
          expect.objectContaining({ code: 'RPC_UNAVAILABLE', method: 'eth_getLogs' }),
        );
      });

      expect((caught as RpcUnavailableError).cause).toMatchObject({
        code: 'INVALID_RPC_RESPONSE',
        method: 'eth_getLogs',
      });
    });
  });

  describe('unsubscribing', () => {
    it('cancels the request in flight and makes no RPC call afterwards', () => {
      let blockNumberCalls = 0;
      let getLogsCalls = 0;
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const slowLogs = cold('-----(a|)', { a: [] });
        const rpc = handRpc({
          getBlock: () => {
            blockNumberCalls += 1;
            return cold('-(a|)', { a: rawBlockHeader(16) });
          },
          getLogs: () => {
            getLogsCalls += 1;
            return slowLogs;
          },
        });
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
        // each: head (0 → 1), block 9 fetched as its anchor (1 → 2), which needs no second
        // check in the same tick, the logs (2 → 3)
        helpers.expectObservable(poller, '^ 4ms !').toBe('---a', { a: batch(10, 16) });
        helpers.expectObservable(poller, '^ 4ms !').toBe('---a', { a: batch(10, 17) });
        return node;
      });

      expect(node.ranges()).toEqual([
        [10, 16],
        [10, 17],
      ]);
      expect(node.codeCalls).toEqual([
        [0, NEXUS_ADDRESS],
        [0, NEXUS_ADDRESS],
      ]);
      expect(node.blockCalls).toEqual([
        [1, 9],
        [1, 9],
      ]);
    });
  });
});
