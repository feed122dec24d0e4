import { validateBlockNumber } from '../client/resolveOptions.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/**
 * Options of each of the six streams.
 *
 * @example
 * ```ts
 * import type { StreamOptions } from 'ogpu-events';
 *
 * const history: StreamOptions = { fromBlock: 1_200_000 };
 * nexus.taskPublished$(source, history).subscribe(console.log);
 * ```
 */
export interface StreamOptions {
  /**
   * First block to read. Omitted: only events mined after subscribing. A number: every
   * matching event from that block on (backfill), then live, with no gap and no repeat.
   */
  readonly fromBlock?: number | undefined;
}

/** Validates a stream's options at the call. */
export function validateStreamOptions(options: unknown, method: string): { fromBlock: number | undefined } {
  if (options === undefined) return { fromBlock: undefined };
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`${method} options`, options, 'an object like { fromBlock?: number }');
  }
  for (const key of Object.keys(options)) {
    if (key !== 'fromBlock')
      throw new InvalidOptionError(
        `${method} ${key}`,
        (options as Record<string, unknown>)[key],
        'no such option (only fromBlock)',
      );
  }
  return { fromBlock: validateBlockNumber(`${method} fromBlock`, (options as StreamOptions).fromBlock) };
}
