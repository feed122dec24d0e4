import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Observable } from 'rxjs';
import { StreamMismatchError } from '../errors/StreamMismatchError.js';
import type { NexusEvent } from '../events/NexusEvent.js';
import type { NormalizedAddress } from '../internal/address.js';
import type { NexusDiagnostic } from '../source/NexusDiagnostic.js';
import type { ValidStreamOptions } from '../streams/StreamOptions.js';
import type { NexusEventDescriptor } from '../streams/nexusEventDescriptors.js';
import { brokerError } from './connectBroker.js';
import { isStreamNotFound } from './relayStream.js';
import { findStartSequence, streamBlockAt } from './startSequence.js';
import type { ResolvedBroker } from './resolveBrokerOptions.js';
import type { SharedConnection } from './sharedConnection.js';
import { SubjectEvents } from './SubjectEvents.js';
import { chainIdOfSubjects, eventSubjectOf } from './subjects.js';

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
    const reader: SubjectReader = { name, closed: false };
    // The dedupe state: kept across the consumers this stream creates.
    const events = new SubjectEvents<E>(
      { eventName: descriptor.name, scopeField: descriptor.scope.field, scope: scope.lower },
      options,
      (invalid) =>
        report({
          kind: 'invalid-message',
          stream: name,
          subject: invalid.subject,
          sequence: invalid.sequence,
          reason: invalid.reason,
          data: invalid.text.slice(0, MAX_DIAGNOSTIC_DATA),
        }),
    );

    const run = async (nc: NatsConnection): Promise<void> => {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      reader.jsm = jsm;
      const stream = await awaitRelayStream(jsm, broker.stream, reader, report);
      if (options.fromBlock !== undefined) {
        // Skip, on the server, the part of the stream below fromBlock.
        events.skipTo((await replayStart(jsm, broker.stream, stream, options.fromBlock)) - 1);
      }
      await consumeSubject({
        js: jetstream(nc),
        jsm,
        stream: broker.stream,
        subject: eventSubjectOf(stream.chainId, descriptor.name, scope.lower),
        fromBlock: options.fromBlock,
        reader,
        events,
        deliver: (event) => subscriber.next(event),
        report,
      });
    };

    context.connection
      .acquire()
      .then(run)
      .then(
        () => {
          if (!reader.closed) subscriber.complete();
        },
        (error: unknown) => {
          if (reader.closed || error instanceof Closed) return;
          subscriber.error(brokerError(broker.servers, error, `read ${broker.stream} (${name})`));
        },
      );

    return () => {
      reader.closed = true;
      reader.messages?.stop();
      const { jsm, consumerName } = reader;
      const remove =
        jsm !== undefined && consumerName !== undefined
          ? jsm.consumers.delete(broker.stream, consumerName).catch(() => false)
          : Promise.resolve(false);
      void remove.finally(() => context.connection.release());
    };
  });
}

/** One stream's reading, as its teardown needs it: filled in as its parts are made. */
interface SubjectReader {
  /** `descriptor.method(scope)`, for diagnostics. */
  readonly name: string;
  /** Unsubscribed: stop, and make nothing more. */
  closed: boolean;
  jsm?: JetStreamManager;
  /** The consumer this stream created on the server (deleted when it stops). */
  consumerName?: string;
  messages?: ConsumerMessages;
}

/**
 * The relay's JetStream stream, once it exists (its subjects give the chain id): a stream
 * subscribed before the relay created it waits, and says so once on `diagnostics$`.
 */
async function awaitRelayStream(
  jsm: JetStreamManager,
  streamName: string,
  reader: SubjectReader,
  report: (diagnostic: NexusDiagnostic) => void,
): Promise<StreamInfo> {
  let told = false;
  for (;;) {
    try {
      const info = await jsm.streams.info(streamName);
      const chainId = chainIdOfSubjects(info.config.subjects);
      if (chainId === undefined) {
        throw new StreamMismatchError(
          streamName,
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
        jetStream: streamName,
        reason: `${reader.name} waits for the JetStream stream ${streamName}: no relay has created it yet`,
      });
    }
    await sleep(STREAM_WAIT_INTERVAL);
    if (reader.closed) throw new Closed();
  }
}

/** What {@link consumeSubject} reads, and where its events go. */
interface SubjectConsumption<E extends NexusEvent> {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
  readonly fromBlock: number | undefined;
  readonly reader: SubjectReader;
  readonly events: SubjectEvents<E>;
  readonly deliver: (event: E) => void;
  readonly report: (diagnostic: NexusDiagnostic) => void;
}

/**
 * Reads the subject through a consumer of its own (`filter_subject`: the server filters),
 * until unsubscribed. The first starts where the stream's options say (with `fromBlock`:
 * after what `events` skipped; without: new messages only); when the server loses it (a
 * broker restart), another is created after the last message handled, once the stream is
 * there again.
 */
async function consumeSubject<E extends NexusEvent>(c: SubjectConsumption<E>): Promise<void> {
  const { reader, events } = c;
  let first = true;
  while (!reader.closed) {
    const resume = events.lastSequence > 0 || !first;
    const info = await c.jsm.consumers.add(c.stream, {
      filter_subject: c.subject,
      ack_policy: AckPolicy.None,
      inactive_threshold: INACTIVE_THRESHOLD_NS,
      mem_storage: true,
      ...(resume
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: events.lastSequence + 1 }
        : { deliver_policy: c.fromBlock === undefined ? DeliverPolicy.New : DeliverPolicy.All }),
    });
    reader.consumerName = info.name;
    // With "new only", what the stream held when the consumer was made is behind us.
    if (first && c.fromBlock === undefined) events.skipTo(info.delivered.stream_seq);
    first = false;
    if (reader.closed) break;
    const messages = await c.js.consumers.getConsumerFromInfo(info).consume({
      max_messages: 512,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: PULL_IDLE_HEARTBEAT_MS,
    });
    reader.messages = messages;
    stopWhenConsumerLost(messages);
    for await (const message of messages) for (const event of events.take(message)) c.deliver(event);
    if (reader.closed) break;
    c.report({
      kind: 'broker-wait',
      waitingFor: 'consumer',
      jetStream: c.stream,
      reason: `${reader.name}: the server lost its consumer; creating it again after stream sequence ${events.lastSequence}`,
    });
    await sleep(STREAM_WAIT_INTERVAL);
    if (reader.closed) break;
    await awaitRelayStream(c.jsm, c.stream, reader, c.report);
  }
}

/** Ends `messages` when the server says its consumer (or stream) is gone: the reader then makes another. */
function stopWhenConsumerLost(messages: ConsumerMessages): void {
  void (async () => {
    for await (const status of messages.status()) {
      if (
        status.type === 'consumer_not_found' ||
        status.type === 'consumer_deleted' ||
        status.type === 'stream_not_found'
      ) {
        messages.stop();
        return;
      }
    }
  })().catch(() => undefined);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
