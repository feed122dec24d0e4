import { NexusEvent, type NexusEventFieldsBase } from './NexusEvent.js';

/**
 * Fields of an {@link AttemptedEvent}.
 *
 * @example
 * ```ts
 * import type { AttemptedEventFields } from 'ogpu-events';
 *
 * const payment = ({ suggestedPayment }: AttemptedEventFields) => suggestedPayment;
 * ```
 */
export interface AttemptedEventFields extends NexusEventFieldsBase {
  /** The task being attempted: the stream's scope (EIP-55 checksummed). */
  readonly task: string;
  /** The provider making the attempt (EIP-55 checksummed). */
  readonly provider: string;
  /** Advisory payment in wei the provider expects. */
  readonly suggestedPayment: bigint;
}

/**
 * A provider attempted a task. Emitted by `attempted$(task)`.
 *
 * @example
 * ```ts
 * nexus.attempted$(task).subscribe((e: AttemptedEvent) =>
 *   console.log(`attempt by ${e.provider} for ${e.suggestedPayment} wei`),
 * );
 * ```
 */
export class AttemptedEvent extends NexusEvent implements AttemptedEventFields {
  readonly eventName = 'Attempted' as const;
  readonly task: string;
  readonly provider: string;
  readonly suggestedPayment: bigint;

  constructor(fields: AttemptedEventFields) {
    super(fields);
    this.task = fields.task;
    this.provider = fields.provider;
    this.suggestedPayment = fields.suggestedPayment;
    Object.freeze(this);
  }
}
