import { sleep } from './time';

/** What the naive watcher needs of a provider: ethers' `JsonRpcProvider.send`. */
export interface JsonRpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** A raw log as `eth_getLogs` returns it (only the fields the watcher reads). */
export interface NaiveRawLog {
  readonly data: string;
  readonly topics: readonly string[];
  readonly blockNumber: string;
  readonly transactionHash: string;
  readonly logIndex: string;
}

export interface NaiveWatchOptions {
  readonly provider: JsonRpcSender;
  /** The contract emitting the event. */
  readonly address: string;
  /** topic0 of the watched event. */
  readonly topic0: string;
  /** The scope address (task, source, response). */
  readonly scope: string;
  /** Which 32-byte data word holds the scope address (0 for `TaskStatusChanged.task`). */
  readonly scopeWord: number;
  /** Milliseconds slept between polls (the Python SDK's `poll_interval`, in ms). */
  readonly pollInterval: number;
  /** First block to read; omitted: only blocks mined after the start (the SDK's `from_block=None`). */
  readonly fromBlock?: number;
  /** Ends the generator at its next await. */
  readonly signal: AbortSignal;
  /** Called after each poll of the head (one per loop turn), for the benchmark's tick count. */
  readonly onPoll?: () => void;
  /** Called with an error of a poll; the loop carries on with the same cursor. Default: rethrow. */
  readonly onError?: (error: unknown) => void;
}

const toHex = (n: number): string => `0x${n.toString(16)}`;

/**
 * The design of the Python SDK's `ogpu.events` watchers (`watch_task_status_changed` & co.),
 * ported for the benchmark: an async generator per watcher that polls on its own. It starts
 * at the head (or `fromBlock`) and then, every `pollInterval`, asks `eth_blockNumber` and,
 * when new blocks arrived, `eth_getLogs` for every log of its event (the events have no
 * indexed parameters, so the node cannot scope them) from its own cursor to the head, and
 * yields the logs whose scope word is its address. Nothing is shared between watchers: N
 * watchers make N times the requests, whatever provider object they send them through.
 *
 * No reorg handling, no range splitting, no retry: the loop the reference describes.
 */
export async function* naiveWatch(options: NaiveWatchOptions): AsyncGenerator<NaiveRawLog> {
  const { provider, address, topic0, scopeWord, pollInterval, signal } = options;
  const word = `000000000000000000000000${options.scope.toLowerCase().replace(/^0x/, '')}`;
  const headOf = async (): Promise<number> => Number(await provider.send('eth_blockNumber', []));

  let cursor: number | undefined = options.fromBlock === undefined ? undefined : options.fromBlock - 1;
  while (!signal.aborted) {
    try {
      cursor ??= await headOf();
      break;
    } catch (error) {
      if (options.onError === undefined) throw error;
      options.onError(error);
      await sleep(pollInterval, signal);
    }
  }
  while (!signal.aborted) {
    await sleep(pollInterval, signal);
    if (signal.aborted || cursor === undefined) return;
    try {
      const head = await headOf();
      options.onPoll?.();
      if (head <= cursor) continue;
      const logs = (await provider.send('eth_getLogs', [
        { address, topics: [topic0], fromBlock: toHex(cursor + 1), toBlock: toHex(head) },
      ])) as NaiveRawLog[];
      cursor = head;
      for (const log of logs) {
        const start = 2 + 64 * scopeWord;
        if (log.data.slice(start, start + 64).toLowerCase() === word) yield log;
        if (signal.aborted) return;
      }
    } catch (error) {
      if (options.onError === undefined) throw error;
      options.onError(error);
    }
  }
}
