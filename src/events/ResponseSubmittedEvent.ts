import { NexusEvent, type NexusEventFieldsBase } from './NexusEvent.js';

/**
 * Fields of a {@link ResponseSubmittedEvent}.
 *
 * @example
 * ```ts
 * import type { ResponseSubmittedEventFields } from 'ogpu-events';
 *
 * const responseOf = ({ response }: ResponseSubmittedEventFields) => response;
 * ```
 */
export interface ResponseSubmittedEventFields extends NexusEventFieldsBase {
  /** The newly deployed Response contract (EIP-55 checksummed). */
  readonly response: string;
  /** The task the response is for: the stream's scope (EIP-55 checksummed). */
  readonly task: string;
}

/**
 * A provider submitted a response to a task. Emitted by `responseSubmitted$(task)`.
 *
 * @example
 * ```ts
 * const submitted = await firstValueFrom(nexus.responseSubmitted$(task));
 * console.log('response contract', submitted.response);
 * ```
 */
export class ResponseSubmittedEvent extends NexusEvent implements ResponseSubmittedEventFields {
  readonly eventName = 'ResponseSubmitted' as const;
  readonly response: string;
  readonly task: string;

  constructor(fields: ResponseSubmittedEventFields) {
    super(fields);
    this.response = fields.response;
    this.task = fields.task;
    Object.freeze(this);
  }
}
