import { type MonoTypeOperatorFunction, defer, filter } from 'rxjs';
import type { LogPosition } from '../events/NexusEvent.js';

/**
 * Drops logs already seen, by (transactionHash, logIndex), with memory bounded by block
 * height: keys more than `windowBlocks` below the highest block seen are forgotten, and
 * a log that old is treated as seen (every stream delivers in chain order, so only a
 * re-read can bring one back).
 */
export function distinctLogs<T extends LogPosition>(
  windowBlocks: number,
  /** Test hook: told the number of remembered keys after each log. */
  inspect?: (rememberedKeys: number) => void,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    defer(() => {
      // Keyed by transaction (its hash string comes from the node's JSON, and V8 caches a
      // string's hash), with the log indexes seen in it: no key string built per log, and
      // one entry per transaction rather than per log.
      const seen = new Map<string, { readonly blockNumber: number; readonly logIndexes: number[]; last: number }>();
      // The transactions in the order they were first seen, to forget the oldest without
      // iterating the Map: V8 keeps a deleted Map entry as a hole until the table is
      // rebuilt, and iterating from the start walks over every hole left so far.
      const order: string[] = [];
      let oldest = 0;
      let remembered = 0;
      let highest = -1;

      const forgetBelow = (horizon: number): void => {
        // Transactions go in roughly chain order, so the oldest are first.
        while (oldest < order.length) {
          const hash = order[oldest] as string;
          const entry = seen.get(hash);
          if (entry !== undefined && entry.blockNumber >= horizon) break;
          if (entry !== undefined) {
            seen.delete(hash);
            remembered -= entry.logIndexes.length;
          }
          oldest += 1;
        }
        if (oldest > 1024 && oldest * 2 > order.length) {
          order.splice(0, oldest);
          oldest = 0;
        }
      };

      return source.pipe(
        filter((log) => {
          if (log.blockNumber < highest - windowBlocks) return false;
          const entry = seen.get(log.transactionHash);
          if (entry === undefined) {
            seen.set(log.transactionHash, {
              blockNumber: log.blockNumber,
              logIndexes: [log.logIndex],
              last: log.logIndex,
            });
            order.push(log.transactionHash);
          } else if (log.logIndex > entry.last) {
            // In chain order a transaction's logs come with rising indexes: no search needed.
            entry.logIndexes.push(log.logIndex);
            entry.last = log.logIndex;
          } else if (entry.logIndexes.includes(log.logIndex)) {
            return false;
          } else {
            entry.logIndexes.push(log.logIndex);
          }
          remembered += 1;
          if (log.blockNumber > highest) {
            highest = log.blockNumber;
            forgetBelow(highest - windowBlocks);
          }
          inspect?.(remembered);
          return true;
        }),
      );
    });
}
