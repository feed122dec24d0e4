import { type Observable, defer, finalize, of, tap } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import type { GetLogsFilter, NexusRpc } from 'ogpu-events';
import { type LogSpec, quantity, rawLog, rangeOf } from './logs';

/** The hash the scripted chain gives version `version` of block `n`. */
export function blockHash(n: number, version = 0): string {
  return `0x${version.toString(16).padStart(8, '0')}${n.toString(16).padStart(56, '0')}`;
}

/** Block `n` of the unreorganised scripted chain (version 0), as `eth_getBlockByNumber` answers it. */
export function rawBlockHeader(n: number): Record<string, string> {
  return { number: quantity(n), hash: blockHash(n), parentHash: n === 0 ? `0x${'0'.repeat(64)}` : blockHash(n - 1) };
}

/**
 * A TestScheduler whose assertions are jest's deep equality (asymmetric matchers allowed).
 * Emitted batches are compared without `readAt`, the order stamp every read puts on its
 * batch (a process-wide counter: its values say nothing about one test).
 */
export function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(withoutReadAt(actual)).toEqual(expected));
}

function withoutReadAt(frames: unknown): unknown {
  if (!Array.isArray(frames)) return frames;
  return frames.map((frame: unknown) => {
    const value = (frame as { notification?: { value?: unknown } }).notification?.value;
    if (typeof value !== 'object' || value === null || !('readAt' in value)) return frame;
    const rest: Record<string, unknown> = { ...value };
    delete rest['readAt'];
    const f = frame as { notification: object };
    return { ...f, notification: { ...f.notification, value: rest } };
  });
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
   * The head the node reports: the n-th `getBlock('latest')` answers block `heads[n]`
   * (the last value repeats), or a function of the virtual time of the call.
   */
  readonly heads: readonly number[] | ((now: number) => number);
  /** Frames a `getBlock` takes (default 1). */
  readonly headLatency?: number;
  /**
   * Which version of block `n` the chain has at virtual time `now` (default 0 for all):
   * a block's hash is derived from its number and version, so changing the version of
   * blocks from some height on at some time is a reorg.
   */
  readonly blockVersion?: (block: number, now: number) => number;
  /** The answer to `eth_getCode` (default non-empty code). */
  readonly code?: string;
  /** Frames an `eth_getCode` takes (default: it answers synchronously). */
  readonly codeLatency?: number;
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
  /** Virtual time of every `getBlock('latest')` (the head request of a poll tick or a stream start). */
  readonly blockNumberCalls: number[];
  /** Every `getBlock(n)` of a numbered block: `[virtual time, n]`. */
  readonly blockCalls: [number, number][];
  /** Every `getCode(address)`: `[virtual time, address]`. */
  readonly codeCalls: [number, string][];
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
  const blockCalls: [number, number][] = [];
  const codeCalls: [number, string][] = [];
  let lastHead = -1;
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

  const header = (n: number, now: number): Record<string, string> => ({
    number: quantity(n),
    hash: blockHash(n, options.blockVersion?.(n, now) ?? 0),
    parentHash: n === 0 ? `0x${'0'.repeat(64)}` : blockHash(n - 1, options.blockVersion?.(n - 1, now) ?? 0),
  });

  const rpc: NexusRpc = {
    getBlock: (block) => {
      const now = scheduler.now();
      const latency = delay(options.headLatency ?? 1);
      if (block === 'latest') {
        const head = headAt(blockNumberCalls.length, now);
        blockNumberCalls.push(now);
        lastHead = head;
        return cold(`${latency}(a|)`, { a: header(head, now) });
      }
      blockCalls.push([now, block]);
      return cold(`${latency}(a|)`, { a: block > lastHead ? null : header(block, now) });
    },
    getCode: (address) => {
      codeCalls.push([scheduler.now(), address]);
      const code = options.code ?? '0x6080604052';
      return options.codeLatency === undefined ? of(code) : cold(`${delay(options.codeLatency)}(a|)`, { a: code });
    },
    getLogs: (filterFilter: GetLogsFilter) => {
      const filter = rangeOf(filterFilter);
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
    blockCalls,
    codeCalls,
    getLogsCalls,
    ranges: () => getLogsCalls.map(({ filter }) => [rangeOf(filter).fromBlock, rangeOf(filter).toBlock]),
    maxConcurrentGetLogs: () => maxActive,
  };
}

/** An RPC that fails the test if the library calls it. */
export function untouchableRpc(): NexusRpc & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    getBlock: () => {
      calls.push('eth_getBlockByNumber');
      throw new Error('eth_getBlockByNumber must not be called');
    },
    getLogs: () => {
      calls.push('eth_getLogs');
      throw new Error('eth_getLogs must not be called');
    },
    getCode: () => {
      calls.push('eth_getCode');
      throw new Error('eth_getCode must not be called');
    },
  };
}
