import type { RpcLog } from '../codecs/RpcLog.js';
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
  readonly kind: 'undecodable-log';
  /** The event its topic0 names. */
  readonly event: NexusEventName;
  /**
   * The stream that skipped it, e.g. `taskStatusChanged$(0xAbC…)`. Absent when the client
   * dropped a log of the wrong shape (topic count, data length) before routing it to
   * streams: such a log is reported once, whatever the number of streams.
   */
  readonly stream?: string;
  /** Why it did not decode, one line per problem. */
  readonly reason: readonly string[];
  /** The skipped log. */
  readonly log: RpcLog;
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
export type NexusDiagnostic = InvalidLogDiagnostic | UndecodableLogDiagnostic;
