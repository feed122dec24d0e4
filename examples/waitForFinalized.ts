/**
 * Example: follow a task's status until it is FINALIZED, with RxJS operators.
 *
 * Port of the Python SDK's
 *
 * ```python
 * async for event in watch_task_status_changed(task.address):
 *     if event.status == TaskStatus.FINALIZED:
 *         print("task done!")
 *         break
 * ```
 *
 * `takeWhile(predicate, true)` passes events while the predicate holds and, thanks to
 * `inclusive = true`, also the first one that fails it (the FINALIZED event itself),
 * then completes, which unsubscribes and stops polling. `toArray()` collects the
 * whole history for the caller.
 *
 * CANCELED and EXPIRED are terminal too: a task in either state will never be
 * FINALIZED, so rather than waiting forever the function rejects.
 *
 * See forAwait.ts for the same with `for await`.
 *
 * Run it:
 *
 * ```sh
 * OGPU_TASK=0x… npx tsx examples/waitForFinalized.ts                    # OGPU testnet
 * OGPU_RPC_URL=http://127.0.0.1:8545 OGPU_NEXUS=0x… OGPU_TASK=0x… \
 *   OGPU_FROM_BLOCK=1234 npx tsx examples/waitForFinalized.ts
 * ```
 */
import { enumKey, type NexusEvents, type StreamOptions, TaskStatus, type TaskStatusChangedEvent } from 'ogpu-events';
import { lastValueFrom, mergeWith, takeWhile, tap, toArray } from 'rxjs';
import { abortedBy, runExampleScript } from './support/exampleScript';

/** Options of {@link waitForFinalized}. */
export interface WaitForFinalizedOptions {
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
export async function waitForFinalized(
  nexus: NexusEvents,
  task: string,
  options: WaitForFinalizedOptions = {},
): Promise<TaskStatusChangedEvent[]> {
  const { log = console.log } = options;
  const streamOptions: StreamOptions = options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock };

  const history$ = nexus.taskStatusChanged$(task, streamOptions).pipe(
    mergeWith(abortedBy(options.signal)),
    tap((event) => {
      log(`Task ${event.task}: ${enumKey(TaskStatus, event.status)} (block ${event.blockNumber})`);
      if (event.status === TaskStatus.CANCELED || event.status === TaskStatus.EXPIRED) {
        throw new Error(`task ${event.task} ended ${enumKey(TaskStatus, event.status)}: it will never be FINALIZED`);
      }
    }),
    takeWhile((event) => event.status !== TaskStatus.FINALIZED, true),
    toArray(),
  );
  return lastValueFrom(history$);
}

// ---- run as a script ------------------------------------------------------------------

if (require.main === module) {
  runExampleScript({
    scope: 'OGPU_TASK',
    usage: 'Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/waitForFinalized.ts',
    run: async ({ nexus, address: task, fromBlock, signal }) => {
      console.log(`Following task ${task} until it is FINALIZED (Ctrl-C to give up)…`);
      const history = await waitForFinalized(nexus, task, { fromBlock, signal });
      console.log(`Task done! ${history.map((e) => enumKey(TaskStatus, e.status)).join(' → ')}`);
    },
  });
}
