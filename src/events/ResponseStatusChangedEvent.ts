import type { ResponseStatus } from '../enums/ResponseStatus.js';
import { NexusEvent, type NexusEventFieldsBase } from './NexusEvent.js';

/**
 * Fields of a {@link ResponseStatusChangedEvent}.
 *
 * @example
 * ```ts
 * import { ResponseStatus, type ResponseStatusChangedEventFields } from 'ogpu-events';
 *
 * const confirmed = (e: ResponseStatusChangedEventFields) => e.status === ResponseStatus.CONFIRMED;
 * ```
 */
export interface ResponseStatusChangedEventFields extends NexusEventFieldsBase {
  /** The response contract: the stream's scope (EIP-55 checksummed). */
  readonly response: string;
  /** Its new status. */
  readonly status: ResponseStatus;
}

/**
 * A response changed status (SUBMITTED → CONFIRMED). Emitted by `responseStatusChanged$(response)`.
 *
 * @example
 * ```ts
 * nexus.responseStatusChanged$(response).subscribe((e: ResponseStatusChangedEvent) =>
 *   console.log(enumKey(ResponseStatus, e.status)),
 * );
 * ```
 */
export class ResponseStatusChangedEvent extends NexusEvent implements ResponseStatusChangedEventFields {
  readonly eventName = 'ResponseStatusChanged' as const;
  readonly response: string;
  readonly status: ResponseStatus;

  constructor(fields: ResponseStatusChangedEventFields) {
    super(fields);
    this.response = fields.response;
    this.status = fields.status;
    Object.freeze(this);
  }
}
