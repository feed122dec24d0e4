/**
 * Stable machine-readable codes of every error the library raises.
 *
 * Codes never change meaning between versions; match on them rather than on messages.
 *
 * @example
 * ```ts
 * import { OgpuEventsError } from 'ogpu-events';
 *
 * try {
 *   nexus.attempted$('0x1234');
 * } catch (error) {
 *   if (error instanceof OgpuEventsError && error.code === 'INVALID_ADDRESS') {
 *     console.error(error.shortMessage);
 *   }
 * }
 * ```
 */
export type OgpuEventsErrorCode =
  | 'INVALID_ADDRESS'
  | 'INVALID_OPTION'
  | 'RPC_REQUEST_FAILED'
  | 'RPC_UNAVAILABLE'
  | 'INVALID_RPC_RESPONSE'
  | 'NEXUS_NOT_FOUND'
  | 'BROKER_UNAVAILABLE'
  | 'BROKER_AUTHENTICATION_FAILED'
  | 'BROKER_PERMISSION_DENIED'
  | 'STREAM_MISMATCH';

/**
 * Extra context an {@link OgpuEventsError} may carry.
 *
 * @example
 * ```ts
 * import { OgpuEventsError } from 'ogpu-events';
 *
 * const error = new OgpuEventsError('RPC_REQUEST_FAILED', 'eth_getLogs failed', { cause: new Error('socket hang up') });
 * ```
 */
export interface OgpuEventsErrorOptions {
  /** The underlying error, kept for debugging. */
  readonly cause?: unknown;
  /** Further lines explaining the failure, appended to the message. */
  readonly details?: readonly string[];
}

/**
 * Base class of every error thrown or emitted by ogpu-events.
 *
 * Every instance has a stable {@link OgpuEventsErrorCode} in `code`, a one-line
 * `shortMessage` that names the offending value, optional `details`, and the original
 * error (if any) in `cause`.
 *
 * @example
 * ```ts
 * import { OgpuEventsError, createNexusEvents } from 'ogpu-events';
 *
 * try {
 *   createNexusEvents({ rpcUrl: 'http://127.0.0.1:8545', address: 'nexus' });
 * } catch (error) {
 *   if (error instanceof OgpuEventsError) console.error(error.code, error.shortMessage);
 * }
 * ```
 */
export class OgpuEventsError extends Error {
  /** Always `'OgpuEventsError'`. */
  override name = 'OgpuEventsError';
  /** Stable machine-readable code. */
  readonly code: OgpuEventsErrorCode;
  /** The first line of the message, without details. */
  readonly shortMessage: string;
  /** Further explanation, one entry per line. */
  readonly details: readonly string[];
  /** The underlying error (the transport's or the node's), when there is one. */
  override readonly cause?: unknown;

  constructor(code: OgpuEventsErrorCode, shortMessage: string, options: OgpuEventsErrorOptions = {}) {
    const details = options.details ?? [];
    super([shortMessage, ...details].join('\n'));
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = details;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}
