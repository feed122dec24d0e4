import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, PermissionViolationError } from '@nats-io/nats-core';
import { Observable, concatMap, firstValueFrom, from, map, tap } from 'rxjs';
import type { NexusEventsOptions } from '../client/NexusEventsOptions.js';
import { resolveOptions, validateBlockNumber } from '../client/resolveOptions.js';
import type { RpcLog } from '../codecs/RpcLog.js';
import { BrokerPermissionError } from '../errors/BrokerPermissionError.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { InvalidRpcResponseError } from '../errors/InvalidRpcResponseError.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { NEXUS_TOPIC0S } from '../nexus/nexusEventTopics.js';
import type { NexusRpc } from '../rpc/NexusRpc.js';
import { shareBlockRequests } from '../rpc/shareBlockRequests.js';
import { BlockSpan } from '../source/BlockSpan.js';
import type { ReadLogBatch } from '../source/LogBatch.js';
import { NexusBloom } from '../source/NexusBloom.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import { pollLogs } from '../source/pollLogs.js';
import { type RequestContext, request, requestBlock } from '../source/rpcRequests.js';
import { decodeNexusLog } from '../streams/decodeNexusLog.js';
import { DESCRIPTORS_BY_TOPIC } from '../streams/nexusEventDescriptors.js';
import { DEDUPE_WINDOW_BLOCKS } from '../streams/nexusEventStream.js';
import { reconcileBatchEvents } from '../streams/reconcileBatches.js';
import { BROKER_OPTION_KEYS, resolveBrokerOptions } from './resolveBrokerOptions.js';
import { brokerError, connectBroker } from './connectBroker.js';
import { eventMessage } from './eventMessage.js';
import { NODE_TRANSPORTS } from './nodeTransports.js';
import { type PublishTally, PublishWindow } from './publishWindow.js';
import { type RelayCheckpoint, readCheckpoint } from './relayCheckpoint.js';
import type { RelayOptions } from './RelayOptions.js';
import type { RelayProgress } from './RelayProgress.js';
import { ensureRelayStream } from './relayStream.js';
import { findResumePoint } from './resumePoint.js';
import { checkpointSubjectOf } from './subjects.js';

const RELAY_OPTION_KEYS = [
  ...BROKER_OPTION_KEYS,
  'fromBlock',
  'chainId',
  'duplicateWindow',
  'maxPending',
  'onDiagnostic',
];
const DEFAULT_DUPLICATE_WINDOW = 120_000;
const DEFAULT_MAX_PENDING = 1_024;
/** Within a long range, a checkpoint at the first block boundary after this many messages. */
const CHECKPOINT_EVERY = 4_096;
/** Ranges without events are checkpointed at most this often (milliseconds). */
const IDLE_CHECKPOINT_INTERVAL = 30_000;
/** Checkpoints kept in the stream: older ones are purged now and then. */
const PURGE_CHECKPOINTS_EVERY = 100;
const PUBLISH_TIMEOUT = 5_000;

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
  const chain = resolveOptions(options, RELAY_OPTION_KEYS);
  const broker = resolveBrokerOptions(options);
  const fromBlock = validateBlockNumber('fromBlock', options.fromBlock);
  const chainIdOption = validateChainId(options.chainId, options);
  const duplicateWindow = positive('duplicateWindow', options.duplicateWindow, DEFAULT_DUPLICATE_WINDOW, 100);
  const maxPending = positive('maxPending', options.maxPending, DEFAULT_MAX_PENDING, 1);
  const onDiagnostic: unknown = options.onDiagnostic;
  if (onDiagnostic !== undefined && typeof onDiagnostic !== 'function') {
    throw new InvalidOptionError('onDiagnostic', onDiagnostic, 'a function');
  }
  const report = (diagnostic: NexusDiagnostic): void => options.onDiagnostic?.(diagnostic);

  return new Observable<RelayProgress>((subscriber) => {
    let nc: NatsConnection | undefined;
    let window: PublishWindow | undefined;
    let closed = false;
    let head = 0;
    const rpc = watchHead(chain.rpc, (n) => {
      head = Math.max(head, n);
    });
    const shared = shareBlockRequests(rpc);
    const context: RequestContext = { rpc: shared, policy: chain.policy, report };
    const hashAt = (n: number): Promise<string | undefined> =>
      firstValueFrom(requestBlock(context, n).pipe(map((block) => block?.hash)));

    const setup = async (): Promise<Relay> => {
      nc = await connectBroker(broker, NODE_TRANSPORTS, 'ogpu-events relay');
      if (closed) await nc.close();
      const connection = nc;
      const servers = broker.servers;
      const api = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
        try {
          return await call();
        } catch (error: unknown) {
          throw brokerError(servers, error, operation);
        }
      };
      const jsm = await api('use JetStream', () => jetstreamManager(connection));
      const chainId = chainIdOption ?? (await askChainId(context, chain.rpc));
      const info = await api(`set up the stream ${broker.stream}`, () =>
        ensureRelayStream(jsm, broker.stream, chainId, chain.address.lower, duplicateWindow),
      );
      const checkpoint = await api(`read the checkpoint of ${broker.stream}`, () =>
        readCheckpoint(jsm, broker.stream, chainId),
      );
      const resume = await api(`read back ${broker.stream}`, () =>
        findResumePoint({
          jsm,
          stream: broker.stream,
          chainId,
          lastSequence: info.state.last_seq,
          checkpoint,
          fromBlock,
          hashAt,
        }),
      );
      let waiting = false;
      window = new PublishWindow({
        nc: connection,
        size: maxPending,
        timeoutMs: PUBLISH_TIMEOUT,
        fatal: (error) =>
          error instanceof PermissionViolationError || /permission/i.test(String(error))
            ? new BrokerPermissionError(`publish to ${broker.stream}`, error)
            : undefined,
        retrying: (error) => {
          if (waiting) return;
          waiting = true;
          report({
            kind: 'broker-wait',
            waitingFor: 'connection',
            jetStream: broker.stream,
            reason: `publishing to ${broker.stream} failed (${error instanceof Error ? error.message : String(error)}); sending again`,
          });
        },
      });
      const relay: Relay = {
        jsm,
        chainId,
        window,
        resumeFrom: resume.fromBlock,
        delivered: resume.delivered,
        anchors: new Map(),
        lastSequence: checkpoint?.lastSequence ?? 0,
        tallied: { published: 0, duplicates: 0, lastSequence: 0, reordered: false },
        queue: Promise.resolve(),
        checkpoints: 0,
        lastCheckpointAt: 0,
        clearWaiting: () => {
          waiting = false;
        },
      };
      return relay;
    };

    const decode = (log: RpcLog): NexusEvent | undefined => {
      const descriptor = log.topics[0] === undefined ? undefined : DESCRIPTORS_BY_TOPIC.get(log.topics[0]);
      if (descriptor === undefined) return undefined;
      const decoded = decodeNexusLog(descriptor, log);
      if (decoded.ok) return decoded.event;
      report({ kind: 'undecodable-log', event: descriptor.name, reason: decoded.reason, log });
      return undefined;
    };

    const run = (relay: Relay): Observable<RelayProgress> =>
      pollLogs({
        rpc: shared,
        policy: chain.policy,
        address: chain.address.lower,
        topics: NEXUS_TOPIC0S,
        span: new BlockSpan(chain.maxBlockRange),
        bloom: new NexusBloom(chain.address.lower, NEXUS_TOPIC0S),
        pollInterval: chain.pollInterval,
        confirmations: chain.confirmations,
        fromBlock: relay.resumeFrom,
        report,
        onAnchor: (number, hash) => {
          relay.anchors.set(number, hash);
          // Only the hashes of ranges not yet checkpointed are needed.
          for (const known of relay.anchors.keys())
            if (known < number - 4 * DEDUPE_WINDOW_BLOCKS) relay.anchors.delete(known);
        },
      }).pipe(
        reconcileBatchEvents(
          DEDUPE_WINDOW_BLOCKS,
          decode,
          (n) => requestBlock(context, n).pipe(map((block) => block?.hash)),
          relay.delivered,
        ),
        // The next range is sent once this one is stored: a message the broker lost (a
        // restart) and is sent again cannot then be stored after a later range's. Within a
        // range the window never drains (its midway checkpoints wait aside).
        concatMap(({ batch, events }) => from(sendRange(relay, batch, events).then(({ stored }) => stored))),
      );

    /**
     * Sends a range's messages (waiting only while the window is full) and resolves with
     * `stored`: its progress, once all of them are acknowledged and its checkpoint is sent.
     * Long ranges are checkpointed midway too, at block boundaries.
     */
    const sendRange = async (
      relay: Relay,
      batch: ReadLogBatch,
      events: readonly NexusEvent[],
    ): Promise<{ readonly stored: Promise<RelayProgress> }> => {
      // A re-read after a reorg may cover blocks delivered before: only then no checkpoint midway.
      const midway = batch.rewound !== true && batch.chainHead === undefined;
      let sinceCheckpoint = 0;
      let removals = 0;
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as NexusEvent;
        if (event.removed) removals += 1;
        const full = relay.window.publish(eventMessage(event, relay.chainId));
        if (full !== undefined) await full;
        sinceCheckpoint += 1;
        const next = events[i + 1];
        if (
          midway &&
          sinceCheckpoint >= CHECKPOINT_EVERY &&
          next !== undefined &&
          next.blockNumber > event.blockNumber
        ) {
          const acknowledged = handled(relay.window.acknowledged());
          void afterPrevious(relay, () =>
            checkpointWhenStored(relay, acknowledged, event.blockNumber, event.blockHash),
          );
          sinceCheckpoint = 0;
        }
      }
      const checkpointed =
        batch.fromBlock <= batch.toBlock &&
        (events.length > 0 || Date.now() - relay.lastCheckpointAt >= IDLE_CHECKPOINT_INTERVAL);
      const acknowledged = handled(relay.window.acknowledged());
      const stored = afterPrevious(relay, async (): Promise<RelayProgress> => {
        const tally = await acknowledged;
        relay.clearWaiting();
        if (checkpointed) {
          const hash = relay.anchors.get(batch.toBlock) ?? (await hashAt(batch.toBlock)) ?? null;
          await checkpointWhenStored(relay, acknowledged, batch.toBlock, hash);
        }
        const published = tally.published - relay.tallied.published;
        const duplicates = tally.duplicates - relay.tallied.duplicates;
        relay.tallied = tally;
        return {
          fromBlock: batch.fromBlock,
          toBlock: batch.toBlock,
          published,
          removals,
          duplicates,
          head: Math.max(head, batch.toBlock),
          lag: Math.max(0, head - batch.toBlock),
        };
      });
      return { stored };
    };

    /**
     * Runs `step` once the steps queued before it are done (checkpoints and progress in
     * block order, whatever order their network calls end in). The returned promise's
     * failure is not unhandled: the caller awaits it later, in order.
     */
    const afterPrevious = <T>(relay: Relay, step: () => Promise<T>): Promise<T> => {
      const result = handled(
        relay.queue.then(() => {
          // Nothing more goes out (no checkpoint, no head request) once unsubscribed.
          if (closed) throw new Error('the relay was stopped');
          return step();
        }),
      );
      relay.queue = result.catch(() => undefined);
      return result;
    };

    /**
     * Once `acknowledged` says every message up to `block` is stored, sends the checkpoint
     * of `block` (not waiting for its own acknowledgement: a lost checkpoint only makes a
     * restart read back a little more). Its `lastSequence` is the highest sequence among
     * the messages before it, unless one of them was sent again (it may then have been
     * stored after later messages): then the previous checkpoint's, which is still below
     * every message published after `block`.
     */
    const checkpointWhenStored = async (
      relay: Relay,
      acknowledged: Promise<PublishTally>,
      block: number,
      hash: string | null,
    ): Promise<void> => {
      const tally = await acknowledged;
      const value: RelayCheckpoint = {
        block,
        hash,
        lastSequence: tally.reordered ? relay.lastSequence : Math.max(relay.lastSequence, tally.lastSequence),
      };
      relay.lastSequence = value.lastSequence;
      const full = relay.window.publish({
        subject: checkpointSubjectOf(relay.chainId),
        data: JSON.stringify(value),
        id: `checkpoint:${value.block}:${value.lastSequence}`,
        headers: undefined,
        control: true,
      });
      if (full !== undefined) await full;
      relay.lastCheckpointAt = Date.now();
      relay.checkpoints += 1;
      if (relay.checkpoints % PURGE_CHECKPOINTS_EVERY === 0) {
        // Only the latest checkpoint matters; failing to purge older ones costs only space.
        void relay.jsm.streams
          .purge(broker.stream, { filter: checkpointSubjectOf(relay.chainId), keep: 1 })
          .catch(() => undefined);
      }
    };

    const subscription = from(setup())
      .pipe(concatMap(run))
      .subscribe({
        next: (progress) => subscriber.next(progress),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    return () => {
      closed = true;
      subscription.unsubscribe();
      window?.stop();
      void nc?.close().catch(() => undefined);
    };
  });
}

/** The state of a running relay. */
interface Relay {
  readonly jsm: JetStreamManager;
  readonly chainId: bigint;
  readonly window: PublishWindow;
  readonly resumeFrom: number | undefined;
  readonly delivered: readonly NexusEvent[];
  /** Hashes of the blocks the poller's reads ended at, by number. */
  readonly anchors: Map<number, string>;
  /** The `lastSequence` of the latest checkpoint sent: below every message published after it. */
  lastSequence: number;
  /** The tally of the last range whose progress was emitted. */
  tallied: PublishTally;
  /** The checkpoints and progress still to come, in block order (see `afterPrevious`). */
  queue: Promise<unknown>;
  checkpoints: number;
  lastCheckpointAt: number;
  readonly clearWaiting: () => void;
}

function validateChainId(value: unknown, options: NexusEventsOptions): bigint | undefined {
  if (value === undefined) {
    if (options.rpc !== undefined && typeof options.rpc.getChainId !== 'function') {
      throw new InvalidOptionError('chainId', value, 'the chain id (the rpc given has no getChainId())');
    }
    return undefined;
  }
  if (
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
    (typeof value === 'bigint' && value > 0n)
  ) {
    return BigInt(value);
  }
  throw new InvalidOptionError('chainId', value, 'a chain id: a whole number > 0');
}

function positive(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(name, value, `a whole number ≥ ${min}`);
  }
  return value;
}

function askChainId(context: RequestContext, rpc: NexusRpc): Promise<bigint> {
  const getChainId = rpc.getChainId?.bind(rpc);
  if (getChainId === undefined) return Promise.reject(new Error('no getChainId'));
  return firstValueFrom(
    request(context, 'eth_chainId', getChainId, (result) => {
      if (typeof result === 'string' && /^0x[0-9a-fA-F]+$/.test(result)) return BigInt(result);
      if (typeof result === 'number' && Number.isSafeInteger(result) && result > 0) return BigInt(result);
      if (typeof result === 'bigint') return result;
      throw new InvalidRpcResponseError('eth_chainId', result, ['not a chain id']);
    }),
  );
}

/** `rpc`, telling `onHead` the number of every head block it answers. */
function watchHead(rpc: NexusRpc, onHead: (n: number) => void): NexusRpc {
  return {
    getLogs: (filter) => rpc.getLogs(filter),
    getCode: (address) => rpc.getCode(address),
    getBlock: (block) =>
      block !== 'latest'
        ? rpc.getBlock(block)
        : from(rpc.getBlock(block)).pipe(
            tap((result) => {
              const number = (result as { number?: unknown } | null)?.number;
              if (typeof number === 'string' && /^0x[0-9a-fA-F]+$/.test(number)) onHead(Number.parseInt(number, 16));
              else if (typeof number === 'number') onHead(number);
            }),
          ),
  };
}

/** `promise`, with its failure marked as handled: it is awaited later, by a step that takes it in order. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
