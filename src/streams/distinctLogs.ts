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
      const seen = new Map<string, number>();
      let highest = -1;

      const forgetBelow = (horizon: number): void => {
        // Keys go in roughly chain order, so the oldest are first.
        for (const [key, blockNumber] of seen) {
          if (blockNumber >= horizon) break;
          seen.delete(key);
        }
      };

      return source.pipe(
        filter((log) => {
          if (log.blockNumber < highest - windowBlocks) return false;
          const key = `${log.transactionHash}:${log.logIndex}`;
          if (seen.has(key)) return false;
          seen.set(key, log.blockNumber);
          if (log.blockNumber > highest) {
            highest = log.blockNumber;
            forgetBelow(highest - windowBlocks);
          }
          inspect?.(seen.size);
          return true;
        }),
      );
    });
}
