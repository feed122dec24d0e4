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
 *
 * // A live view that undoes what reorgs take back:
 * nexus.taskStatusChanged$(task, { withRemovals: true }).subscribe((e) =>
 *   e.removed ? statuses.delete(`${e.transactionHash}:${e.logIndex}`) : statuses.set(`${e.transactionHash}:${e.logIndex}`, e),
 * );
 * ```
 */
export interface StreamOptions {
  /**
   * First block to read. Omitted: only events mined after subscribing. A number: every
   * matching event from that block on (backfill), then live, with no gap and no repeat.
   */
  readonly fromBlock?: number | undefined;
  /**
   * Retract what a reorg took back. With `true`, after a reorg the stream emits, for every
   * event it delivered from a replaced block that the new chain does not hold at the same
   * `(transactionHash, logIndex, blockHash)`, a frozen copy with `removed: true`, before
   * the events of the new chain; an event whose transaction was mined again elsewhere
   * follows again with its new block. Folding the stream by `(transactionHash, logIndex)`
   * (an event sets the entry, a removal deletes it) then yields exactly the canonical
   * chain's events once the poller has caught up. See the README's Reliability section.
   * @default false: nothing is retracted and `removed` is always `false`.
   */
  readonly withRemovals?: boolean | undefined;
}

/** A stream's options, validated. */
export interface ValidStreamOptions {
  readonly fromBlock: number | undefined;
  readonly withRemovals: boolean;
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['fromBlock', 'withRemovals']);

/** Validates a stream's options at the call. */
export function validateStreamOptions(options: unknown, method: string): ValidStreamOptions {
  if (options === undefined) return { fromBlock: undefined, withRemovals: false };
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      `${method} options`,
      options,
      'an object like { fromBlock?: number, withRemovals?: boolean }',
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key))
      throw new InvalidOptionError(
        `${method} ${key}`,
        (options as Record<string, unknown>)[key],
        'no such option (only fromBlock and withRemovals)',
      );
  }
  const { withRemovals } = options as { withRemovals?: unknown };
  if (withRemovals !== undefined && typeof withRemovals !== 'boolean') {
    throw new InvalidOptionError(`${method} withRemovals`, withRemovals, 'true or false');
  }
  return {
    fromBlock: validateBlockNumber(`${method} fromBlock`, (options as StreamOptions).fromBlock),
    withRemovals: withRemovals ?? false,
  };
}
