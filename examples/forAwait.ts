/**
 * Example: follow a task's status until it is FINALIZED, with `for await`.
 *
 * The closest port of the Python SDK's async generators:
 *
 * ```python
 * async for event in watch_task_status_changed(task.address):
 *     if event.status == TaskStatus.FINALIZED:
 *         print("task done!")
 *         break
 * ```
 *
 * `toAsyncIterable(stream$)` turns any Observable into an async iterable. Events that
 * arrive while the loop body is busy (awaiting something) are queued, not dropped.
 * Leaving the loop, by `break`, `return` or `throw`, unsubscribes, which stops the
 * client's polling when nothing else is listening. An error of the stream (e.g. the node
 * is unreachable) is thrown inside the loop, where `try`/`catch` sees it.
 *
 * See waitForFinalized.ts for the same with RxJS operators.
 *
 * Run it:
 *
 * ```sh
 * OGPU_TASK=0x… npx tsx examples/forAwait.ts                            # OGPU testnet
 * OGPU_RPC_URL=http://127.0.0.1:8545 OGPU_NEXUS=0x… OGPU_TASK=0x… \
 *   OGPU_FROM_BLOCK=1234 npx tsx examples/forAwait.ts
 * ```
 */
import {
  enumKey,
  type NexusEvents,
  type StreamOptions,
  TaskStatus,
  type TaskStatusChangedEvent,
  toAsyncIterable,
} from 'ogpu-events';
import { mergeWith } from 'rxjs';
import { abortedBy, runExampleScript } from './support/exampleScript';

/** Options of {@link followTaskWithForAwait}. */
export interface ForAwaitOptions {
  /**
   * Replay status changes from this block on (e.g. the block the task was published in);
   * omitted: only changes from now on, so a task that is already FINALIZED is never seen.
   */
  readonly fromBlock?: number | undefined;
  /** Give up when this signal aborts, e.g. `AbortSignal.timeout(60_000)`: rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** Where progress lines go; `console.log` by default. */
  readonly log?: ((line: string) => void) | undefined;
}

/**
 * Resolves with every status change of `task` seen, the last one FINALIZED. Rejects if
 * the task ends CANCELED or EXPIRED, if `signal` aborts, or if the stream fails.
 */
export async function followTaskWithForAwait(
  nexus: NexusEvents,
  task: string,
  options: ForAwaitOptions = {},
): Promise<TaskStatusChangedEvent[]> {
  const { log = console.log } = options;
  const streamOptions: StreamOptions = options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock };
  // An abort becomes an error of the stream, which the loop below throws.
  const statuses$ = nexus.taskStatusChanged$(task, streamOptions).pipe(mergeWith(abortedBy(options.signal)));

  const history: TaskStatusChangedEvent[] = [];
  for await (const event of toAsyncIterable(statuses$)) {
    history.push(event);
    log(`Task ${event.task}: ${enumKey(TaskStatus, event.status)} (block ${event.blockNumber})`);
    if (event.status === TaskStatus.FINALIZED) break; // unsubscribes: polling stops
    if (event.status === TaskStatus.CANCELED || event.status === TaskStatus.EXPIRED) {
      // Throwing out of the loop unsubscribes too.
      throw new Error(`task ${event.task} ended ${enumKey(TaskStatus, event.status)}: it will never be FINALIZED`);
    }
  }
  return history;
}

// ---- run as a script ------------------------------------------------------------------

if (require.main === module) {
  runExampleScript({
    scope: 'OGPU_TASK',
    usage: 'Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/forAwait.ts',
    run: async ({ nexus, address: task, fromBlock, signal }) => {
      console.log(`Following task ${task} until it is FINALIZED (Ctrl-C to give up)…`);
      const history = await followTaskWithForAwait(nexus, task, { fromBlock, signal });
      console.log(`Task done! ${history.map((e) => enumKey(TaskStatus, e.status)).join(' → ')}`);
    },
  });
}
