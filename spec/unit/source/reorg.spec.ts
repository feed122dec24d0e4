import { type Observable, map, of, tap, throwError, timer } from 'rxjs';
import { getAddress } from 'ethers';
import {
  type GetLogsFilter,
  type LogBatch,
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  NexusNotFoundError,
  type NexusRpc,
  type RpcLog,
  RpcUnavailableError,
} from 'ogpu-events';
import { NexusBloom } from '../../../src/source/NexusBloom';
import { BlockSpan } from '../../../src/source/BlockSpan';
import { type PollLogsConfig, REORG_MEMORY_BLOCKS, pollLogs } from '../../../src/source/pollLogs';
import type { RequestPolicy } from '../../../src/source/RequestPolicy';
import { NEXUS_ADDRESS, hash32, rawLog, rpcLog, rangeOf } from '../helpers/logs';
import { blockHash, runMarbles, scriptedRpc } from '../helpers/marbles';

const TOPICS = [NEXUS_EVENT_TOPICS.TaskPublished, NEXUS_EVENT_TOPICS.TaskStatusChanged];

/** Retries without bound after 5, 10, 20, 20… frames; a timeout far beyond the tests. */
const POLICY: RequestPolicy = {
  timeout: 100_000,
  maxRetries: Infinity,
  initialDelay: 10,
  maxDelay: 40,
  random: () => 0,
};

/** A poller every 10 frames, no confirmations, ranges of up to 1000 blocks. */
function config(rpc: NexusRpc, overrides: Partial<PollLogsConfig> = {}): PollLogsConfig {
  return {
    rpc,
    policy: POLICY,
    report: () => undefined,
    address: NEXUS_ADDRESS,
    topics: TOPICS,
    span: new BlockSpan(1_000),
    bloom: new NexusBloom(NEXUS_ADDRESS, TOPICS),
    pollInterval: 10,
    confirmations: 0,
    ...overrides,
  };
}

interface ChainOptions {
  /** The head at the virtual time of a `getBlock('latest')`. */
  readonly head: (now: number) => number;
  /** Which version of block `block` the chain has at `now` (default 0): a new version is a reorg. */
  readonly version?: (block: number, now: number) => number;
  /** The log indices of block `block` in version `version` of the chain. */
  readonly logsOf?: (block: number, version: number) => readonly number[];
  /** The answer to eth_getCode (default: some code). */
  readonly code?: string;
  /** An error to fail the n-th eth_getLogs with (0-based). */
  readonly failGetLogs?: (filter: GetLogsFilter, call: number) => unknown;
}

/**
 * A node on the virtual clock whose chain can be reorganised: block hashes and logs depend on the
 * version of each block at the time of the call. Every answer takes one frame (eth_getCode none).
 * Records every call as `[virtual time, 'latest' | 'block n' | 'logs a-b' | 'code']`.
 */
function chainNode(scheduler: { now(): number }, options: ChainOptions) {
  const calls: [number, string][] = [];
  let getLogsCount = 0;
  const version = (block: number, now: number): number => options.version?.(block, now) ?? 0;
  const later = <T>(value: T): Observable<T> => timer(1).pipe(map(() => value));
  const headerOf = (n: number, now: number) => ({
    number: `0x${n.toString(16)}`,
    hash: blockHash(n, version(n, now)),
    parentHash: n === 0 ? `0x${'0'.repeat(64)}` : blockHash(n - 1, version(n - 1, now)),
  });
  const rpc: NexusRpc = {
    getBlock: (block) => {
      const now = scheduler.now();
      calls.push([now, block === 'latest' ? 'latest' : `block ${block}`]);
      const head = options.head(now);
      if (block === 'latest') return later(headerOf(head, now));
      return later(block > head ? null : headerOf(block, now));
    },
    getCode: () => {
      calls.push([scheduler.now(), 'code']);
      return of(options.code ?? '0x6080604052');
    },
    getLogs: (filterFilter) => {
      const filter = rangeOf(filterFilter);
      const now = scheduler.now();
      calls.push([now, `logs ${filter.fromBlock}-${filter.toBlock}`]);
      const failure = options.failGetLogs?.(filter, getLogsCount++);
      if (failure !== undefined) return timer(1).pipe(map(() => throwFailure(failure)));
      const head = options.head(now);
      const logs: unknown[] = [];
      for (let block = filter.fromBlock; block <= Math.min(filter.toBlock, head); block += 1) {
        const v = version(block, now);
        for (const index of options.logsOf?.(block, v) ?? []) logs.push(rawChainLog(block, index, v));
      }
      return later(logs);
    },
  };
  return {
    rpc,
    calls,
    /** The calls made in [from, to) of virtual time, without their times. */
    callsBetween: (from: number, to: number): string[] =>
      calls.filter(([at]) => at >= from && at < to).map(([, call]) => call),
    ranges: (): [number, number][] =>
      calls
        .filter(([, call]) => call.startsWith('logs '))
        .map(([, call]) => call.slice(5).split('-').map(Number) as [number, number]),
  };
}

function throwFailure(failure: unknown): never {
  throw failure;
}

/** The transaction of log `index` of block `block` in chain version `version`. */
const txOf = (block: number, index: number, version: number): string =>
  hash32(0xcc_0000_0000_0000n + BigInt(version) * 1_000_000_000n + BigInt(block) * 1_000n + BigInt(index));

function rawChainLog(block: number, index: number, version: number): Record<string, unknown> {
  const raw = rawLog({ block, index, topics: [TOPICS[0]!], transactionHash: txOf(block, index, version) });
  return { ...raw, blockHash: blockHash(block, version) };
}

/** Log `index` of block `block` of chain version `version`, as the poller emits it. */
function chainLog(block: number, index: number, version = 0): RpcLog {
  const log = rpcLog({ block, index, topics: [TOPICS[0]!], transactionHash: txOf(block, index, version) });
  return { ...log, blockHash: blockHash(block, version) };
}

const batch = (fromBlock: number, toBlock: number, logs: readonly RpcLog[] = []): LogBatch => ({
  fromBlock,
  toBlock,
  logs,
});

/** `heads[i]` during [10 i, 10 (i+1)): the head each tick of a 10-frame poll sees (the last one stays). */
const headsByTick =
  (...heads: number[]) =>
  (now: number): number =>
    heads[Math.min(Math.floor(now / 10), heads.length - 1)]!;

describe('pollLogs: reorgs', () => {
  describe('a reorg under the cursor, without confirmations', () => {
    /**
     * Blocks 10, 11 and 12 are read one tick each (ticks 1-3); between ticks 3 and 4 the chain
     * replaces blocks 11 and up: block 11 loses its log to a new one, block 12 gets two new ones.
     */
    const reorgedAt35 = {
      version: (block: number, now: number) => (now >= 35 && block >= 11 ? 1 : 0),
      logsOf: (block: number, version: number) => (version === 0 ? [0] : block === 12 ? [0, 1] : [0]),
    };

    it('is reported with the replaced block and the newest block still canonical, and re-read from there', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(9, 10, 11, 12), ...reorgedAt35 });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 54ms !').toBe('12ms a 9ms b 9ms c 11ms d', {
          a: batch(10, 10, [chainLog(10, 0)]),
          b: batch(11, 11, [chainLog(11, 0)]),
          c: batch(12, 12, [chainLog(12, 0)]),
          d: { ...batch(11, 12, [chainLog(11, 0, 1), chainLog(12, 0, 1), chainLog(12, 1, 1)]), rewound: true },
        });
        return node;
      });

      expect(reports).toEqual([
        { kind: 'reorg', replacedBlock: 12, replacedHash: blockHash(12), ancestor: 10, deeperThanMemory: false },
      ]);
      // tick 4: the head, then the anchors newest first until one is still canonical, then the read
      expect(node.callsBetween(40, 50)).toEqual(['latest', 'block 11', 'block 10', 'logs 11-12']);
      // tick 5: nothing new
      expect(node.callsBetween(50, 55)).toEqual(['latest']);
    });

    it('marks only the first batch after the rewind as rewound', () => {
      runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(9, 10, 11, 12, 12, 13), ...reorgedAt35 });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 54ms !').toBe('12ms a 9ms b 9ms c 11ms d 7ms e', {
          a: batch(10, 10, [chainLog(10, 0)]),
          b: batch(11, 11, [chainLog(11, 0)]),
          c: batch(12, 12, [chainLog(12, 0)]),
          d: { ...batch(11, 12, [chainLog(11, 0, 1), chainLog(12, 0, 1), chainLog(12, 1, 1)]), rewound: true },
          e: batch(13, 13, [chainLog(13, 0, 1)]),
        });
      });
    });

    it('seen together with new blocks, re-reads from the ancestor up to the new head in one range', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(9, 10, 11, 12, 14), ...reorgedAt35 });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 54ms !').toBe('12ms a 9ms b 9ms c 12ms d', {
          a: batch(10, 10, [chainLog(10, 0)]),
          b: batch(11, 11, [chainLog(11, 0)]),
          c: batch(12, 12, [chainLog(12, 0)]),
          d: {
            ...batch(11, 14, [
              chainLog(11, 0, 1),
              chainLog(12, 0, 1),
              chainLog(12, 1, 1),
              chainLog(13, 0, 1),
              chainLog(14, 0, 1),
            ]),
            rewound: true,
          },
        });
        return node;
      });

      expect(reports).toEqual([expect.objectContaining({ kind: 'reorg', replacedBlock: 12, ancestor: 10 })]);
      expect(node.callsBetween(40, 50)).toEqual(['latest', 'block 12', 'block 11', 'block 10', 'logs 11-14']);
    });

    it('that races a read (the logs came from the new chain, the anchor from the old) shows up at the next tick', () => {
      const reports: NexusDiagnostic[] = [];
      runMarbles((helpers, scheduler) => {
        // Block 13 is replaced at 11: after the head request of tick 1 (at 10), before its eth_getLogs (at 11).
        const node = chainNode(scheduler, {
          head: headsByTick(12, 13),
          version: (block, now) => (now >= 11 && block >= 13 ? 1 : 0),
          logsOf: (_, version) => (version === 0 ? [0] : [5]),
        });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 34ms !').toBe('12ms a 10ms b', {
          a: batch(13, 13, [chainLog(13, 5, 1)]),
          b: { ...batch(13, 13, [chainLog(13, 5, 1)]), rewound: true },
        });
      });

      expect(reports).toEqual([
        { kind: 'reorg', replacedBlock: 13, replacedHash: blockHash(13), ancestor: 12, deeperThanMemory: false },
      ]);
    });

    it('forgets the anchors of the replaced blocks (inspect: anchors and cursor after every tick)', () => {
      const states: { cursor: number | undefined; anchors: number }[] = [];
      runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(9, 10, 11, 12), ...reorgedAt35 });
        const poller = pollLogs(config(node.rpc, { inspect: (state) => states.push({ ...state }) }));
        helpers.expectObservable(poller.pipe(map(() => 'x')), '^ 54ms !').toBe('12ms x 9ms x 9ms x 11ms x');
      });

      expect(states).toEqual([
        { cursor: 10, anchors: 1 }, // the start: anchored at the head, 9
        { cursor: 11, anchors: 2 },
        { cursor: 12, anchors: 3 },
        { cursor: 13, anchors: 4 },
        { cursor: 13, anchors: 3 }, // 11 and 12 forgotten at the rewind, 12 (new) remembered after the re-read
        { cursor: 13, anchors: 3 },
      ]);
    });
  });

  describe('with confirmations', () => {
    it('a reorg no deeper than the confirmations never makes the poller emit an orphaned log (the block was never read)', () => {
      const reports: NexusDiagnostic[] = [];
      const emitted: LogBatch[] = [];
      const node = runMarbles((helpers, scheduler) => {
        // head 20 → 23 one block a tick; at 35 blocks 21..23 (the 3 unconfirmed ones) are replaced; then 24..27
        const node = chainNode(scheduler, {
          head: headsByTick(20, 21, 22, 23, 23, 24, 25, 26, 27),
          version: (block, now) => (now >= 35 && block >= 21 ? 1 : 0),
          logsOf: () => [0],
        });
        const poller = pollLogs(config(node.rpc, { confirmations: 3, report: (d) => reports.push(d) }));
        helpers
          .expectObservable(
            poller.pipe(
              tap((b) => emitted.push(b)),
              map(() => 'x'),
            ),
            '^ 94ms !',
          )
          .toBe('13ms x 9ms x 9ms x 19ms x 9ms x 9ms x 9ms x');
        return node;
      });

      expect(reports).toEqual([]);
      expect(emitted.flatMap((b) => b.logs)).toEqual([
        chainLog(18, 0),
        chainLog(19, 0),
        chainLog(20, 0),
        chainLog(21, 0, 1),
        chainLog(22, 0, 1),
        chainLog(23, 0, 1),
        chainLog(24, 0, 1),
      ]);
      expect(emitted.some((b) => b.rewound === true)).toBe(false);
      expect(node.ranges()).toEqual([18, 19, 20, 21, 22, 23, 24].map((n) => [n, n]));
    });

    it('a reorg one block deeper than the confirmations is seen, reported and re-read', () => {
      const reports: NexusDiagnostic[] = [];
      const emitted: LogBatch[] = [];
      runMarbles((helpers, scheduler) => {
        // at 35 blocks 20..23 are replaced: 20 had been read at tick 3
        const node = chainNode(scheduler, {
          head: headsByTick(20, 21, 22, 23, 23, 24),
          version: (block, now) => (now >= 35 && block >= 20 ? 1 : 0),
          logsOf: () => [0],
        });
        const poller = pollLogs(config(node.rpc, { confirmations: 3, report: (d) => reports.push(d) }));
        helpers
          .expectObservable(
            poller.pipe(
              tap((b) => emitted.push(b)),
              map(() => 'x'),
            ),
            '^ 64ms !',
          )
          .toBe('13ms x 9ms x 9ms x 20ms x');
      });

      expect(reports).toEqual([
        { kind: 'reorg', replacedBlock: 20, replacedHash: blockHash(20), ancestor: 19, deeperThanMemory: false },
      ]);
      expect(emitted[3]).toEqual({
        ...batch(20, 21, [chainLog(20, 0, 1), chainLog(21, 0, 1)]),
        rewound: true,
        readAt: expect.any(Number),
      });
    });
  });

  describe(`a reorg deeper than the poller’s memory (REORG_MEMORY_BLOCKS = ${REORG_MEMORY_BLOCKS})`, () => {
    it('is reported with deeperThanMemory, and the last REORG_MEMORY_BLOCKS blocks below the replaced one are read again', () => {
      const reports: NexusDiagnostic[] = [];
      const logs = [150, 271, 272, 390].map((block) => ({ block, index: 0, topics: [TOPICS[0]!] }));
      const node = runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, {
          heads: [200, 300, 400, 400],
          blockVersion: (block, now) => (now >= 25 && block >= 150 ? 1 : 0),
          logs,
        });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 44ms !').toBe('13ms a 9ms b 9ms c', {
          a: batch(201, 300, [rpcLog(logs[1]!), rpcLog(logs[2]!)]),
          b: batch(301, 400, [rpcLog(logs[3]!)]),
          c: { ...batch(272, 400, [rpcLog(logs[2]!), rpcLog(logs[3]!)]), rewound: true },
        });
        return node;
      });

      expect(reports).toEqual([
        {
          kind: 'reorg',
          replacedBlock: 400,
          replacedHash: blockHash(400),
          ancestor: 400 - REORG_MEMORY_BLOCKS - 1,
          deeperThanMemory: true,
        },
      ]);
      expect(node.ranges()).toEqual([
        [201, 300],
        [301, 400],
        [400 - REORG_MEMORY_BLOCKS, 400],
      ]);
      // the only remembered anchor below 400 (300: 200 is out of memory) was checked, and no other
      expect(node.blockCalls.map(([, n]) => n)).toEqual([200, 300, 300]);
    });

    it('never rewinds below block 0', () => {
      const reports: NexusDiagnostic[] = [];
      runMarbles((helpers, scheduler) => {
        const node = scriptedRpc(helpers, scheduler, {
          heads: [5, 10, 10],
          blockVersion: (_, now) => (now >= 15 ? 1 : 0),
        });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 24ms !').toBe('13ms a 9ms b', {
          a: batch(6, 10),
          b: { ...batch(0, 10), rewound: true },
        });
      });

      expect(reports).toEqual([expect.objectContaining({ ancestor: -1, deeperThanMemory: true })]);
    });
  });

  describe('a head that goes back', () => {
    it('to a shorter new chain: the replaced blocks above its head are given up, the rest re-read from the ancestor', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        // after 12 was read, the chain is replaced from 11 and its head is 11, then it grows again
        const node = chainNode(scheduler, {
          head: headsByTick(9, 10, 11, 12, 11, 11, 12, 13),
          version: (block, now) => (now >= 35 && block >= 11 ? 1 : 0),
          logsOf: () => [0],
        });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 74ms !').toBe('12ms a 9ms b 9ms c 12ms d 16ms e 9ms f', {
          a: batch(10, 10, [chainLog(10, 0)]),
          b: batch(11, 11, [chainLog(11, 0)]),
          c: batch(12, 12, [chainLog(12, 0)]),
          d: { ...batch(11, 11, [chainLog(11, 0, 1)]), rewound: true },
          e: batch(12, 12, [chainLog(12, 0, 1)]),
          f: batch(13, 13, [chainLog(13, 0, 1)]),
        });
        return node;
      });

      expect(reports).toEqual([
        { kind: 'reorg', replacedBlock: 12, replacedHash: blockHash(12), ancestor: 10, deeperThanMemory: false },
      ]);
      expect(node.callsBetween(40, 50)).toEqual(['latest', 'block 12', 'block 11', 'block 10', 'logs 11-11']);
    });

    it('on a lagging node (same chain, one block behind) is no reorg: nothing is reported or read again', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        // a load balancer sends tick 4 to a node that has not seen block 12 yet; nothing was replaced
        const node = chainNode(scheduler, { head: headsByTick(9, 10, 11, 12, 11, 12, 13), logsOf: () => [0] });
        const poller = pollLogs(config(node.rpc, { report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 74ms !').toBe('12ms a 9ms b 9ms c 29ms d', {
          a: batch(10, 10, [chainLog(10, 0)]),
          b: batch(11, 11, [chainLog(11, 0)]),
          c: batch(12, 12, [chainLog(12, 0)]),
          d: batch(13, 13, [chainLog(13, 0)]),
        });
        return node;
      });

      expect(reports).toEqual([]);
      expect(node.ranges()).toEqual([10, 11, 12, 13].map((n) => [n, n]));
    });
  });

  describe('with an explicit fromBlock', () => {
    it('a reorg just after the first read never makes the poller read below fromBlock', () => {
      const reports: NexusDiagnostic[] = [];
      const emitted: LogBatch[] = [];
      runMarbles((helpers, scheduler) => {
        // [10, 12] is read at the first tick; then block 12 is replaced
        const node = chainNode(scheduler, {
          head: headsByTick(12, 12, 12),
          version: (block, now) => (now >= 5 && block >= 12 ? 1 : 0),
          logsOf: () => [0],
        });
        const subscription = pollLogs(config(node.rpc, { fromBlock: 10, report: (d) => reports.push(d) })).subscribe(
          (b) => emitted.push(b),
        );
        scheduler.schedule(() => subscription.unsubscribe(), 25);
      });

      expect(emitted[0]).toEqual({
        ...batch(10, 12, [chainLog(10, 0), chainLog(11, 0), chainLog(12, 0)]),
        readAt: expect.any(Number),
      });
      expect(emitted[1]?.fromBlock).toBeGreaterThanOrEqual(10);
      expect(emitted[1]?.logs).toContainEqual(chainLog(12, 0, 1));
      expect(emitted.flatMap((b) => b.logs).filter((log) => log.blockNumber < 10)).toEqual([]);
      expect(reports).toEqual([expect.objectContaining({ kind: 'reorg', replacedBlock: 12 })]);
    });

    it('a reorg of the whole first range is measured against block fromBlock - 1: not deeperThanMemory, ancestor fromBlock - 1, re-read from fromBlock', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        // [10, 12] is read at the first tick; between ticks 0 and 1 blocks 10 and up are replaced
        // (block 9, below fromBlock, stays)
        const node = chainNode(scheduler, {
          head: () => 12,
          version: (block, now) => (now >= 5 && block >= 10 ? 1 : 0),
          logsOf: () => [0],
        });
        const poller = pollLogs(config(node.rpc, { fromBlock: 10, report: (d) => reports.push(d) }));
        // tick 0: head (0 → 1), block 9 anchored (1 → 2; just fetched, not asked again), logs 10-12 (2 → 3).
        // tick 10: the head's hash changed (10 → 11): anchor 12 is replaced; anchor 9 is asked
        // (11 → 12) and still canonical; logs 10-12 again (12 → 13).
        helpers.expectObservable(poller, '^ 24ms !').toBe('---a 9ms b', {
          a: batch(10, 12, [chainLog(10, 0), chainLog(11, 0), chainLog(12, 0)]),
          b: { ...batch(10, 12, [chainLog(10, 0, 1), chainLog(11, 0, 1), chainLog(12, 0, 1)]), rewound: true },
        });
        return node;
      });

      expect(reports).toEqual([
        { kind: 'reorg', replacedBlock: 12, replacedHash: blockHash(12), ancestor: 9, deeperThanMemory: false },
      ]);
      expect(node.ranges()).toEqual([
        [10, 12],
        [10, 12],
      ]);
      expect(node.callsBetween(10, 20)).toEqual(['latest', 'block 9', 'logs 10-12']);
    });

    it('a reorg that also replaced block fromBlock - 1 is deeperThanMemory, and still re-read from fromBlock, never below', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, {
          head: () => 12,
          version: (block, now) => (now >= 5 && block >= 9 ? 1 : 0),
          logsOf: () => [0],
        });
        const poller = pollLogs(config(node.rpc, { fromBlock: 10, report: (d) => reports.push(d) }));
        helpers.expectObservable(poller, '^ 24ms !').toBe('---a 9ms b', {
          a: batch(10, 12, [chainLog(10, 0), chainLog(11, 0), chainLog(12, 0)]),
          b: { ...batch(10, 12, [chainLog(10, 0, 1), chainLog(11, 0, 1), chainLog(12, 0, 1)]), rewound: true },
        });
        return node;
      });

      expect(reports).toEqual([
        { kind: 'reorg', replacedBlock: 12, replacedHash: blockHash(12), ancestor: 9, deeperThanMemory: true },
      ]);
      expect(node.ranges()).toEqual([
        [10, 12],
        [10, 12],
      ]);
    });
  });

  describe('request economy', () => {
    it('an idle tick (same head hash) costs exactly one eth_getBlockByNumber("latest")', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: () => 16 });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 54ms !').toBe('');
        return node;
      });

      expect(node.calls).toEqual([
        [0, 'code'],
        [0, 'latest'],
        [10, 'latest'],
        [20, 'latest'],
        [30, 'latest'],
        [40, 'latest'],
        [50, 'latest'],
      ]);
    });

    it('an idle tick costs one request with confirmations too', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: () => 16 });
        helpers.expectObservable(pollLogs(config(node.rpc, { confirmations: 3 })), '^ 34ms !').toBe('');
        return node;
      });

      expect(node.callsBetween(10, 35)).toEqual(['latest', 'latest', 'latest']);
    });

    it('one new block without confirmations costs the head and one eth_getLogs: its parent hash checks the anchor', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(16, 17, 18) });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 24ms !').toBe('12ms a 9ms b', {
          a: batch(17, 17),
          b: batch(18, 18),
        });
        return node;
      });

      expect(node.callsBetween(10, 20)).toEqual(['latest', 'logs 17-17']);
      expect(node.callsBetween(20, 30)).toEqual(['latest', 'logs 18-18']);
    });

    it('a jump of several blocks costs one more request: the anchor’s header', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(16, 20) });
        helpers.expectObservable(pollLogs(config(node.rpc)), '^ 14ms !').toBe('13ms a', { a: batch(17, 20) });
        return node;
      });

      expect(node.callsBetween(10, 20)).toEqual(['latest', 'block 16', 'logs 17-20']);
    });

    it('with confirmations, one new block costs the head, the confirmed header (whose parent checks the anchor) and eth_getLogs', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(16, 17, 21) });
        helpers.expectObservable(pollLogs(config(node.rpc, { confirmations: 3 })), '^ 24ms !').toBe('13ms a 10ms b', {
          a: batch(14, 14),
          b: batch(15, 18),
        });
        return node;
      });

      expect(node.callsBetween(0, 10)).toEqual(['code', 'latest', 'block 13']);
      expect(node.callsBetween(10, 20)).toEqual(['latest', 'block 14', 'logs 14-14']);
      // a jump: the anchor (14) is neither the confirmed block (18) nor its parent
      expect(node.callsBetween(20, 30)).toEqual(['latest', 'block 18', 'block 14', 'logs 15-18']);
    });

    it('eth_getCode is asked once, at start (beside the first head request), never again', () => {
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: (now) => 100 + Math.floor(now / 10) });
        helpers
          .expectObservable(pollLogs(config(node.rpc)).pipe(map(() => 'x')), '^ 999ms !')
          .toBe(`12ms ${'x 9ms '.repeat(98)}x`);
        return node;
      });

      expect(node.calls.slice(0, 2)).toEqual([
        [0, 'code'],
        [0, 'latest'],
      ]);
      expect(node.calls.filter(([, call]) => call === 'code')).toHaveLength(1);
    });

    it.each(['0x', '0x0'])(
      'an address without code (eth_getCode %s) fails the stream with NexusNotFoundError at once',
      (code) => {
        let caught: unknown;
        const node = runMarbles((helpers, scheduler) => {
          const node = chainNode(scheduler, { head: () => 16, code });
          helpers
            .expectObservable(pollLogs(config(node.rpc)).pipe(tap({ error: (e: unknown) => (caught = e) })))
            .toBe('#', undefined, expect.any(NexusNotFoundError));
          return node;
        });

        expect(node.calls).toEqual([[0, 'code']]);
        expect(caught).toMatchObject({ code: 'NEXUS_NOT_FOUND', address: getAddress(NEXUS_ADDRESS) });
      },
    );

    it('a transient failure of eth_getCode is retried while polling goes on; no code then still fails the stream', () => {
      const node = runMarbles((helpers, scheduler) => {
        let codeCalls = 0;
        const base = chainNode(scheduler, { head: () => 16 });
        const rpc: NexusRpc = {
          ...base.rpc,
          getCode: () => {
            base.calls.push([scheduler.now(), 'code']);
            codeCalls += 1;
            if (codeCalls === 1) return throwError(() => ({ code: -32603, message: 'internal error' }));
            return codeCalls === 2 ? timer(20).pipe(map(() => '0x')) : of('0x6080');
          },
        };
        // code: fails at 0, asked again at 5, answers "no code" at 25
        helpers
          .expectObservable(pollLogs(config(rpc)), '^ 44ms !')
          .toBe('25ms #', undefined, expect.any(NexusNotFoundError));
        return base;
      });

      expect(node.calls).toEqual([
        [0, 'code'],
        [0, 'latest'],
        [5, 'code'],
        [10, 'latest'],
        [20, 'latest'],
      ]);
    });
  });

  describe('the cursor', () => {
    it('never moves past a range that was not read: a failing eth_getLogs is retried for the same range', () => {
      const states: (number | undefined)[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, {
          head: headsByTick(12, 15, 15),
          logsOf: (block) => (block === 14 ? [0] : []),
          failGetLogs: (_, call) => (call === 0 ? { code: -32603, message: 'internal error' } : undefined),
        });
        const poller = pollLogs(config(node.rpc, { inspect: ({ cursor }) => states.push(cursor) }));
        // tick 1: head at 11, anchor 12 at 12, eth_getLogs fails at 13, asked again at 18, answers at 19
        helpers.expectObservable(poller, '^ 24ms !').toBe('19ms a', { a: batch(13, 15, [chainLog(14, 0)]) });
        return node;
      });

      expect(node.ranges()).toEqual([
        [13, 15],
        [13, 15],
      ]);
      expect(states).toEqual([13, 16, 16]);
    });

    it('moves past each chunk once it is delivered, so a failure in a later chunk asks that chunk again, not the first', () => {
      const emitted: LogBatch[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, {
          head: headsByTick(20),
          logsOf: (block) => [block % 2],
          failGetLogs: (_, call) =>
            call === 1 || call === 2 ? { code: 'ECONNRESET', message: 'socket hang up' } : undefined,
        });
        const poller = pollLogs(config(node.rpc, { fromBlock: 0, span: new BlockSpan(10) }));
        helpers
          .expectObservable(
            poller.pipe(
              tap((b) => emitted.push(b)),
              map(() => 'x'),
            ),
            '^ 34ms !',
          )
          .toBe('--x 17ms xx');
        return node;
      });

      expect(node.ranges()).toEqual([
        [0, 9],
        [10, 19],
        [10, 19],
        [10, 19],
        [20, 20],
      ]);
      expect(emitted.map((b) => [b.fromBlock, b.toBlock])).toEqual([
        [0, 9],
        [10, 19],
        [20, 20],
      ]);
    });

    it('keeps polling when the transport answers eth_getLogs with an observable that never completes', () => {
      runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, { head: headsByTick(10, 11, 12, 13) });
        // answers like a Subject-based transport: one value, no completion
        const rpc: NexusRpc = { ...node.rpc, getLogs: () => helpers.cold('-a', { a: [] }) };
        helpers.expectObservable(pollLogs(config(rpc)), '^ 34ms !').toBe('12ms a 9ms b 9ms c', {
          a: batch(11, 11),
          b: batch(12, 12),
          c: batch(13, 13),
        });
      });
    });

    it('when the retries run out, the stream fails with RpcUnavailableError and asks nothing more', () => {
      let caught: unknown;
      const node = runMarbles((helpers, scheduler) => {
        const node = chainNode(scheduler, {
          head: headsByTick(12, 15),
          failGetLogs: () => ({ code: -32603, message: 'internal error' }),
        });
        const poller = pollLogs(config(node.rpc, { policy: { ...POLICY, maxRetries: 2 } }));
        // eth_getLogs at 12, 18, 29: fails at 30
        helpers
          .expectObservable(poller.pipe(tap({ error: (e: unknown) => (caught = e) })))
          .toBe('30ms #', undefined, expect.objectContaining({ code: 'RPC_UNAVAILABLE', attempts: 3 }));
        return node;
      });

      expect(node.calls.at(-1)).toEqual([29, 'logs 13-15']);
      expect(node.calls.filter(([, call]) => call === 'latest')).toHaveLength(2);
      expect(caught).toBeInstanceOf(RpcUnavailableError);
      expect(caught).toMatchObject({ method: 'eth_getLogs' });
    });
  });
});
