/**
 * States of a task response, with their uint8 wire values.
 *
 * @example
 * ```ts
 * import { ResponseStatus } from 'ogpu-events';
 *
 * nexus.responseStatusChanged$(response).pipe(first((e) => e.status === ResponseStatus.CONFIRMED));
 * ```
 */
export const ResponseStatus = Object.freeze({
  /** Submitted by a provider, not yet confirmed. */
  SUBMITTED: 0,
  /** Confirmed by the task's source. */
  CONFIRMED: 1,
} as const);

/**
 * A response status wire value: `0` (SUBMITTED) or `1` (CONFIRMED).
 *
 * @example
 * ```ts
 * import { ResponseStatus } from 'ogpu-events';
 *
 * const confirmed = (status: ResponseStatus) => status === ResponseStatus.CONFIRMED;
 * ```
 */
export type ResponseStatus = (typeof ResponseStatus)[keyof typeof ResponseStatus];
