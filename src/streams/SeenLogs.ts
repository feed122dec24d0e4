import type { LogPosition } from '../events/NexusEvent.js';

interface SeenTransaction {
  readonly blockNumber: number;
  readonly logIndexes: number[];
  last: number;
}

/**
 * The logs a stream has let through, by (transactionHash, logIndex), with memory bounded
 * by block height: keys more than `windowBlocks` below the highest block seen are
 * forgotten, and a log that old counts as seen (every stream delivers in chain order, so
 * only a re-read can bring one back).
 *
 * Keyed by transaction (its hash string comes from the node's JSON, and V8 caches a
 * string's hash), with the log indexes seen in it: no key string is built per log, and
 * there is one entry per transaction rather than per log.
 *
 * @example
 * const seen = new SeenLogs(DEDUPE_WINDOW_BLOCKS);
 * const fresh = logs.filter((log) => seen.admit(log));
 */
export class SeenLogs {
  readonly #windowBlocks: number;
  readonly #byTransaction = new Map<string, SeenTransaction>();
  // The transactions in the order they were first seen, to forget the oldest without
  // iterating the Map: V8 keeps a deleted Map entry as a hole until the table is rebuilt,
  // and iterating from the start walks over every hole left so far.
  readonly #order: string[] = [];
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
    if (log.blockNumber < this.#highest - this.#windowBlocks) return false;
    const entry = this.#byTransaction.get(log.transactionHash);
    if (entry === undefined) {
      this.#byTransaction.set(log.transactionHash, {
        blockNumber: log.blockNumber,
        logIndexes: [log.logIndex],
        last: log.logIndex,
      });
      this.#order.push(log.transactionHash);
    } else if (log.logIndex > entry.last) {
      // In chain order a transaction's logs come with rising indexes: no search needed.
      entry.logIndexes.push(log.logIndex);
      entry.last = log.logIndex;
    } else if (entry.logIndexes.includes(log.logIndex)) {
      return false;
    } else {
      entry.logIndexes.push(log.logIndex);
    }
    this.#remembered += 1;
    if (log.blockNumber > this.#highest) {
      this.#highest = log.blockNumber;
      this.#forgetBelow(this.#highest - this.#windowBlocks);
    }
    return true;
  }

  #forgetBelow(horizon: number): void {
    const order = this.#order;
    // Transactions go in roughly chain order, so the oldest are first.
    while (this.#oldest < order.length) {
      const hash = order[this.#oldest] as string;
      const entry = this.#byTransaction.get(hash);
      if (entry !== undefined && entry.blockNumber >= horizon) break;
      if (entry !== undefined) {
        this.#byTransaction.delete(hash);
        this.#remembered -= entry.logIndexes.length;
      }
      this.#oldest += 1;
    }
    if (this.#oldest > 1024 && this.#oldest * 2 > order.length) {
      order.splice(0, this.#oldest);
      this.#oldest = 0;
    }
  }
}
