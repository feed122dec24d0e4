import { describeValue } from '../internal/describeValue.js';
import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * Thrown synchronously when an address argument or option is not a valid
 * 20-byte hex address (or has a wrong EIP-55 checksum).
 *
 * @example
 * ```ts
 * import { InvalidAddressError } from 'ogpu-events';
 *
 * try {
 *   nexus.taskStatusChanged$('0xnot-an-address');
 * } catch (error) {
 *   if (error instanceof InvalidAddressError) console.error(error.parameter, error.value);
 * }
 * ```
 */
export class InvalidAddressError extends OgpuEventsError {
  /** Always `'InvalidAddressError'`. */
  override name = 'InvalidAddressError';
  /** Name of the argument or option that held the value. */
  readonly parameter: string;
  /** The rejected value, as given. */
  readonly value: unknown;

  constructor(parameter: string, value: unknown, reason: string) {
    super('INVALID_ADDRESS', `Invalid address for ${parameter}: ${describeValue(value)} ${reason}.`);
    this.parameter = parameter;
    this.value = value;
  }
}
