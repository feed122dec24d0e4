import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Observable } from 'rxjs';
import { StreamMismatchError } from '../errors/StreamMismatchError.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import { removalOf } from '../events/removalOf.js';
import type { NormalizedAddress } from '../internal/address.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import type { ValidStreamOptions } from '../streams/StreamOptions.js';
import type { NexusEventDescriptor } from '../streams/nexusEventDescriptors.js';
import { DEDUPE_WINDOW_BLOCKS } from '../streams/nexusEventStream.js';
import { brokerError } from './connectBroker.js';
import { decodeEventMessage } from './eventMessageCodec.js';
import { isStreamNotFound } from './relayStream.js';
import { findStartSequence, streamBlockAt } from './startSequence.js';
import type { ResolvedBroker } from './resolveBrokerOptions.js';
import type { SharedConnection } from './sharedConnection.js';
import { REMOVED_HEADER, chainIdOfSubjects, eventSubjectOf } from './subjects.js';

/**
 * How long the server keeps a consumer nobody pulls from (a crashed reader's): nanoseconds.
 * Well above {@link PULL_EXPIRES_MS}: at 30 s, the client's default pull expiry, a 2.9
 * server deleted idle consumers between two pulls, and their streams stalled until they
 * noticed and made new ones (30-45 s without deliveries, seen with hundreds of subscriptions).
 */
const INACTIVE_THRESHOLD_NS = 120_000_000_000;
/** How long one pull request waits on the server (milliseconds): an idle consumer is renewed this often. */
const PULL_EXPIRES_MS = 10_000;
/**
 * How often the server says a waiting pull is alive (milliseconds); the client replaces a
 * pull after two missed beats. The fan-out bench (1000 subscriptions, 2.9 server) saw a
 * cohort of consumers, whose pulls had expired together, re-pull and then get neither
 * messages nor beats until the client gave up on those pulls: 10 s at the client's default
 * beat (half the expiry), about 2 s at this one.
 */
const PULL_IDLE_HEARTBEAT_MS = 1_000;
/** How often a stream that does not exist yet is asked for again (milliseconds). */
const STREAM_WAIT_INTERVAL = 500;
const MAX_DIAGNOSTIC_DATA = 1_000;

/** What one stream of a JetStream client needs. */
export interface JetStreamStreamContext {
  readonly broker: ResolvedBroker;
  readonly connection: SharedConnection;
  readonly report: (diagnostic: NexusDiagnostic) => void;
}

/**
 * One stream read from the relay's JetStream stream: a consumer (created through the
 * JetStream API, with `filter_subject` set to the stream's own subject, so the server
 * filters) that starts at the beginning of the subject with `fromBlock` (events below it
 * are skipped), or at the end without. Every message is validated into the core's event
 * class; repeats (by stream sequence, and by transaction and log index) are dropped;
 * removals pass only `withRemovals`, and only for events this stream delivered. When the
 * server loses the consumer (a broker restart), it is created again after the last
 * message handled; unsubscribing deletes it.
 */
export function jetStreamEventStream<E extends NexusEvent>(
  context: JetStreamStreamContext,
  descriptor: NexusEventDescriptor<E>,
  scope: NormalizedAddress,
  options: ValidStreamOptions,
): Observable<E> {
  const name = `${descriptor.method}(${scope.checksummed})`;
  const { broker, report } = context;
  return new Observable<E>((subscriber) => {
    let closed = false;
    let messages: ConsumerMessages | undefined;
    let jsm: JetStreamManager | undefined;
    let consumerName: string | undefined;
    // The last stream sequence handled, and the dedupe state: kept across consumers.
    let lastSequence = 0;
    const delivered = new Map<string, { readonly blockNumber: number; readonly blockHash: string; event: E }>();
    let highest = -1;

    const handle = (message: JsMsg): void => {
      if (message.seq <= lastSequence) return;
      lastSequence = message.seq;
      const removedHeader = message.headers?.get(REMOVED_HEADER) === 'true';
      const text = message.string();
      const decoded = decodeEventMessage<E>(
        { eventName: descriptor.name, scopeField: descriptor.scope.field, scope: scope.lower, removedHeader },
        text,
      );
      if (!decoded.ok) {
        report({
          kind: 'invalid-message',
          stream: name,
          subject: message.subject,
          sequence: message.seq,
          reason: decoded.reason,
          data: text.slice(0, MAX_DIAGNOSTIC_DATA),
        });
        return;
      }
      const event = decoded.event;
      if (options.fromBlock !== undefined && event.blockNumber < options.fromBlock) return;
      const key = `${event.transactionHash}:${event.logIndex}`;
      const seen = delivered.get(key);
      if (event.removed) {
        if (!options.withRemovals || seen === undefined || seen.blockHash !== event.blockHash) return;
        delivered.delete(key);
        subscriber.next(removalOf(seen.event));
        return;
      }
      if (seen !== undefined) {
        if (!options.withRemovals || seen.blockHash === event.blockHash) return;
        // The relay retracts before it publishes again; should a removal be missing, say it here.
        subscriber.next(removalOf(seen.event));
      }
      if (event.blockNumber < highest - DEDUPE_WINDOW_BLOCKS) return;
      delivered.set(key, { blockNumber: event.blockNumber, blockHash: event.blockHash, event });
      if (event.blockNumber > highest) {
        highest = event.blockNumber;
        for (const [k, entry] of delivered) if (entry.blockNumber < highest - DEDUPE_WINDOW_BLOCKS) delivered.delete(k);
      }
      subscriber.next(event);
    };

    /** The relay's stream, once it exists; its subjects give the chain id. */
    const awaitStream = async (manager: JetStreamManager): Promise<StreamInfo> => {
      let told = false;
      for (;;) {
        try {
          const info = await manager.streams.info(broker.stream);
          const chainId = chainIdOfSubjects(info.config.subjects);
          if (chainId === undefined) {
            throw new StreamMismatchError(
              broker.stream,
              `the subjects ${JSON.stringify(info.config.subjects ?? [])}`,
              'a relay of ogpu-events (subjects ogpu.<chainId>.>)',
            );
          }
          return { chainId, firstSequence: info.state.first_seq, lastSequence: info.state.last_seq };
        } catch (error: unknown) {
          if (!isStreamNotFound(error)) throw error;
        }
        if (!told) {
          told = true;
          report({
            kind: 'broker-wait',
            waitingFor: 'stream',
            jetStream: broker.stream,
            reason: `${name} waits for the JetStream stream ${broker.stream}: no relay has created it yet`,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, STREAM_WAIT_INTERVAL));
        if (closed) throw new Closed();
      }
    };

    const run = async (nc: NatsConnection): Promise<void> => {
      jsm = await jetstreamManager(nc, { checkAPI: false });
      const js = jetstream(nc);
      const stream = await awaitStream(jsm);
      const subject = eventSubjectOf(stream.chainId, descriptor.name, scope.lower);
      let first = true;
      if (options.fromBlock !== undefined) {
        // Skip, on the server, the part of the stream below fromBlock.
        lastSequence = (await replayStart(jsm, broker.stream, stream, options.fromBlock)) - 1;
      }
      while (!closed) {
        const resume = lastSequence > 0 || !first;
        const info = await jsm.consumers.add(broker.stream, {
          filter_subject: subject,
          ack_policy: AckPolicy.None,
          inactive_threshold: INACTIVE_THRESHOLD_NS,
          mem_storage: true,
          ...(resume
            ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSequence + 1 }
            : { deliver_policy: options.fromBlock === undefined ? DeliverPolicy.New : DeliverPolicy.All }),
        });
        consumerName = info.name;
        // With "new only", what the stream held when the consumer was made is behind us.
        if (first && options.fromBlock === undefined) lastSequence = Math.max(lastSequence, info.delivered.stream_seq);
        first = false;
        if (closed) break;
        const consumer = js.consumers.getConsumerFromInfo(info);
        const current = await consumer.consume({
          max_messages: 512,
          expires: PULL_EXPIRES_MS,
          idle_heartbeat: PULL_IDLE_HEARTBEAT_MS,
        });
        messages = current;
        void (async () => {
          for await (const status of current.status()) {
            if (
              status.type === 'consumer_not_found' ||
              status.type === 'consumer_deleted' ||
              status.type === 'stream_not_found'
            ) {
              current.stop();
              return;
            }
          }
        })().catch(() => undefined);
        for await (const message of current) handle(message);
        if (closed) break;
        report({
          kind: 'broker-wait',
          waitingFor: 'consumer',
          jetStream: broker.stream,
          reason: `${name}: the server lost its consumer; creating it again after stream sequence ${lastSequence}`,
        });
        await new Promise((resolve) => setTimeout(resolve, STREAM_WAIT_INTERVAL));
        if (closed) break;
        await awaitStream(jsm);
      }
    };

    context.connection
      .acquire()
      .then(run)
      .then(
        () => {
          if (!closed) subscriber.complete();
        },
        (error: unknown) => {
          if (closed || error instanceof Closed) return;
          subscriber.error(brokerError(broker.servers, error, `read ${broker.stream} (${name})`));
        },
      );

    return () => {
      closed = true;
      messages?.stop();
      const manager = jsm;
      const consumer = consumerName;
      const remove =
        manager !== undefined && consumer !== undefined
          ? manager.consumers.delete(broker.stream, consumer).catch(() => false)
          : Promise.resolve(false);
      void remove.finally(() => context.connection.release());
    };
  });
}

/** The stream was unsubscribed while it waited. */
class Closed extends Error {}

/** What a stream needs to know of the relay's JetStream stream. */
interface StreamInfo {
  readonly chainId: bigint;
  readonly firstSequence: number;
  readonly lastSequence: number;
}

/**
 * The sequence a replay from `fromBlock` starts at ({@link findStartSequence}); the
 * stream's first when the server does not let this user read messages by sequence (a
 * reader configured without `STREAM.MSG.GET`): the replay then skips below `fromBlock` itself.
 */
async function replayStart(
  jsm: JetStreamManager,
  name: string,
  stream: StreamInfo,
  fromBlock: number,
): Promise<number> {
  const first = Math.max(1, stream.firstSequence);
  try {
    return await findStartSequence({
      first,
      last: stream.lastSequence,
      fromBlock,
      blockAt: streamBlockAt(jsm, name),
    });
  } catch {
    return first;
  }
}
