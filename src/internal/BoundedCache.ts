/**
 * A Map bounded to `capacity` entries, in two generations of `capacity / 2`: new entries go
 * into the young one; when it is full it becomes the old one and the previous old one is
 * dropped whole. A hit in the old generation is copied into the young one, so an entry in
 * use survives; one not used during a whole generation is forgotten.
 *
 * This replaced a Map that deleted its oldest key on every insert beyond the capacity. On a
 * stream of new keys (every TaskPublished names a contract never seen before) that
 * eviction cost 2–5× the checksum it saved: V8 leaves a deleted entry in place until the
 * table is rebuilt, and finding the oldest live key walks over them. Dropping a generation
 * costs nothing per entry. The values are pure functions of their keys, so forgetting one
 * only costs computing it again.
 *
 * @example
 * const checksums = new BoundedCache<string, string>(16_384);
 * const checksummed = checksums.getOrCompute(hex40, eip55Checksum);
 */
export class BoundedCache<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #generation: number;

  /** @param capacity the most entries held at once (at least 2). */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 2) {
      throw new RangeError(`BoundedCache capacity must be an integer of at least 2, got ${String(capacity)}`);
    }
    this.#generation = Math.floor(capacity / 2);
  }

  /** Entries held, counting one copied from the old generation into the young one twice. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The cached value of `key`, or `compute(key)`, cached. */
  getOrCompute(key: K, compute: (key: K) => V): V {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const value = this.#old.get(key) ?? compute(key);
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young;
      this.#young = new Map<K, V>();
    }
    this.#young.set(key, value);
    return value;
  }
}
