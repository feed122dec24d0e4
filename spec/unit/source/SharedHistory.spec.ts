import { getAddress } from 'ethers';
import { type Observable, mergeMap, merge, throwError, timer, concatMap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  type GetLogsFilter,
  type NexusDiagnostic,
  type NexusEvent,
  type NexusRpc,
  createNexusEvents,
} from 'ogpu-events';
import { NEXUS_ADDRESS, hash32 } from '../helpers/logs';
import { type ChainTx, MemoryChain } from '../helpers/memoryChain';

const SOURCE = getAddress(`0x${'50'.repeat(20)}`);
const SPAN = 100;
const HISTORY = 1_000; // blocks of history: 10 ranges of SPAN

interface Run {
  readonly ranges: [number, number][];
  readonly received: Map<string, string[]>;
  readonly diagnostics: NexusDiagnostic[];
  readonly requestsAfterEnd: number;
}

/**
 * An in-memory chain of HISTORY blocks with a TaskPublished of SOURCE every 50 blocks,
 * served on the virtual clock; `cap` makes the node refuse ranges wider than that.
 */
function scenario(
  body: (
    nexus: ReturnType<typeof createNexusEvents>,
    scheduler: TestScheduler,
    record: (name: string) => (e: NexusEvent) => void,
  ) => void,
  options: { cap?: number; endAt?: number } = {},
): Run {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const ranges: [number, number][] = [];
  const received = new Map<string, string[]>();
  const diagnostics: NexusDiagnostic[] = [];
  let requestsAtEnd = 0;
  let requests = 0;
  scheduler.run(() => {
    const chain = new MemoryChain(scheduler);
    for (let n = 1; n <= HISTORY; n += 1) {
      const txs: ChainTx[] =
        n % 50 === 0
          ? [
              {
                hash: hash32(0x7000n + BigInt(n)),
                task: getAddress(hash32(0x7a00n + BigInt(n)).slice(0, 42)),
                source: SOURCE,
              },
            ]
          : [];
      chain.mine(txs);
    }
    const rpc: NexusRpc = {
      getBlock: (block) => {
        requests += 1;
        return chain.rpc.getBlock(block);
      },
      getCode: (address) => chain.rpc.getCode(address),
      getLogs: (filter: GetLogsFilter): Observable<unknown> => {
        requests += 1;
        if (filter.blockHash !== undefined) return chain.rpc.getLogs(filter) as Observable<unknown>;
        ranges.push([filter.fromBlock, filter.toBlock]);
        if (options.cap !== undefined && filter.toBlock - filter.fromBlock + 1 > options.cap) {
          return timer(1).pipe(
            concatMap(() =>
              throwError(() => ({ code: -32005, message: `query exceeds max block range ${options.cap}` })),
            ),
          );
        }
        return chain.rpc.getLogs(filter) as Observable<unknown>;
      },
    };
    const nexus = createNexusEvents({ rpc, address: NEXUS_ADDRESS, pollInterval: 10, maxBlockRange: SPAN });
    nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
    const record = (name: string) => (e: NexusEvent) => {
      const list = received.get(name) ?? [];
      list.push(`${e.blockNumber}`);
      received.set(name, list);
    };
    body(nexus, scheduler, record);
    scheduler.schedule(() => (requestsAtEnd = requests), options.endAt ?? 300);
  });
  return { ranges, received, diagnostics, requestsAfterEnd: requests - requestsAtEnd };
}

const expectedBlocks = (from: number): string[] =>
  Array.from({ length: HISTORY / 50 }, (_, i) => (i + 1) * 50)
    .filter((n) => n >= from)
    .map(String);

describe('SharedHistory: the history of a client is read once, whatever the number of streams', () => {
  it.each([1, 20])(
    '%i streams with the same fromBlock, subscribed together, cost one read of each range',
    (streams) => {
      const run = scenario((nexus, scheduler, record) => {
        const subscriptions = Array.from({ length: streams }, (_, i) =>
          nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record(`s${i}`)),
        );
        scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 200);
      });
      for (let i = 0; i < streams; i += 1) expect(run.received.get(`s${i}`)).toEqual(expectedBlocks(1));
      expect(run.ranges).toEqual(Array.from({ length: 10 }, (_, i) => [1 + 100 * i, Math.min(100 * (i + 1), HISTORY)]));
    },
  );

  it('streams of other events and scopes share the same reads (all six topics at once)', () => {
    const run = scenario((nexus, scheduler, record) => {
      const subscriptions = [
        nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record('published')),
        nexus.attempted$(SOURCE, { fromBlock: 1 }).subscribe(record('attempted')),
        nexus.registered$(SOURCE, { fromBlock: 1, withRemovals: true }).subscribe(record('registered')),
      ];
      scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 200);
    });
    expect(run.received.get('published')).toEqual(expectedBlocks(1));
    expect(run.ranges).toHaveLength(10);
  });

  it('a task board (children start at their parent event’s block while the parent’s read goes on) costs about one read of the history, not one per child', () => {
    const run = scenario((nexus, scheduler, record) => {
      const board = nexus
        .taskPublished$(SOURCE, { fromBlock: 1 })
        .pipe(
          mergeMap((task) =>
            merge(
              nexus.attempted$(task.task, { fromBlock: task.blockNumber }),
              nexus.taskStatusChanged$(task.task, { fromBlock: task.blockNumber }),
              nexus.responseSubmitted$(task.task, { fromBlock: task.blockNumber }),
            ),
          ),
        );
      const subscriptions = [
        nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record('parent')),
        board.subscribe(record('children')),
      ];
      scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 250);
    });
    expect(run.received.get('parent')).toEqual(expectedBlocks(1));
    // 20 tasks × 3 children would be 60 history reads of up to 10 ranges each with per-stream reads
    expect(run.ranges.length).toBeLessThanOrEqual(15);
  });

  it('a stream that joins while another’s read is under way takes the ranges already read or in flight, and reads only what is missing', () => {
    const run = scenario((nexus, scheduler, record) => {
      const first = nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record('first'));
      scheduler.schedule(() => {
        const second = nexus.taskPublished$(SOURCE, { fromBlock: 420 }).subscribe(record('second'));
        scheduler.schedule(() => second.unsubscribe(), 150);
      }, 4);
      scheduler.schedule(() => first.unsubscribe(), 200);
    });
    expect(run.received.get('first')).toEqual(expectedBlocks(1));
    expect(run.received.get('second')).toEqual(expectedBlocks(420));
    // no block is asked for twice
    const asked = run.ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('a range refused for its size is split once for all the streams waiting on it', () => {
    const run = scenario(
      (nexus, scheduler, record) => {
        const subscriptions = Array.from({ length: 5 }, (_, i) =>
          nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record(`s${i}`)),
        );
        scheduler.schedule(() => subscriptions.forEach((s) => s.unsubscribe()), 400);
      },
      { cap: 40, endAt: 450 },
    );
    for (let i = 0; i < 5; i += 1) expect(run.received.get(`s${i}`)).toEqual(expectedBlocks(1));
    const splits = run.diagnostics.filter((d) => d.kind === 'range-split');
    expect(splits.length).toBeGreaterThan(0);
    // each refused range was refused (and split) once, not once per stream
    const refused = splits.map((d) => (d.kind === 'range-split' ? `${d.fromBlock}-${d.toBlock}` : ''));
    expect(new Set(refused).size).toBe(refused.length);
  });

  it('unsubscribing one of many readers leaves the others reading; unsubscribing the last stops every request', () => {
    const run = scenario(
      (nexus, scheduler, record) => {
        const leaving = nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record('leaving'));
        const staying = nexus.taskPublished$(SOURCE, { fromBlock: 1 }).subscribe(record('staying'));
        scheduler.schedule(() => leaving.unsubscribe(), 3);
        scheduler.schedule(() => staying.unsubscribe(), 100);
      },
      { endAt: 101 },
    );
    expect(run.received.get('staying')).toEqual(expectedBlocks(1));
    expect((run.received.get('leaving') ?? []).length).toBeLessThan(expectedBlocks(1).length);
    expect(run.requestsAfterEnd).toBe(0);
  });
});
