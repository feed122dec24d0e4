/**
 * Example: monitor a source for new tasks.
 *
 * Port of the Python SDK's
 *
 * ```python
 * async for event in watch_task_published(source_addr):
 *     print(f"New task: {event.task}")
 * ```
 *
 * `taskPublished$(source)` is a cold Observable: subscribing starts polling (one shared
 * poller per client), unsubscribing stops it. Without `fromBlock` it delivers only
 * tasks published after the subscription starts; with `fromBlock` it first replays every
 * matching task from that block, then goes on live, with no gap and no repeat.
 *
 * Run it (Ctrl-C to stop):
 *
 * ```sh
 * OGPU_SOURCE=0x… npx tsx examples/monitorSource.ts                    # OGPU testnet
 * OGPU_RPC_URL=http://127.0.0.1:8545 OGPU_NEXUS=0x… OGPU_SOURCE=0x… \
 *   OGPU_FROM_BLOCK=0 npx tsx examples/monitorSource.ts                # any node, with history
 * ```
 */
import { type NexusEvents, type StreamOptions, type TaskPublishedEvent } from 'ogpu-events';
import { type Observable, NEVER, fromEvent, identity, lastValueFrom, of, take, takeUntil, tap, toArray } from 'rxjs';
import { runExampleScript } from './support/exampleScript';

/** Options of {@link monitorSource}. */
export interface MonitorSourceOptions {
  /** Replay tasks from this block on first; omitted: only tasks published from now on. */
  readonly fromBlock?: number | undefined;
  /** Stop after this many tasks. Omitted: run until `signal` aborts (or forever). */
  readonly count?: number | undefined;
  /** Stop (and resolve with the tasks seen so far) when this signal aborts. */
  readonly signal?: AbortSignal | undefined;
  /** Where each line goes; `console.log` by default. */
  readonly log?: ((line: string) => void) | undefined;
}

/**
 * Prints every task published to `source` and resolves with the events seen, once
 * `count` tasks arrived or `signal` aborted. Rejects if the stream fails (e.g. the node
 * is unreachable).
 */
export async function monitorSource(
  nexus: NexusEvents,
  source: string,
  options: MonitorSourceOptions = {},
): Promise<TaskPublishedEvent[]> {
  const { count, signal, log = console.log } = options;
  // Stream options are validated strictly (unknown keys throw), so pass only fromBlock.
  const streamOptions: StreamOptions = options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock };

  const tasks$ = nexus.taskPublished$(source, streamOptions).pipe(
    tap((event) => log(`New task: ${event.task} (block ${event.blockNumber}, tx ${event.transactionHash})`)),
    count === undefined ? identity : take(count),
    takeUntil(aborted(signal)),
    toArray(),
  );
  // lastValueFrom subscribes, and resolves when the stream completes (take/abort).
  return lastValueFrom(tasks$);
}

/** Emits once when `signal` aborts (at once if it already has); never without a signal. */
function aborted(signal: AbortSignal | undefined): Observable<unknown> {
  if (signal === undefined) return NEVER;
  return signal.aborted ? of(signal.reason) : fromEvent(signal, 'abort');
}

// ---- run as a script ------------------------------------------------------------------

if (require.main === module) {
  runExampleScript({
    scope: 'OGPU_SOURCE',
    usage: 'Usage: OGPU_SOURCE=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/monitorSource.ts',
    run: async ({ nexus, address: source, fromBlock, signal }) => {
      console.log(`Watching source ${source} for new tasks (Ctrl-C to stop)…`);
      const tasks = await monitorSource(nexus, source, { fromBlock, signal });
      console.log(`Stopped after ${tasks.length} task(s).`);
    },
  });
}
