import { type Observable, defer, finalize, tap } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import type { GetLogsFilter, NexusRpc } from 'ogpu-events';
import { type LogSpec, quantity, rawLog } from './logs';

/** A TestScheduler whose assertions are jest's deep equality (asymmetric matchers allowed). */
export function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * Runs a marble test in virtual time. Time is bounded by `maxFrames` so that a timer
 * leaked past the end of a test stops the flush instead of hanging it (tests then
 * prove teardown by the absence of calls, not by the flush ending).
 */
export function runMarbles<T>(test: (helpers: RunHelpers, scheduler: TestScheduler) => T, maxFrames = 5_000): T {
  const scheduler = createScheduler();
  return scheduler.run((helpers) => {
    scheduler.maxFrames = maxFrames;
    return test(helpers, scheduler);
  });
}

/** Options of {@link scriptedRpc}. */
export interface ScriptedRpcOptions {
  /**
   * The head the node reports: the n-th `eth_blockNumber` answers `heads[n]` (the last
   * value repeats), or a function of the virtual time of the call.
   */
  readonly heads: readonly number[] | ((now: number) => number);
  /** Frames an `eth_blockNumber` takes (default 1). */
  readonly headLatency?: number;
  /** The chain's logs; `eth_getLogs` answers those of its block range and topic0s. */
  readonly logs?: readonly LogSpec[];
  /** Frames an `eth_getLogs` takes (default 1). */
  readonly logsLatency?: number;
  /** An error to fail a given `eth_getLogs` with. */
  readonly failGetLogs?: (filter: GetLogsFilter) => Error | undefined;
}

/** A fake node on the virtual clock, with a record of what was asked of it. */
export interface ScriptedRpc {
  readonly rpc: NexusRpc;
  /** Virtual time of every `eth_blockNumber`. */
  readonly blockNumberCalls: number[];
  /** Every `eth_getLogs`, with its virtual time. */
  readonly getLogsCalls: { readonly at: number; readonly filter: GetLogsFilter }[];
  /** The `[fromBlock, toBlock]` of every `eth_getLogs`, in order. */
  ranges(): [number, number][];
  /** Largest number of `eth_getLogs` awaiting their answer at once. */
  readonly maxConcurrentGetLogs: () => number;
}

/** A scripted JSON-RPC node whose answers are cold observables of the TestScheduler. */
export function scriptedRpc({ cold }: RunHelpers, scheduler: TestScheduler, options: ScriptedRpcOptions): ScriptedRpc {
  const blockNumberCalls: number[] = [];
  const getLogsCalls: { at: number; filter: GetLogsFilter }[] = [];
  let active = 0;
  let maxActive = 0;
  const delay = (frames: number): string => '-'.repeat(frames);

  const headAt = (call: number, now: number): number => {
    if (typeof options.heads === 'function') return options.heads(now);
    const heads = options.heads;
    const head = heads[Math.min(call, heads.length - 1)];
    if (head === undefined) throw new Error('scriptedRpc needs at least one head');
    return head;
  };

  const rpc: NexusRpc = {
    getBlockNumber: () => {
      const now = scheduler.now();
      const head = headAt(blockNumberCalls.length, now);
      blockNumberCalls.push(now);
      return cold(`${delay(options.headLatency ?? 1)}(a|)`, { a: quantity(head) });
    },
    getLogs: (filter: GetLogsFilter): Observable<unknown> => {
      getLogsCalls.push({ at: scheduler.now(), filter });
      active += 1;
      maxActive = Math.max(maxActive, active);
      const latency = delay(options.logsLatency ?? 1);
      const failure = options.failGetLogs?.(filter);
      const topics = filter.topics[0] ?? [];
      const answer: Observable<unknown> =
        failure === undefined
          ? cold(`${latency}(a|)`, {
              a: (options.logs ?? [])
                .filter((log) => log.block >= filter.fromBlock && log.block <= filter.toBlock)
                .filter((log) => log.topics === undefined || topics.includes(log.topics[0] ?? ''))
                .map(rawLog),
            })
          : cold(`${latency}#`, undefined, failure);
      // A request is in flight from the call until its answer (or its cancellation).
      let answered = false;
      const settle = (): void => {
        if (answered) return;
        answered = true;
        active -= 1;
      };
      return defer(() => answer).pipe(tap({ next: settle, error: settle, complete: settle }), finalize(settle));
    },
  };

  return {
    rpc,
    blockNumberCalls,
    getLogsCalls,
    ranges: () => getLogsCalls.map(({ filter }) => [filter.fromBlock, filter.toBlock]),
    maxConcurrentGetLogs: () => maxActive,
  };
}

/** An RPC that fails the test if the library calls it. */
export function untouchableRpc(): NexusRpc & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    getBlockNumber: () => {
      calls.push('eth_blockNumber');
      throw new Error('eth_blockNumber must not be called');
    },
    getLogs: () => {
      calls.push('eth_getLogs');
      throw new Error('eth_getLogs must not be called');
    },
  };
}
