import { describeValue } from '../internal/describeValue.js';
import { OgpuEventsError } from './OgpuEventsError.js';

/**
 * Thrown synchronously when an option or argument other than an address is out of
 * range or of the wrong type (a negative `pollInterval`, a fractional `fromBlock`, …).
 *
 * @example
 * ```ts
 * import { InvalidOptionError, createNexusEvents } from 'ogpu-events';
 *
 * try {
 *   createNexusEvents({ network: 'testnet', pollInterval: -1 });
 * } catch (error) {
 *   if (error instanceof InvalidOptionError) console.error(error.option); // 'pollInterval'
 * }
 * ```
 */
export class InvalidOptionError extends OgpuEventsError {
  /** Always `'InvalidOptionError'`. */
  override name = 'InvalidOptionError';
  /** Name of the offending option or argument. */
  readonly option: string;
  /** The rejected value, as given. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super('INVALID_OPTION', `Invalid value for ${option}: ${describeValue(value)}; expected ${expected}.`);
    this.option = option;
    this.value = value;
  }
}
