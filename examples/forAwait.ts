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
  createNexusEvents,
  enumKey,
  type NexusEvents,
  type StreamOptions,
  TaskStatus,
  type TaskStatusChangedEvent,
  toAsyncIterable,
} from 'ogpu-events';
import { Observable, NEVER, mergeWith } from 'rxjs';

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
  const statuses$ = nexus.taskStatusChanged$(task, streamOptions).pipe(mergeWith(abortError(options.signal)));

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
    console.error('Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/forAwait.ts');
    process.exitCode = 2;
    return;
  }
  const fromBlock = process.env['OGPU_FROM_BLOCK'] ? Number(process.env['OGPU_FROM_BLOCK']) : undefined;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort(new Error('interrupted')));

  console.log(`Following task ${task} until it is FINALIZED (Ctrl-C to give up)…`);
  const history = await followTaskWithForAwait(clientFromEnv(), task, { fromBlock, signal: stop.signal });
  console.log(`Task done! ${history.map((e) => enumKey(TaskStatus, e.status)).join(' → ')}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
