import type { EnvironmentMask } from '../enums/Environment.js';
import { NexusEvent, type NexusEventFieldsBase } from './NexusEvent.js';

/**
 * Fields of a {@link RegisteredEvent}.
 *
 * @example
 * ```ts
 * import type { RegisteredEventFields } from 'ogpu-events';
 *
 * const slot = ({ registrantId }: RegisteredEventFields) => registrantId;
 * ```
 */
export interface RegisteredEventFields extends NexusEventFieldsBase {
  /** The provider that registered (EIP-55 checksummed). */
  readonly provider: string;
  /** The slot index assigned to this registration. */
  readonly registrantId: bigint;
  /** The source registered to: the stream's scope (EIP-55 checksummed). */
  readonly source: string;
  /** The provider's preferred environments, as {@link Environment} bit flags (0–7). */
  readonly preferredEnvironment: EnvironmentMask;
}

/**
 * A provider registered to a source. Emitted by `registered$(source)`. Unlike the
 * Python SDK, it keeps `preferredEnvironment`.
 *
 * @example
 * ```ts
 * nexus.registered$(source).subscribe((e: RegisteredEvent) =>
 *   console.log(`#${e.registrantId} ${e.provider}`, hasEnvironment(e.preferredEnvironment, Environment.NVIDIA)),
 * );
 * ```
 */
export class RegisteredEvent extends NexusEvent implements RegisteredEventFields {
  readonly eventName = 'Registered' as const;
  readonly provider: string;
  readonly registrantId: bigint;
  readonly source: string;
  readonly preferredEnvironment: EnvironmentMask;

  constructor(fields: RegisteredEventFields) {
    super(fields);
    this.provider = fields.provider;
    this.registrantId = fields.registrantId;
    this.source = fields.source;
    this.preferredEnvironment = fields.preferredEnvironment;
    Object.freeze(this);
  }
}
