/** A run of blocks and the read that last covered it. */
interface Covered {
  from: number;
  to: number;
  readAt: number;
}

/**
 * Which read last covered each block a stream has seen, as disjoint runs of blocks.
 * Reads of the same blocks can reach a stream out of order (a live batch held while the
 * stream's own history read ran); after a reorg they may disagree, and the later read
 * must win. Pruned by height, so its size is bounded.
 */
export class BlockCoverage {
  #runs: Covered[] = [];

  /**
   * Claims `[from, to]` for the read `readAt`: returns the parts no later read has
   * covered (in order), and records them as covered by this one.
   */
  claim(from: number, to: number, readAt: number): [number, number][] {
    const fresh: [number, number][] = [];
    let next = from;
    for (const run of this.#runs) {
      if (run.to < next || run.readAt <= readAt) continue;
      if (run.from > to) break;
      if (run.from > next) fresh.push([next, run.from - 1]);
      next = Math.max(next, run.to + 1);
      if (next > to) break;
    }
    if (next <= to) fresh.push([next, to]);
    for (const [a, b] of fresh) this.#record(a, b, readAt);
    return fresh;
  }

  /** Forgets runs that end below `horizon`. */
  forgetBelow(horizon: number): void {
    let drop = 0;
    while (drop < this.#runs.length && (this.#runs[drop]?.to ?? Infinity) < horizon) drop += 1;
    if (drop > 0) this.#runs.splice(0, drop);
  }

  get size(): number {
    return this.#runs.length;
  }

  #record(from: number, to: number, readAt: number): void {
    const kept: Covered[] = [];
    for (const run of this.#runs) {
      if (run.to < from || run.from > to) {
        kept.push(run);
        continue;
      }
      if (run.from < from) kept.push({ from: run.from, to: from - 1, readAt: run.readAt });
      if (run.to > to) kept.push({ from: to + 1, to: run.to, readAt: run.readAt });
    }
    kept.push({ from, to, readAt });
    kept.sort((a, b) => a.from - b.from);
    // Neighbours covered by the same read become one run.
    const merged: Covered[] = [];
    for (const run of kept) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.readAt === run.readAt && last.to + 1 === run.from) last.to = run.to;
      else merged.push(run);
    }
    this.#runs = merged;
  }
}
