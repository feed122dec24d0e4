import { type Observable, ReplaySubject, Subject, finalize, map, merge, share } from 'rxjs';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import type { AttemptedEvent } from '../events/AttemptedEvent.js';
import type { RegisteredEvent } from '../events/RegisteredEvent.js';
import type { ResponseStatusChangedEvent } from '../events/ResponseStatusChangedEvent.js';
import type { ResponseSubmittedEvent } from '../events/ResponseSubmittedEvent.js';
import type { TaskPublishedEvent } from '../events/TaskPublishedEvent.js';
import type { TaskStatusChangedEvent } from '../events/TaskStatusChangedEvent.js';
import { NEXUS_TOPIC0S } from '../nexus/nexusEventTopics.js';
import { shareBlockRequests } from '../rpc/shareBlockRequests.js';
import type { BlockAnchor } from '../source/BlockHashWindow.js';
import { BlockSpan } from '../source/BlockSpan.js';
import { type ReadLogBatch, nextReadAt } from '../source/LogBatch.js';
import { SharedHistory } from '../source/SharedHistory.js';
import { NexusBloom } from '../source/NexusBloom.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import { pollLogs } from '../source/pollLogs.js';
import { requestLatestBlock } from '../source/rpcRequests.js';
import type { StreamOptions } from '../streams/StreamOptions.js';
import * as descriptors from '../streams/nexusEventDescriptors.js';
import { type StreamContext, nexusEventStream } from '../streams/nexusEventStream.js';
import { routeLogBatch } from '../streams/routeLogBatch.js';
import type { NexusEventsOptions } from './NexusEventsOptions.js';
import { resolveOptions } from './resolveOptions.js';

/**
 * A client's six streams and its diagnostics. Every method validates its arguments at
 * the call and returns a cold Observable; all live subscriptions of one client ride one
 * shared poller.
 *
 * @example
 * ```ts
 * import { createNexusEvents, type NexusEvents } from 'ogpu-events';
 *
 * const nexus: NexusEvents = createNexusEvents({ network: 'testnet' });
 * nexus.taskStatusChanged$(task).subscribe((e) => console.log(e.status));
 * ```
 */
export interface NexusEvents {
  /** Tasks published to `sourceAddress`. */
  readonly taskPublished$: (sourceAddress: string, options?: StreamOptions) => Observable<TaskPublishedEvent>;
  /** Attempts on `taskAddress`. */
  readonly attempted$: (taskAddress: string, options?: StreamOptions) => Observable<AttemptedEvent>;
  /** Responses submitted for `taskAddress`. */
  readonly responseSubmitted$: (taskAddress: string, options?: StreamOptions) => Observable<ResponseSubmittedEvent>;
  /** Status changes of the response at `responseAddress`. */
  readonly responseStatusChanged$: (
    responseAddress: string,
    options?: StreamOptions,
  ) => Observable<ResponseStatusChangedEvent>;
  /** Status changes of `taskAddress`. */
  readonly taskStatusChanged$: (taskAddress: string, options?: StreamOptions) => Observable<TaskStatusChangedEvent>;
  /** Providers registered to `sourceAddress`. */
  readonly registered$: (sourceAddress: string, options?: StreamOptions) => Observable<RegisteredEvent>;
  /**
   * Hot stream of what the client handled without failing a stream: logs that do not
   * decode or are malformed (skipped), requests being retried, `eth_getLogs` ranges the
   * node refused (split), reorgs (rewound). Where to look when a stream seems slow.
   * Subscribing to it does not start polling.
   */
  readonly diagnostics$: Observable<NexusDiagnostic>;
}

/**
 * Creates a client for one Nexus contract. Nothing happens on the network until a
 * stream is subscribed; polling stops when the last subscriber leaves.
 *
 * Throws an {@link OgpuEventsError} at the call for an invalid address or option.
 *
 * @example
 * ```ts
 * import { createNexusEvents, TaskStatus } from 'ogpu-events';
 * import { takeWhile } from 'rxjs';
 *
 * const nexus = createNexusEvents({ rpcUrl: 'http://127.0.0.1:8545', address: nexusAddress });
 * nexus
 *   .taskStatusChanged$(taskAddress)
 *   .pipe(takeWhile((e) => e.status !== TaskStatus.FINALIZED, true))
 *   .subscribe((e) => console.log(`block ${e.blockNumber}: status ${e.status}`));
 * ```
 */
export function createNexusEvents(options: NexusEventsOptions): NexusEvents {
  const resolved = resolveOptions(options);
  const rpc = shareBlockRequests(resolved.rpc);
  const diagnostics = new Subject<NexusDiagnostic>();
  const report = (diagnostic: NexusDiagnostic): void => {
    // History kept for the streams must not outlive the chain it was read from.
    if (diagnostic.kind === 'reorg') history.forgetFrom(diagnostic.ancestor + 1);
    diagnostics.next(diagnostic);
  };

  // Learnt from the node's refusals, shared by the poller and every stream's reads.
  const span = new BlockSpan(resolved.maxBlockRange);
  const bloom = new NexusBloom(resolved.address.lower, NEXUS_TOPIC0S);
  const reader = {
    rpc,
    policy: resolved.policy,
    address: resolved.address.lower,
    topics: NEXUS_TOPIC0S,
    span,
    bloom,
    report,
  };
  const history = new SharedHistory(reader, (batch) => routeLogBatch(batch, report));

  // One head request in flight per client, retried once for all who wait on it.
  // A replaying connector: a stream that subscribes while the answer is being delivered
  // (from inside another stream's callback) gets it too, instead of a bare completion.
  const latest$ = requestLatestBlock({ rpc, policy: resolved.policy, report }).pipe(
    share({ connector: () => new ReplaySubject<RpcBlockHeader>(1) }),
  );
  let liveFrom: number | undefined;
  // Blocks streams read on their own (the ends of history reads), until the poller's next
  // tick takes them to check.
  const streamReads: BlockAnchor[] = [];
  // The poller's first cursor, as an empty batch ending just below it: a stream whose
  // backfill stopped lower (its head was older) reads the blocks between at once, instead
  // of when the poller next delivers (on a chain that mines on demand, maybe never).
  const starts = new Subject<ReadLogBatch>();
  const live$ = merge(
    starts,
    pollLogs({
      ...reader,
      pollInterval: resolved.pollInterval,
      confirmations: resolved.confirmations,
      latest$,
      takeStreamReads: () => streamReads.splice(0),
      onCursor: (cursor) => {
        const first = liveFrom === undefined;
        liveFrom = cursor;
        if (first && cursor !== undefined) starts.next(startMarker(cursor));
      },
    }),
  ).pipe(
    map((batch) => routeLogBatch(batch, report)),
    // Every stream rides the poller: when it stops, no stream is left to need the history,
    // nor a read of it checked (a later poller starts afresh).
    finalize(() => {
      history.clear();
      streamReads.length = 0;
    }),
    share(),
  );

  const context: StreamContext = {
    rpc,
    policy: resolved.policy,
    address: resolved.address.lower,
    confirmations: resolved.confirmations,
    span,
    bloom,
    history,
    live$,
    latest$,
    liveFrom: () => liveFrom,
    readOnOwn: (block) => {
      streamReads.push(block);
    },
    report,
  };

  return Object.freeze({
    taskPublished$: (source: string, o?: StreamOptions) =>
      nexusEventStream(descriptors.taskPublished, context, source, o),
    attempted$: (task: string, o?: StreamOptions) => nexusEventStream(descriptors.attempted, context, task, o),
    responseSubmitted$: (task: string, o?: StreamOptions) =>
      nexusEventStream(descriptors.responseSubmitted, context, task, o),
    responseStatusChanged$: (response: string, o?: StreamOptions) =>
      nexusEventStream(descriptors.responseStatusChanged, context, response, o),
    taskStatusChanged$: (task: string, o?: StreamOptions) =>
      nexusEventStream(descriptors.taskStatusChanged, context, task, o),
    registered$: (source: string, o?: StreamOptions) => nexusEventStream(descriptors.registered, context, source, o),
    diagnostics$: diagnostics.asObservable(),
  });
}

/** An empty range that only says where the poller starts: `[cursor, cursor - 1]`. */
function startMarker(cursor: number): ReadLogBatch {
  return { fromBlock: cursor, toBlock: cursor - 1, logs: [], readAt: nextReadAt() };
}
