/**
 * Example: wait for the first attempt on a task.
 *
 * Port of the Python SDK's "mixing sync and async" example:
 *
 * ```python
 * task = publish_task(TaskInfo(...))
 * async def wait_for_attempt():
 *     async for event in watch_attempted(task.address):
 *         return event
 * ```
 *
 * In RxJS the "first event, then stop" shape is `firstValueFrom(stream$)`: it subscribes,
 * resolves with the first value and unsubscribes (which stops polling if nothing else
 * is listening).
 *
 * A stream without `fromBlock` only sees what is mined after it subscribed. If the task
 * was published a while ago, pass the block it was published in (e.g. from your
 * publishing transaction's receipt) so that an attempt that already landed is found too.
 *
 * Run it:
 *
 * ```sh
 * OGPU_TASK=0x… npx tsx examples/waitForFirstAttempt.ts                 # OGPU testnet
 * OGPU_RPC_URL=http://127.0.0.1:8545 OGPU_NEXUS=0x… OGPU_TASK=0x… \
 *   OGPU_FROM_BLOCK=1234 npx tsx examples/waitForFirstAttempt.ts
 * ```
 */
import { type AttemptedEvent, createNexusEvents, type NexusEvents, type StreamOptions } from 'ogpu-events';
import { Observable, NEVER, firstValueFrom, mergeWith } from 'rxjs';

/** Options of {@link waitForFirstAttempt}. */
export interface WaitForFirstAttemptOptions {
  /** Also find attempts mined from this block on; omitted: only attempts from now on. */
  readonly fromBlock?: number | undefined;
  /** Give up when this signal aborts, e.g. `AbortSignal.timeout(60_000)`: rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Resolves with the first {@link AttemptedEvent} on `task`: who picked it up, for how much. */
export async function waitForFirstAttempt(
  nexus: NexusEvents,
  task: string,
  options: WaitForFirstAttemptOptions = {},
): Promise<AttemptedEvent> {
  const streamOptions: StreamOptions = options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock };
  return firstValueFrom(
    nexus.attempted$(task, streamOptions).pipe(
      // An abort turns into an error of the stream, so firstValueFrom rejects with it.
      mergeWith(abortError(options.signal)),
    ),
  );
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
      'Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/waitForFirstAttempt.ts',
    );
    process.exitCode = 2;
    return;
  }
  const fromBlock = process.env['OGPU_FROM_BLOCK'] ? Number(process.env['OGPU_FROM_BLOCK']) : undefined;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort(new Error('interrupted')));

  console.log(`Waiting for the first attempt on task ${task} (Ctrl-C to give up)…`);
  const attempt = await waitForFirstAttempt(clientFromEnv(), task, { fromBlock, signal: stop.signal });
  console.log(
    `Attempt from ${attempt.provider}, payment=${attempt.suggestedPayment} wei (block ${attempt.blockNumber})`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
