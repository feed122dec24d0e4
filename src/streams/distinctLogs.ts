import { type MonoTypeOperatorFunction, defer, filter } from 'rxjs';
import type { LogPosition } from '../events/NexusEvent.js';
import { SeenLogs } from './SeenLogs.js';

/**
 * Drops logs already seen, by (transactionHash, logIndex), with memory bounded by block
 * height (see {@link SeenLogs}). Each subscription remembers on its own.
 *
 * @example
 * logs$.pipe(distinctLogs(DEDUPE_WINDOW_BLOCKS)).subscribe(deliver);
 */
export function distinctLogs<T extends LogPosition>(
  windowBlocks: number,
  /** Test hook: told the number of remembered keys after each log let through. */
  inspect?: (rememberedKeys: number) => void,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    defer(() => {
      const seen = new SeenLogs(windowBlocks);
      return source.pipe(
        filter((log) => {
          if (!seen.admit(log)) return false;
          inspect?.(seen.size);
          return true;
        }),
      );
    });
}
