import { type Observable, concatMap, filter, map } from 'rxjs';
import type { NexusEvent } from '../events/NexusEvent.js';
import { normalizeAddress } from '../internal/address.js';
import type { BlockSpan } from '../source/BlockSpan.js';
import type { LogBatch } from '../source/LogBatch.js';
import type { IndexedLogBatch } from './routeLogBatch.js';
import { REORG_MEMORY_BLOCKS } from '../source/pollLogs.js';
import { readLogRange } from '../source/readLogRange.js';
import { type RequestContext, requestLatestBlock } from '../source/rpcRequests.js';
import { type StreamOptions, validateStreamOptions } from './StreamOptions.js';
import { contiguousBatches } from './contiguousBatches.js';
import { decodeShapedLog, isInScope, shapeProblem } from './decodeNexusLog.js';
import { distinctLogs } from './distinctLogs.js';
import type { NexusEventDescriptor } from './nexusEventDescriptors.js';

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
  /** The client's one shared poller. */
  readonly live$: Observable<IndexedLogBatch>;
}

/**
 * The one stream factory behind all six streams: validates the scope and options at the
 * call (throwing typed errors), then, per subscription, follows the chain from the
 * requested start, keeps the logs of the descriptor's topic whose scope word matches,
 * drops repeats, and decodes the rest. Logs that do not decode are reported and skipped.
 */
export function nexusEventStream<E extends NexusEvent>(
  descriptor: NexusEventDescriptor<E>,
  context: StreamContext,
  scopeAddress: unknown,
  options?: StreamOptions,
): Observable<E> {
  const scope = normalizeAddress(scopeAddress, `${descriptor.method} ${descriptor.scope.field} address`);
  const { fromBlock } = validateStreamOptions(options, descriptor.method);
  const name = `${descriptor.method}(${scope.checksummed})`;
  const reader = { ...context, topics: [descriptor.topic0] };
  const dropMisshapen = (batch: LogBatch): LogBatch => {
    const logs = batch.logs.filter((log) => {
      const problem = shapeProblem(descriptor, log);
      if (problem === undefined) return true;
      context.report({ kind: 'undecodable-log', event: descriptor.name, stream: name, reason: [problem], log });
      return false;
    });
    return logs.length === batch.logs.length ? batch : { ...batch, logs };
  };

  return contiguousBatches({
    head$: requestLatestBlock(context).pipe(map((head) => head.number)),
    fromBlock,
    confirmations: context.confirmations,
    live$: context.live$.pipe(
      map((batch) => ({
        fromBlock: batch.fromBlock,
        toBlock: batch.toBlock,
        logs: batch.inScope(descriptor.topic0, descriptor.scope.word, scope.hex40),
      })),
    ),
    // The live batches were shape-checked once for the client; these reads are this stream's own.
    read: (from, to) => readLogRange(reader, from, to).pipe(map(dropMisshapen)),
  }).pipe(
    concatMap((batch) => batch.logs.filter((log) => isInScope(log, descriptor.scope.word, scope.hex40))),
    distinctLogs(DEDUPE_WINDOW_BLOCKS),
    map((log) => {
      // Every log here passed the shape check (routeLogBatch, or dropMisshapen for own reads).
      const decoded = decodeShapedLog(descriptor, log);
      if (decoded.ok) return decoded.event;
      context.report({ kind: 'undecodable-log', event: descriptor.name, stream: name, reason: decoded.reason, log });
      return undefined;
    }),
    filter((event): event is E => event !== undefined),
  );
}
