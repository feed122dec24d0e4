import type { RpcLog } from '../codecs/RpcLog.js';
import type { OgpuEventsError } from '../errors/OgpuEventsError.js';
import type { NexusEventName } from '../nexus/nexusEventTopics.js';

/**
 * A log the node returned that is not a well-formed log of the Nexus address (missing
 * fields, bad hex, another address). It was skipped; the stream goes on.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is InvalidLogDiagnostic => d.kind === 'invalid-log'))
 *   .subscribe((d) => console.warn('node returned a bad log:', d.reason, d.log));
 * ```
 */
export interface InvalidLogDiagnostic {
  /** Discriminant: `'invalid-log'`. */
  readonly kind: 'invalid-log';
  /** Why it was rejected, one line per problem. */
  readonly reason: readonly string[];
  /** The log as the node returned it. */
  readonly log: unknown;
}

/**
 * A Nexus log with a watched topic0 whose payload does not decode (truncated data, an
 * enum value out of range, dirty padding, extra topics). It was skipped; the stream goes on.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is UndecodableLogDiagnostic => d.kind === 'undecodable-log'))
 *   .subscribe((d) => console.warn(`${d.event} log ${d.log.transactionHash}:${d.log.logIndex} skipped`, d.reason));
 * ```
 */
export interface UndecodableLogDiagnostic {
  /** Discriminant: `'undecodable-log'`. */
  readonly kind: 'undecodable-log';
  /** The event its topic0 names. */
  readonly event: NexusEventName;
  /**
   * The stream that skipped it, e.g. `taskStatusChanged$(0xAbC…)`. Absent when the client
   * dropped a log of the wrong shape (topic count, data length) before routing it to
   * streams, live or from its shared history reads: such a log is reported once, whatever
   * the number of streams.
   */
  readonly stream?: string;
  /** Why it did not decode, one line per problem. */
  readonly reason: readonly string[];
  /** The skipped log. */
  readonly log: RpcLog;
}

/**
 * A request failed for a transient reason and will be sent again after `delayMs`. The
 * stream waits meanwhile; nothing is lost and the cursor does not move.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is RpcRetryDiagnostic => d.kind === 'rpc-retry'))
 *   .subscribe((d) => console.warn(`${d.reason}; retry ${d.retry} of ${d.method} in ${d.delayMs} ms`));
 * ```
 */
export interface RpcRetryDiagnostic {
  /** Discriminant: `'rpc-retry'`. */
  readonly kind: 'rpc-retry';
  /** The JSON-RPC method, e.g. `eth_getLogs`. */
  readonly method: string;
  /** Which retry this is: 1 for the first. */
  readonly retry: number;
  /** Milliseconds until it is sent. */
  readonly delayMs: number;
  /** The failure, one line (e.g. `JSON-RPC request eth_getLogs failed: server response 503 Service Unavailable (HTTP 503)`). */
  readonly reason: string;
  /** The failure, typed. */
  readonly error: OgpuEventsError;
}

/**
 * The node refused an `eth_getLogs` for its size (too many blocks or results); the
 * range is asked again in smaller pieces, and the client keeps the smaller span for
 * later reads (growing it back slowly while requests succeed).
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is RangeSplitDiagnostic => d.kind === 'range-split'))
 *   .subscribe((d) => console.info(`blocks ${d.fromBlock}-${d.toBlock} refused (${d.reason}); now ${d.nextSpan} at a time`));
 * ```
 */
export interface RangeSplitDiagnostic {
  /** Discriminant: `'range-split'`. */
  readonly kind: 'range-split';
  /** First block of the refused request. */
  readonly fromBlock: number;
  /** Last block of the refused request. */
  readonly toBlock: number;
  /** Blocks in the next request for this range. */
  readonly nextSpan: number;
  /** Where `nextSpan` came from: the range the node suggested, the limit it stated, or halving. */
  readonly basis: 'suggested' | 'stated-limit' | 'halved';
  /** The node's message. */
  readonly reason: string;
}

/**
 * The chain under the poller's cursor changed: the block it last read was replaced. The
 * poller went back to the newest block it had read that is still canonical
 * (`ancestor`) and reads again from `ancestor + 1`; logs already delivered are not
 * delivered twice, and logs of the new chain are delivered even below the old cursor.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is ReorgDiagnostic => d.kind === 'reorg'))
 *   .subscribe((d) => console.warn(`reorg: block ${d.replacedBlock} replaced; re-reading from ${d.ancestor + 1}`));
 * ```
 */
export interface ReorgDiagnostic {
  /** Discriminant: `'reorg'`. */
  readonly kind: 'reorg';
  /** The block (the last one read) whose hash changed, or that is gone. */
  readonly replacedBlock: number;
  /** Its hash when it was read. */
  readonly replacedHash: string;
  /** The newest block read before that is still canonical; reading resumes above it. */
  readonly ancestor: number;
  /**
   * `true` when even the oldest block the poller remembers was replaced: the reorg is
   * deeper than its memory of block hashes, and logs below `ancestor + 1` that changed
   * may not be re-read.
   */
  readonly deeperThanMemory: boolean;
}

/**
 * A node behind the one that gave the head answered: it did not know a block the
 * poller had already seen (the hash of the newest block read, or a block below the head).
 * The request is retried (an `rpc-retry` follows) and nothing is lost: the library reads
 * the newest block of every range by its hash, so a lagging node cannot answer for it
 * silently. Frequent ones mean an endpoint balancing over nodes out of step.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is LaggingNodeDiagnostic => d.kind === 'lagging-node'))
 *   .subscribe((d) => console.info(`${d.method}: a node behind the head answered (${d.reason})`));
 * ```
 */
export interface LaggingNodeDiagnostic {
  /** Discriminant: `'lagging-node'`. */
  readonly kind: 'lagging-node';
  /** The JSON-RPC method, e.g. `eth_getLogs`. */
  readonly method: string;
  /** What gave the node away, e.g. `unknown block` or `no block 1234 although the head is above it`. */
  readonly reason: string;
}

/**
 * A message read from a JetStream stream (`createJetStreamNexusEvents`) that is not a valid
 * event of its subject: not JSON, fields missing or of the wrong type, or an event that
 * does not belong on that subject. It was skipped; the stream goes on.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is InvalidMessageDiagnostic => d.kind === 'invalid-message'))
 *   .subscribe((d) => console.warn(`skipped message ${d.sequence} on ${d.subject}:`, d.reason));
 * ```
 */
export interface InvalidMessageDiagnostic {
  /** Discriminant: `'invalid-message'`. */
  readonly kind: 'invalid-message';
  /** The stream that skipped it, e.g. `taskStatusChanged$(0xAbC…)`. */
  readonly stream: string;
  /** The NATS subject it was published on. */
  readonly subject: string;
  /** Its sequence number in the JetStream stream. */
  readonly sequence: number;
  /** Why it was rejected, one line per problem. */
  readonly reason: readonly string[];
  /** Its payload as text (at most 1,000 characters). */
  readonly data: string;
}

/**
 * A JetStream stream is waiting on the broker without failing: the JetStream stream does
 * not exist yet (no relay has created it), the connection was lost and is being
 * re-established, or the server lost the consumer (a broker restart) and it is being
 * created again where the stream had got to.
 *
 * @example
 * ```ts
 * nexus.diagnostics$
 *   .pipe(filter((d): d is BrokerWaitDiagnostic => d.kind === 'broker-wait'))
 *   .subscribe((d) => console.info(d.reason));
 * ```
 */
export interface BrokerWaitDiagnostic {
  /** Discriminant: `'broker-wait'`. */
  readonly kind: 'broker-wait';
  /** What is waited for: `'stream'` (not created yet), `'connection'` or `'consumer'` (being re-created). */
  readonly waitingFor: 'stream' | 'connection' | 'consumer';
  /** The JetStream stream's name. */
  readonly jetStream: string;
  /** One line for people. */
  readonly reason: string;
}

/**
 * Something a client noticed and handled without failing a stream, published on
 * `nexus.diagnostics$` (and passed to `onDiagnostic` of {@link logPoller$}).
 *
 * @example
 * ```ts
 * nexus.diagnostics$.subscribe((d: NexusDiagnostic) => {
 *   if (d.kind === 'undecodable-log') console.warn(`${d.stream ?? d.event} skipped a log:`, d.reason.join('; '));
 * });
 * ```
 */
export type NexusDiagnostic =
  | InvalidLogDiagnostic
  | UndecodableLogDiagnostic
  | RpcRetryDiagnostic
  | RangeSplitDiagnostic
  | ReorgDiagnostic
  | LaggingNodeDiagnostic
  | InvalidMessageDiagnostic
  | BrokerWaitDiagnostic;
