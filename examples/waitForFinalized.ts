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
import {
  createNexusEvents,
  enumKey,
  type NexusEvents,
  type StreamOptions,
  TaskStatus,
  type TaskStatusChangedEvent,
} from 'ogpu-events';
import { Observable, NEVER, lastValueFrom, mergeWith, takeWhile, tap, toArray } from 'rxjs';

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
    mergeWith(abortError(options.signal)),
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

/** Fails with the signal's reason once it aborts (at once if it already has); never without a signal. */
function abortError(signal: AbortSignal | undefined): Observable<never> {
  if (signal === undefined) return NEVER;
  return new Observable<never>((subscriber) => {
    const fail = (): void => subscriber.error(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
    return () => signal.removeEventListener('abort', fail);
  });
}

// ---- run as a script ------------------------------------------------------------------

/** Reads the client from OGPU_RPC_URL / OGPU_NEXUS; the OGPU testnet when OGPU_RPC_URL is unset. */
function clientFromEnv(): NexusEvents {
  const rpcUrl = process.env['OGPU_RPC_URL'] || undefined;
  const address = process.env['OGPU_NEXUS'] || undefined;
  if (rpcUrl !== undefined && address === undefined) throw new Error('OGPU_RPC_URL is set: set OGPU_NEXUS too.');
  return createNexusEvents({
    ...(rpcUrl === undefined ? { network: 'testnet' as const } : { rpcUrl }),
    ...(address === undefined ? {} : { address }),
  });
}

async function main(): Promise<void> {
  const task = process.env['OGPU_TASK'];
  if (!task) {
    console.error(
      'Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/waitForFinalized.ts',
    );
    process.exitCode = 2;
    return;
  }
  const fromBlock = process.env['OGPU_FROM_BLOCK'] ? Number(process.env['OGPU_FROM_BLOCK']) : undefined;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort(new Error('interrupted')));

  console.log(`Following task ${task} until it is FINALIZED (Ctrl-C to give up)…`);
  const history = await waitForFinalized(clientFromEnv(), task, { fromBlock, signal: stop.signal });
  console.log(`Task done! ${history.map((e) => enumKey(TaskStatus, e.status)).join(' → ')}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
