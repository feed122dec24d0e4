import { type Observable, map, of, timer } from 'rxjs';
import { type LogBatch, type LogPosition, NEXUS_EVENT_TOPICS, type NexusDiagnostic, type NexusRpc } from 'ogpu-events';
import { NexusBloom } from '../../../src/source/NexusBloom';
import { BlockSpan } from '../../../src/source/BlockSpan';
import { REORG_MEMORY_BLOCKS, pollLogs } from '../../../src/source/pollLogs';
import { SeenLogs } from '../../../src/streams/SeenLogs';
import { DEDUPE_WINDOW_BLOCKS } from '../../../src/streams/nexusEventStream';
import { NEXUS_ADDRESS, hash32, rawLog, rangeOf } from '../helpers/logs';
import { blockHash, runMarbles } from '../helpers/marbles';

const TOPIC = NEXUS_EVENT_TOPICS.TaskPublished;

/** A deterministic pseudo-random sequence (a 32-bit LCG), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The transaction of log `index` of block `block` in chain version `version`. */
const txOf = (block: number, index: number, version: number): string =>
  hash32(0xdd_0000_0000_0000n + BigInt(version) * 1_000_000_000n + BigInt(block) * 1_000n + BigInt(index));

/** The identity SeenLogs uses. */
const keyOf = (log: { readonly transactionHash: string; readonly logIndex: number }): string =>
  `${log.transactionHash}:${log.logIndex}`;

describe('a long run in virtual time', () => {
  describe('pollLogs over 20 000 blocks', () => {
    /** A tick every 10 frames; each answer of the node takes one frame. */
    const POLL_INTERVAL = 10;
    const START = 1_000;

    /**
     * The head each tick sees: first 300 ticks of one block each (an anchor at every block), then
     * steps of 0 to 6 blocks with an occasional jump of a few hundred (several chunks of 100).
     */
    function headsPerTick(): number[] {
      const next = random(7);
      const heads = [START];
      while (heads[heads.length - 1]! < START + 20_000) {
        const head = heads[heads.length - 1]!;
        const step = heads.length <= 300 ? 1 : next() < 0.01 ? 150 + Math.floor(next() * 250) : Math.floor(next() * 7);
        heads.push(head + step);
      }
      return heads;
    }

    /** Every 250 ticks, half-way through the tick interval, the top 1 to 8 blocks are replaced. */
    function reorgsOf(heads: readonly number[]): { at: number; fromBlock: number }[] {
      const next = random(11);
      const reorgs: { at: number; fromBlock: number }[] = [];
      for (let tick = 250; tick < heads.length; tick += 250) {
        reorgs.push({ at: tick * POLL_INTERVAL + 5, fromBlock: heads[tick]! - Math.floor(next() * 8) });
      }
      return reorgs;
    }

    /** Blocks hold 0 to 2 logs, depending on the block and its version. */
    const logIndices = (block: number, version: number): number[] => {
      const count = (block * 7 + version * 3) % 5;
      return count > 2 ? [] : Array.from({ length: count }, (_, i) => i);
    };

    it(`keeps at most REORG_MEMORY_BLOCKS + 1 (${REORG_MEMORY_BLOCKS + 1}) block-hash anchors, and still reads every block of the final chain`, () => {
      const heads = headsPerTick();
      const reorgs = reorgsOf(heads);
      const end = heads.length * POLL_INTERVAL;
      const version = (block: number, now: number): number =>
        reorgs.filter((reorg) => reorg.at <= now && reorg.fromBlock <= block).length;
      const headAt = (now: number): number => heads[Math.min(Math.floor(now / POLL_INTERVAL), heads.length - 1)]!;

      const calls = { code: 0, latest: 0, block: 0, logs: 0 };
      const later = <T>(value: T): Observable<T> => timer(1).pipe(map(() => value));
      const header = (n: number, now: number) => ({
        number: `0x${n.toString(16)}`,
        hash: blockHash(n, version(n, now)),
        parentHash: blockHash(n - 1, version(n - 1, now)),
      });

      const states: { cursor: number | undefined; anchors: number }[] = [];
      const reports: NexusDiagnostic[] = [];
      const batches: LogBatch[] = [];
      let failure: unknown;
      const startedAt = Date.now();

      runMarbles((_, scheduler) => {
        const rpc: NexusRpc = {
          getCode: () => {
            calls.code += 1;
            return of('0x6080');
          },
          getBlock: (block) => {
            const now = scheduler.now();
            const head = headAt(now);
            if (block === 'latest') {
              calls.latest += 1;
              return later(header(head, now));
            }
            calls.block += 1;
            return later(block > head ? null : header(block, now));
          },
          getLogs: (filterFilter) => {
            const filter = rangeOf(filterFilter);
            calls.logs += 1;
            const now = scheduler.now();
            const logs: unknown[] = [];
            for (let block = filter.fromBlock; block <= Math.min(filter.toBlock, headAt(now)); block += 1) {
              const v = version(block, now);
              for (const index of logIndices(block, v)) {
                const raw = rawLog({ block, index, topics: [TOPIC], transactionHash: txOf(block, index, v) });
                logs.push({ ...raw, blockHash: blockHash(block, v) });
              }
            }
            return later(logs);
          },
        };
        const subscription = pollLogs({
          rpc,
          policy: { timeout: 1_000, maxRetries: 0, initialDelay: 10, maxDelay: 10, random: () => 0 },
          report: (diagnostic) => reports.push(diagnostic),
          address: NEXUS_ADDRESS,
          topics: [TOPIC],
          span: new BlockSpan(100),
          bloom: new NexusBloom(NEXUS_ADDRESS, [TOPIC]),
          pollInterval: POLL_INTERVAL,
          confirmations: 0,
          inspect: (state) => states.push({ ...state }),
        }).subscribe({ next: (batch) => batches.push(batch), error: (error: unknown) => (failure = error) });
        scheduler.schedule(() => subscription.unsubscribe(), end);
      }, end + 100);

      expect(failure).toBeUndefined();
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      const finalHead = heads[heads.length - 1]!;

      // memory: bounded, and the bound was reached during the one-block ticks
      const anchors = states.map((state) => state.anchors);
      expect(largest(anchors)).toBe(REORG_MEMORY_BLOCKS + 1);
      expect(anchors.every((n) => n <= REORG_MEMORY_BLOCKS + 1)).toBe(true);
      expect(states.length).toBeGreaterThan(heads.length * 0.9);

      // every reorg was seen, none deeper than memory
      expect(reports).toHaveLength(reorgs.length);
      for (const report of reports) expect(report).toMatchObject({ kind: 'reorg', deeperThanMemory: false });

      // the batches cover [START + 1, final head]: each one follows the previous, except a rewound one,
      // which starts right above the ancestor of the reorg reported just before it
      expect(batches[0]!.fromBlock).toBe(START + 1);
      expect(batches[batches.length - 1]!.toBlock).toBe(finalHead);
      let reorgIndex = 0;
      for (let i = 1; i < batches.length; i += 1) {
        const batch = batches[i]!;
        if (batch.rewound === true) {
          const report = reports[reorgIndex++];
          expect(report?.kind === 'reorg' && batch.fromBlock).toBe(report?.kind === 'reorg' && report.ancestor + 1);
        } else {
          expect(batch.fromBlock).toBe(batches[i - 1]!.toBlock + 1);
        }
        expect(batch.toBlock - batch.fromBlock + 1).toBeLessThanOrEqual(100);
      }
      expect(reorgIndex).toBe(reorgs.length);

      // every log of the final chain was delivered
      const delivered = new Set(batches.flatMap((batch) => batch.logs.map(keyOf)));
      const finalVersion = (block: number): number => version(block, end);
      let finalLogs = 0;
      for (let block = START + 1; block <= finalHead; block += 1) {
        for (const index of logIndices(block, finalVersion(block))) {
          finalLogs += 1;
          expect(
            delivered.has(keyOf({ transactionHash: txOf(block, index, finalVersion(block)), logIndex: index })),
          ).toBe(true);
        }
      }
      expect(finalLogs).toBeGreaterThan(10_000);

      // the code was checked once, the head once a tick
      expect(calls.code).toBe(1);
      expect(calls.latest).toBe(states.length);
    });
  });

  describe(`SeenLogs(DEDUPE_WINDOW_BLOCKS = ${DEDUPE_WINDOW_BLOCKS}) fed 200 000 logs over 50 000 blocks`, () => {
    const BLOCKS = 50_000;

    /** 0 to 8 logs a block (4 on average): about 200 000 logs, in chain order. */
    function chain(): LogPosition[] {
      const next = random(3);
      const logs: LogPosition[] = [];
      for (let block = 0; block < BLOCKS; block += 1) {
        const count = Math.floor(next() * 9);
        for (let index = 0; index < count; index += 1) {
          logs.push({
            blockNumber: block,
            blockHash: blockHash(block),
            transactionHash: txOf(block, index, 0),
            logIndex: index,
          });
        }
      }
      return logs;
    }

    /** The logs of each block. */
    function byBlock(logs: readonly LogPosition[]): Map<number, LogPosition[]> {
      const blocks = new Map<number, LogPosition[]>();
      for (const log of logs) blocks.set(log.blockNumber, [...(blocks.get(log.blockNumber) ?? []), log]);
      return blocks;
    }

    /** The largest number of logs in `window + 1` consecutive blocks (all blocks from highest - window). */
    function mostLogsInWindow(logs: readonly LogPosition[], window: number): number {
      const perBlock = new Map<number, number>();
      for (const log of logs) perBlock.set(log.blockNumber, (perBlock.get(log.blockNumber) ?? 0) + 1);
      let most = 0;
      let sum = 0;
      for (let block = 0; block < BLOCKS; block += 1) {
        sum += perBlock.get(block) ?? 0;
        sum -= perBlock.get(block - window - 1) ?? 0;
        most = Math.max(most, sum);
      }
      return most;
    }

    /** Passes `input` through SeenLogs, returning what passed and the remembered-key count after each. */
    function dedupe(input: readonly LogPosition[]): { passed: LogPosition[]; remembered: number[] } {
      const seen = new SeenLogs(DEDUPE_WINDOW_BLOCKS);
      const passed: LogPosition[] = [];
      const remembered: number[] = [];
      for (const log of input) {
        if (!seen.admit(log)) continue;
        passed.push(log);
        remembered.push(seen.size);
      }
      return { passed, remembered };
    }

    it('remembers no more keys than the logs of the last window, and drops every re-read log of the window', () => {
      const logs = chain();
      const blocks = byBlock(logs);
      expect(logs.length).toBeGreaterThan(190_000);
      // every 1000 blocks, a rewind re-reads the logs of the last 100 blocks (same logs: duplicates)
      const input: LogPosition[] = [];
      let rereads = 0;
      let cursor = 0;
      for (let block = 1_000; block <= BLOCKS; block += 1_000) {
        while (cursor < logs.length && logs[cursor]!.blockNumber < block) input.push(logs[cursor++]!);
        const reread = range(block - 100, block - 1).flatMap((b) => blocks.get(b) ?? []);
        rereads += reread.length;
        input.push(...reread.map((log) => ({ ...log })));
      }
      while (cursor < logs.length) input.push(logs[cursor++]!);
      expect(rereads).toBeGreaterThan(15_000);
      const startedAt = Date.now();

      const { passed, remembered } = dedupe(input);

      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(passed).toEqual(logs);
      expect(largest(remembered)).toBe(mostLogsInWindow(logs, DEDUPE_WINDOW_BLOCKS));
    });

    it('after rewinds that bring new logs below the highest block, remembers at most the logs of the window and of the rewind depth', () => {
      const REWIND_DEPTH = 50;
      const logs = chain();
      const blocks = byBlock(logs);
      // every 1000 blocks, a reorg of the last 50 blocks: their logs are re-read and 2 new logs a block appear
      const input: LogPosition[] = [];
      const expected: LogPosition[] = [];
      let cursor = 0;
      for (let block = 1_000; block <= BLOCKS; block += 1_000) {
        while (cursor < logs.length && logs[cursor]!.blockNumber < block) {
          input.push(logs[cursor]!);
          expected.push(logs[cursor++]!);
        }
        for (let b = block - REWIND_DEPTH; b < block; b += 1) {
          input.push(...(blocks.get(b) ?? []).map((log) => ({ ...log })));
          for (const index of [20, 21]) {
            const log = {
              blockNumber: b,
              blockHash: blockHash(b, 1),
              transactionHash: txOf(b, index, 1),
              logIndex: index,
            };
            input.push(log);
            expected.push(log);
          }
        }
      }
      while (cursor < logs.length) {
        input.push(logs[cursor]!);
        expected.push(logs[cursor++]!);
      }

      const { passed, remembered } = dedupe(input);

      expect(passed).toEqual(expected);
      expect(largest(remembered)).toBeLessThanOrEqual(mostLogsInWindow(expected, DEDUPE_WINDOW_BLOCKS + REWIND_DEPTH));
      // and memory comes back down to the window once the rewound blocks are out of it
      expect(remembered[remembered.length - 1]).toBeLessThanOrEqual(mostLogsInWindow(expected, DEDUPE_WINDOW_BLOCKS));
    });
  });
});

/** `[from, …, to]`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The largest of many numbers (spreading 200 000 arguments would overflow the stack). */
function largest(values: readonly number[]): number {
  return values.reduce((most, value) => Math.max(most, value), -Infinity);
}
