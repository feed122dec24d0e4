import type { NexusEvent } from './NexusEvent.js';

/**
 * The retraction of `event`: a frozen copy of the same class, every field equal, except
 * `removed: true`. Built without the constructor, so it works for all six classes alike
 * (and `instanceof` holds).
 */
export function removalOf<E extends NexusEvent>(event: E): E {
  const copy = Object.create(Object.getPrototypeOf(event) as object) as E;
  Object.assign(copy, event, { removed: true });
  return Object.freeze(copy);
}
