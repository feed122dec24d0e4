/**
 * Example: when a response is submitted for a task, follow that response until it is
 * CONFIRMED.
 *
 * Port of the Python SDK's
 *
 * ```python
 * async for event in watch_response_submitted(task.address):
 *     response = Response(event.response)
 *     ...
 *     break
 * ```
 *
 * extended to the next step of the lifecycle: `ResponseSubmitted` carries the address of
 * the new Response contract, which is the scope of `responseStatusChanged$`. Chaining one
 * stream into the next is what `switchMap` is for:
 *
 *   responseSubmitted$(task) ─first()─▶ switchMap(responseStatusChanged$(response)) ─first(CONFIRMED)─▶
 *
 * The inner stream starts at the block the response was submitted in, so a status
 * change mined in that block, or while we were subscribing, is not missed.
 *
 * (Reading the response's payload is a call on the Response contract, e.g. with an
 * ethers `Contract`; ogpu-events only streams the Nexus events.)
 *
 * Run it:
 *
 * ```sh
 * OGPU_TASK=0x… npx tsx examples/fetchResponseWhenSubmitted.ts          # OGPU testnet
 * OGPU_RPC_URL=http://127.0.0.1:8545 OGPU_NEXUS=0x… OGPU_TASK=0x… \
 *   OGPU_FROM_BLOCK=1234 npx tsx examples/fetchResponseWhenSubmitted.ts
 * ```
 */
import {
  enumKey,
  type NexusEvents,
  ResponseStatus,
  type ResponseStatusChangedEvent,
  type ResponseSubmittedEvent,
  type StreamOptions,
} from 'ogpu-events';
import { first, firstValueFrom, map, mergeWith, switchMap, tap } from 'rxjs';
import { abortedBy, runExampleScript } from './support/exampleScript';

/** Options of {@link fetchResponseWhenSubmitted}. */
export interface FetchResponseOptions {
  /** Also find a response submitted from this block on; omitted: only from now on. */
  readonly fromBlock?: number | undefined;
  /** Give up when this signal aborts, e.g. `AbortSignal.timeout(60_000)`: rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** Where progress lines go; `console.log` by default. */
  readonly log?: ((line: string) => void) | undefined;
}

/** The submission of a response and the event that confirmed it. */
export interface ConfirmedResponse {
  readonly submitted: ResponseSubmittedEvent;
  readonly confirmed: ResponseStatusChangedEvent;
}

/**
 * Waits for the first response submitted for `task`, then for that response to become
 * CONFIRMED; resolves with both events.
 *
 * With several providers, the first response submitted is not necessarily the one the
 * task owner confirms: to wait for whichever gets confirmed, replace `first()` +
 * `switchMap` with `mergeMap` (follow every response) and keep the final
 * `first(CONFIRMED)`.
 */
export async function fetchResponseWhenSubmitted(
  nexus: NexusEvents,
  task: string,
  options: FetchResponseOptions = {},
): Promise<ConfirmedResponse> {
  const { log = console.log } = options;
  const streamOptions: StreamOptions = options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock };

  const confirmed$ = nexus.responseSubmitted$(task, streamOptions).pipe(
    first(),
    tap((submitted) => log(`Response ${submitted.response} submitted (block ${submitted.blockNumber})`)),
    switchMap((submitted) =>
      nexus.responseStatusChanged$(submitted.response, { fromBlock: submitted.blockNumber }).pipe(
        tap((change) => log(`  status: ${enumKey(ResponseStatus, change.status)} (block ${change.blockNumber})`)),
        first((change) => change.status === ResponseStatus.CONFIRMED),
        map((confirmed) => ({ submitted, confirmed })),
      ),
    ),
    mergeWith(abortedBy(options.signal)),
  );
  return firstValueFrom(confirmed$);
}

// ---- run as a script ------------------------------------------------------------------

if (require.main === module) {
  runExampleScript({
    scope: 'OGPU_TASK',
    usage:
      'Usage: OGPU_TASK=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/fetchResponseWhenSubmitted.ts',
    run: async ({ nexus, address: task, fromBlock, signal }) => {
      console.log(`Waiting for a response to task ${task} and its confirmation (Ctrl-C to give up)…`);
      const { submitted, confirmed } = await fetchResponseWhenSubmitted(nexus, task, { fromBlock, signal });
      console.log(`Response ${submitted.response} CONFIRMED in block ${confirmed.blockNumber}.`);
    },
  });
}
