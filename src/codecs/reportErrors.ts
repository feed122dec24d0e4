import type * as t from 'io-ts';
import { describeValue } from '../internal/describeValue.js';

/**
 * io-ts validation errors as one readable line each: `path: message`.
 * Uses the codec's own message where it gave one.
 */
export function reportErrors(errors: t.Errors): string[] {
  return errors.map((error) => {
    const path = error.context
      .map((entry) => entry.key)
      .filter((key) => key !== '')
      .join('.');
    const last = error.context[error.context.length - 1];
    const message =
      error.message ?? `invalid value ${describeValue(error.value)}, expected ${last?.type.name ?? 'a valid value'}`;
    return path === '' ? message : `${path}: ${message}`;
  });
}
