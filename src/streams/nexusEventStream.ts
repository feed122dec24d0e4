import { EMPTY, type Observable, concatMap, map, of, tap } from 'rxjs';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { normalizeAddress } from '../internal/address.js';
import type { BlockAnchor } from '../source/BlockHashWindow.js';
import type { BlockSpan } from '../source/BlockSpan.js';
import type { ReadLogBatch } from '../source/LogBatch.js';
import type { NexusBloom } from '../source/NexusBloom.js';
import { REORG_MEMORY_BLOCKS } from '../source/pollLogs.js';
import type { ScopedBatch, SharedHistory } from '../source/SharedHistory.js';
import { type RequestContext, requestBlock, requestKnownBlock } from '../source/rpcRequests.js';
import { type StreamOptions, validateStreamOptions } from './StreamOptions.js';
import { contiguousBatches } from './contiguousBatches.js';
import { isInScope, shapedLogDecoder } from './decodeNexusLog.js';
import { decodeBatches } from './decodeBatches.js';
import type { NexusEventDescriptor } from './nexusEventDescriptors.js';
import { reconcileBatches } from './reconcileBatches.js';
import type { IndexedLogBatch } from './routeLogBatch.js';

/**
 * How many blocks below the newest one a stream remembers delivered logs. Twice the
 * poller's reorg memory, so that whatever a rewind re-reads is recognised.
 */
export const DEDUPE_WINDOW_BLOCKS = 2 * REORG_MEMORY_BLOCKS;

/** What every stream of one client shares. */
export interface StreamContext extends RequestContext {
  /** Nexus address, lower case. */
  readonly address: string;
  readonly confirmations: number;
  /** The client's learnt `eth_getLogs` span. */
  readonly span: BlockSpan;
  /** Tells from a block's bloom whether it may hold Nexus logs. */
  readonly bloom: NexusBloom;
  /** The head, one request (and one retry loop) for every caller waiting at the same time. */
  readonly latest$: Observable<RpcBlockHeader>;
  /** The first block the shared poller delivers next, while it runs. */
  readonly liveFrom: () => number | undefined;
  /** Told the last block of every history read (as read), for the poller to check against reorgs. */
  readonly readOnOwn: (block: BlockAnchor) => void;
  /** The client's history reads, shared by its streams. */
  readonly history: SharedHistory;
  /** The client's one shared poller. */
  readonly live$: Observable<IndexedLogBatch & ReadLogBatch>;
}

/**
 * The one stream factory behind all six streams: validates the scope and options at the
 * call (throwing typed errors), then, per subscription, follows the chain from the
 * requested start, keeps the logs of the descriptor's topic whose scope word matches,
 * drops repeats, and decodes the rest. Logs that do not decode are reported and skipped.
 * With `withRemovals`, repeats are reconciled instead of dropped: what a later read no
 * longer holds is retracted ({@link reconcileBatches}).
 */
export function nexusEventStream<E extends NexusEvent>(
  descriptor: NexusEventDescriptor<E>,
  context: StreamContext,
  scopeAddress: unknown,
  options?: StreamOptions,
): Observable<E> {
  const scope = normalizeAddress(scopeAddress, `${descriptor.method} ${descriptor.scope.field} address`);
  const { fromBlock, withRemovals } = validateStreamOptions(options, descriptor.method);
  const name = `${descriptor.method}(${scope.checksummed})`;
  const inScope = (batch: ScopedBatch): ReadLogBatch => ({
    fromBlock: batch.fromBlock,
    toBlock: batch.toBlock,
    readAt: batch.readAt,
    ...(batch.rewound === undefined ? {} : { rewound: batch.rewound }),
    ...(batch.chainHead === undefined ? {} : { chainHead: batch.chainHead }),
    logs: batch.inScope(descriptor.topic0, descriptor.scope.word, scope.hex40),
  });
  // History comes from the client's shared reads: fetched once for every stream, routed
  // (and shape-checked) once, like the live batches.
  const read = (from: number, to: number, top?: RpcBlockHeader): Observable<ReadLogBatch> =>
    from > to
      ? EMPTY
      : (top === undefined ? requestKnownBlock(context, to) : of(top)).pipe(
          concatMap((header) =>
            context.history.read(from, to, header).pipe(
              // Once the range is delivered: its last block as this read saw it.
              tap({ complete: () => context.readOnOwn({ number: header.number, hash: header.hash }) }),
            ),
          ),
          map(inScope),
        );
  // Every log here passed the shape check (routeLogBatch, once per batch for the client).
  const decode = shapedLogDecoder(descriptor, (log, reason) =>
    context.report({ kind: 'undecodable-log', event: descriptor.name, stream: name, reason, log }),
  );

  const batches$ = contiguousBatches<ReadLogBatch>({
    head$: context.latest$,
    fromBlock,
    confirmations: context.confirmations,
    liveFrom: context.liveFrom,
    speaksAbove: (batch) => batch.chainHead !== undefined,
    live$: context.live$.pipe(map(inScope)),
    read,
  }).pipe(
    map((batch) => {
      const logs = batch.logs.filter((log) => isInScope(log, descriptor.scope.word, scope.hex40));
      return logs.length === batch.logs.length ? batch : { ...batch, logs };
    }),
  );

  if (withRemovals) {
    // No block there (a shorter chain again, or a node behind the head): taken as replaced.
    const blockHashAt = (n: number): Observable<string | undefined> =>
      requestBlock(context, n).pipe(map((b) => b?.hash));
    return batches$.pipe(reconcileBatches(DEDUPE_WINDOW_BLOCKS, decode, blockHashAt));
  }
  return batches$.pipe(decodeBatches(DEDUPE_WINDOW_BLOCKS, decode));
}
