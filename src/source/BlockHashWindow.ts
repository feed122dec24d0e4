/** A block the poller read up to, and its hash at the time. */
export interface BlockAnchor {
  readonly number: number;
  readonly hash: string;
}

/**
 * The poller's memory of the chain it read: the hash of the last block of each range
 * it read, for the last `depth` blocks. Used to notice a reorg (the last anchor's hash
 * changed) and to find how far back it went (the newest anchor still canonical).
 * Pruned by height, so its size is bounded whatever the run length.
 */
export class BlockHashWindow {
  readonly #anchors: BlockAnchor[] = [];

  constructor(readonly depth: number) {}

  /** The newest anchor. */
  get latest(): BlockAnchor | undefined {
    return this.#anchors[this.#anchors.length - 1];
  }

  /** The oldest anchor still remembered. */
  get oldest(): BlockAnchor | undefined {
    return this.#anchors[0];
  }

  get size(): number {
    return this.#anchors.length;
  }

  /** The remembered hash of block `number`, if it is an anchor. */
  hashOf(number: number): string | undefined {
    for (let i = this.#anchors.length - 1; i >= 0; i -= 1) {
      const anchor = this.#anchors[i];
      if (anchor === undefined || anchor.number < number) return undefined;
      if (anchor.number === number) return anchor.hash;
    }
    return undefined;
  }

  /** Newest first. */
  newestFirst(): readonly BlockAnchor[] {
    return [...this.#anchors].reverse();
  }

  /** Records that the chain read up to `number` had `hash` there; forgets anchors more than `depth` blocks older. */
  remember(number: number, hash: string): void {
    this.forgetFrom(number);
    this.#anchors.push({ number, hash });
    const horizon = number - this.depth;
    let drop = 0;
    while (drop < this.#anchors.length - 1 && (this.#anchors[drop]?.number ?? 0) < horizon) drop += 1;
    if (drop > 0) this.#anchors.splice(0, drop);
  }

  /** Forgets the anchors at or above `number` (they are no longer canonical). */
  forgetFrom(number: number): void {
    while ((this.latest?.number ?? -1) >= number) this.#anchors.pop();
  }
}
