import { Observable, concatMap, firstValueFrom, from, map } from 'rxjs';
import type { RpcLog } from '../codecs/RpcLog.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { NEXUS_TOPIC0S } from '../nexus/nexusEventTopics.js';
import { shareBlockRequests } from '../rpc/shareBlockRequests.js';
import { watchHead } from '../rpc/watchHead.js';
import { BlockSpan } from '../source/BlockSpan.js';
import { NexusBloom } from '../source/NexusBloom.js';
import { pollLogs } from '../source/pollLogs.js';
import { type RequestContext, requestBlock } from '../source/rpcRequests.js';
import { decodeNexusLog } from '../streams/decodeNexusLog.js';
import { DESCRIPTORS_BY_TOPIC } from '../streams/nexusEventDescriptors.js';
import { DEDUPE_WINDOW_BLOCKS } from '../streams/nexusEventStream.js';
import { reconcileBatchEvents } from '../streams/reconcileBatches.js';
import { type OpenRelay, type RelayResources, openRelay } from './openRelay.js';
import type { RelayOptions } from './RelayOptions.js';
import type { RelayProgress } from './RelayProgress.js';
import { type ResolvedRelayOptions, resolveRelayOptions } from './resolveRelayOptions.js';

/**
 * Relays the Nexus events of one chain into a NATS JetStream stream, for any number of
 * services and browsers to read (`createJetStreamNexusEvents`). Cold: subscribing runs the
 * relay, unsubscribing stops it (and closes its connection).
 *
 * It polls the chain with the library's own poller (retries, range splitting, reorg
 * handling, decoding) and publishes every event of the six kinds once, unscoped, in chain
 * order, to `ogpu.<chainId>.<EventName>.<scope address, lower case>`, with the event's
 * `toJSON()` as JSON payload and a `Nats-Msg-Id` of `<transactionHash>:<logIndex>:<blockHash>`.
 * After a reorg, the events it published from replaced blocks are retracted on the same
 * subjects: the same payload with `"removed": true`, the header `Ogpu-Removed: true` and
 * an id ending in `:removed` (the `withRemovals` semantics).
 *
 * The stream is created when missing (file storage, subjects `ogpu.<chainId>.>`); one set up
 * for another chain or Nexus fails with a {@link StreamMismatchError}. The relay
 * checkpoints its cursor in the stream itself, after every message of the blocks it covers
 * was acknowledged; a relay killed at any point resumes there, treats what it stored beyond
 * the checkpoint as published (whatever the duplicate window), and retracts what a reorg
 * took back while it was away. It emits a {@link RelayProgress} per range published.
 *
 * Options are validated at the call (a bad one throws an `OgpuEventsError`); broker
 * failures arrive on the stream as typed errors: {@link BrokerUnavailableError},
 * {@link BrokerAuthenticationError}, {@link BrokerPermissionError}.
 *
 * @example
 * ```ts
 * import { relayToJetStream } from 'ogpu-events/jetstream';
 *
 * relayToJetStream({ network: 'testnet', servers: 'nats://relay:secret@127.0.0.1:4222', confirmations: 2 }).subscribe({
 *   next: (p) => console.error(`blocks ${p.fromBlock}-${p.toBlock}: ${p.published} events stored, ${p.lag} behind`),
 *   error: (error) => {
 *     console.error(error.message);
 *     process.exit(1);
 *   },
 * });
 * ```
 */
export function relayToJetStream(options: RelayOptions): Observable<RelayProgress> {
  const resolved = resolveRelayOptions(options);
  return new Observable<RelayProgress>((subscriber) => {
    let stopped = false;
    let head = 0;
    const resources: RelayResources = {};
    const rpc = shareBlockRequests(watchHead(resolved.chain.rpc, (n) => (head = Math.max(head, n))));
    const context: RequestContext = { rpc, policy: resolved.chain.policy, report: resolved.report };
    const blockHashAt = (n: number): Observable<string | undefined> =>
      requestBlock(context, n).pipe(map((block) => block?.hash));
    const chainSide = {
      context,
      rpc: resolved.chain.rpc,
      hashAt: (n: number): Promise<string | undefined> => firstValueFrom(blockHashAt(n)),
      head: () => head,
      stopped: () => stopped,
    };
    const subscription = from(openRelay(resolved, chainSide, resources))
      .pipe(concatMap((relay) => relayRanges(resolved, context, blockHashAt, relay)))
      .subscribe({
        next: (progress) => subscriber.next(progress),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    return () => {
      stopped = true;
      subscription.unsubscribe();
      resources.window?.stop();
      void resources.nc?.close().catch(() => undefined);
    };
  });
}

/**
 * The relay's loop: the library's poller from where the relay resumes, reconciled with
 * what it had published (removals for what a reorg took back), each range published and
 * checkpointed in turn.
 */
function relayRanges(
  options: ResolvedRelayOptions,
  context: RequestContext,
  /** The chain's hash of block `n` now, `undefined` without such a block. */
  blockHashAt: (n: number) => Observable<string | undefined>,
  relay: OpenRelay,
): Observable<RelayProgress> {
  const { chain, report } = options;
  const decode = (log: RpcLog): NexusEvent | undefined => {
    const descriptor = log.topics[0] === undefined ? undefined : DESCRIPTORS_BY_TOPIC.get(log.topics[0]);
    if (descriptor === undefined) return undefined;
    const decoded = decodeNexusLog(descriptor, log);
    if (decoded.ok) return decoded.event;
    report({ kind: 'undecodable-log', event: descriptor.name, reason: decoded.reason, log });
    return undefined;
  };
  return pollLogs({
    rpc: context.rpc,
    policy: chain.policy,
    address: chain.address.lower,
    topics: NEXUS_TOPIC0S,
    span: new BlockSpan(chain.maxBlockRange),
    bloom: new NexusBloom(chain.address.lower, NEXUS_TOPIC0S),
    pollInterval: chain.pollInterval,
    confirmations: chain.confirmations,
    fromBlock: relay.resumeFrom,
    report,
    onAnchor: (number, hash) => relay.publisher.anchor(number, hash),
  }).pipe(
    reconcileBatchEvents(DEDUPE_WINDOW_BLOCKS, decode, blockHashAt, relay.delivered),
    // The next range is published once this one is stored (see RangePublisher).
    concatMap(({ batch, events }) => relay.publisher.publishRange(batch, events)),
  );
}
