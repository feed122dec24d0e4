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
import { type AttemptedEvent, type NexusEvents, type StreamOptions } from 'ogpu-events';
import { firstValueFrom, mergeWith } from 'rxjs';
import { abortedBy, runExampleScript } from './support/exampleScript';

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
      mergeWith(abortedBy(options.signal)),
    ),
  );
}

// ---- run as a script ------------------------------------------------------------------

if (require.main === module) {
  runExampleScript({
    scope: 'OGPU_TASK',
    usage:
      'Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/waitForFirstAttempt.ts',
    run: async ({ nexus, address: task, fromBlock, signal }) => {
      console.log(`Waiting for the first attempt on task ${task} (Ctrl-C to give up)…`);
      const attempt = await waitForFirstAttempt(nexus, task, { fromBlock, signal });
      console.log(
        `Attempt from ${attempt.provider}, payment=${attempt.suggestedPayment} wei (block ${attempt.blockNumber})`,
      );
    },
  });
}
