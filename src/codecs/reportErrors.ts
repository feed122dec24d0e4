import * as t from 'io-ts';
import { describeValue } from '../internal/describeValue.js';

/**
 * io-ts validation errors as one readable line each: `path: message`.
 * Uses the codec's own message where it gave one.
 */
export function reportErrors(errors: t.Errors): string[] {
  return errors.map((error) => {
    // Members of an intersection add their index to the path; it means nothing to a reader.
    const path = error.context
      .filter((entry, i) => entry.key !== '' && !(error.context[i - 1]?.type instanceof t.IntersectionType))
      .map((entry) => entry.key)
      .join('.');
    const last = error.context[error.context.length - 1];
    const message =
      error.message ?? `invalid value ${describeValue(error.value)}, expected ${last?.type.name ?? 'a valid value'}`;
    return path === '' ? message : `${path}: ${message}`;
  });
}
