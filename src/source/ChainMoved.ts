/**
 * The chain changed between two requests of one read (a block vanished, or no longer
 * links to the one above it): the read is abandoned and started over. Internal: it never
 * reaches a subscriber.
 */
export class ChainMoved extends Error {
  override name = 'ChainMoved';
}
