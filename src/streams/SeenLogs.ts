import type { LogPosition } from '../events/NexusEvent.js';

/**
 * The logs a stream has let through, by (transactionHash, logIndex), with memory bounded
 * by block height: keys more than `windowBlocks` below the highest block seen are
 * forgotten, and a log that old counts as seen (every stream delivers in chain order, so
 * only a re-read can bring one back).
 *
 * Keyed by transaction (its hash string comes from the node's JSON, and V8 caches a
 * string's hash), with the log index seen in it (a number: nothing is allocated for the
 * usual transaction of one log) or the indexes seen (an array, from the second log on): no
 * key string is built per log, and there is one entry per transaction rather than per log.
 *
 * @example
 * const seen = new SeenLogs(DEDUPE_WINDOW_BLOCKS);
 * const fresh = logs.filter((log) => seen.admit(log));
 */
export class SeenLogs {
  readonly #windowBlocks: number;
  readonly #byTransaction = new Map<string, number | number[]>();
  // The transactions in the order they were first seen, with that block, to forget the
  // oldest without iterating the Map: V8 keeps a deleted Map entry as a hole until the
  // table is rebuilt, and iterating from the start walks over every hole left so far.
  readonly #orderHashes: string[] = [];
  readonly #orderBlocks: number[] = [];
  #oldest = 0;
  #remembered = 0;
  #highest = -1;

  constructor(windowBlocks: number) {
    this.#windowBlocks = windowBlocks;
  }

  /** Number of (transaction, log index) keys remembered now. */
  get size(): number {
    return this.#remembered;
  }

  /** `true` (and remembers it) if `log` was not seen before; `false` for a repeat. */
  admit(log: LogPosition): boolean {
    const { blockNumber, transactionHash, logIndex } = log;
    if (blockNumber < this.#highest - this.#windowBlocks) return false;
    const seen = this.#byTransaction.get(transactionHash);
    if (seen === undefined) {
      this.#byTransaction.set(transactionHash, logIndex);
      this.#orderHashes.push(transactionHash);
      this.#orderBlocks.push(blockNumber);
    } else if (typeof seen === 'number') {
      if (seen === logIndex) return false;
      this.#byTransaction.set(transactionHash, [seen, logIndex]);
    } else if (logIndex > (seen[seen.length - 1] as number)) {
      // In chain order a transaction's logs come with rising indexes: no search needed.
      seen.push(logIndex);
    } else if (seen.includes(logIndex)) {
      return false;
    } else {
      seen.push(logIndex);
    }
    this.#remembered += 1;
    if (blockNumber > this.#highest) {
      this.#highest = blockNumber;
      this.#forgetBelow(blockNumber - this.#windowBlocks);
    }
    return true;
  }

  #forgetBelow(horizon: number): void {
    const hashes = this.#orderHashes;
    const blocks = this.#orderBlocks;
    // Transactions go in roughly chain order, so the oldest are first.
    while (this.#oldest < hashes.length && (blocks[this.#oldest] as number) < horizon) {
      const hash = hashes[this.#oldest] as string;
      const seen = this.#byTransaction.get(hash);
      if (seen !== undefined) {
        this.#byTransaction.delete(hash);
        this.#remembered -= typeof seen === 'number' ? 1 : seen.length;
      }
      this.#oldest += 1;
    }
    if (this.#oldest > 1024 && this.#oldest * 2 > hashes.length) {
      hashes.splice(0, this.#oldest);
      blocks.splice(0, this.#oldest);
      this.#oldest = 0;
    }
  }
}
