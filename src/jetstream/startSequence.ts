import type { JetStreamManager } from '@nats-io/jetstream';
import { REORG_MEMORY_BLOCKS } from '../source/pollLogs.js';

/**
 * How far, in blocks, the block numbers along the relay's stream may fall back below the
 * highest one before them: removals and re-publications after a reorg (at most the
 * poller's reorg memory, or that again for a reorg deeper than it), and a relay resuming
 * below a checkpoint a reorg replaced while it was down.
 */
export const STREAM_BLOCK_DIP = 4 * REORG_MEMORY_BLOCKS;

/** How many sequences after an unreadable one (a purged checkpoint, a foreign message) are tried. */
const PROBE_AHEAD = 8;

/** What {@link findStartSequence} searches. */
export interface StartSequenceSearch {
  /** The stream's first and last sequence. */
  readonly first: number;
  readonly last: number;
  /** The reader's `fromBlock`. */
  readonly fromBlock: number;
  /** The block of the message at `sequence` (an event's `blockNumber`, a checkpoint's `block`), or `undefined`. */
  readonly blockAt: (sequence: number) => Promise<number | undefined>;
  /** {@link STREAM_BLOCK_DIP} unless a test says otherwise. */
  readonly dip?: number;
}

/**
 * The stream sequence a reader from `fromBlock` starts at, found by bisection over the
 * whole stream in about log2(messages) lookups instead of replaying its subject from the
 * start. Block numbers along the stream rise, but not strictly (see
 * {@link STREAM_BLOCK_DIP}): the search looks for the first message at or above
 * `fromBlock - dip`, which is safe: a message of block `fromBlock` or more before a message
 * below `fromBlock - dip` would be a fall of more than `dip`. A message whose block cannot
 * be read (nor that of the few after it) counts as "maybe at or above": the search then
 * starts earlier, never later. Returns `first` when nothing can be skipped.
 *
 * @example
 * ```ts
 * const start = await findStartSequence({ first: 1, last: info.state.last_seq, fromBlock, blockAt });
 * // consumer config: { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }
 * ```
 */
export async function findStartSequence(search: StartSequenceSearch): Promise<number> {
  const target = search.fromBlock - (search.dip ?? STREAM_BLOCK_DIP);
  if (target <= 0 || search.last < search.first) return search.first;
  /** A sequence in `[from, before)` whose message is known to be below the target, if the first readable one is. */
  const knownBelow = async (from: number, before: number): Promise<number | undefined> => {
    for (let sequence = from; sequence < Math.min(before, from + PROBE_AHEAD + 1); sequence++) {
      const block = await search.blockAt(sequence);
      if (block !== undefined) return block < target ? sequence : undefined;
    }
    return undefined;
  };
  // Invariant: `low` is `first - 1` or a message below the target (so nothing before it
  // reaches `fromBlock`); starting at `high` is safe.
  let low = search.first - 1;
  let high = search.last + 1;
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    const below = await knownBelow(middle, high);
    if (below !== undefined) low = below;
    else high = middle;
  }
  return high;
}

/**
 * {@link StartSequenceSearch.blockAt} over a stream's messages (`STREAM.MSG.GET`):
 * `undefined` for a sequence without a message or with an unreadable one. Throws what
 * the server answers otherwise (a permission refused): the caller then replays from the start.
 */
export function streamBlockAt(
  jsm: JetStreamManager,
  stream: string,
): (sequence: number) => Promise<number | undefined> {
  return async (sequence) => {
    let stored;
    try {
      stored = await jsm.streams.getMessage(stream, { seq: sequence });
    } catch (error: unknown) {
      if (/no message found|not found/i.test(String(error))) return undefined;
      throw error;
    }
    if (stored === null) return undefined;
    try {
      const json = JSON.parse(stored.string()) as { blockNumber?: unknown; block?: unknown };
      const block = json.blockNumber ?? json.block;
      return typeof block === 'number' && Number.isSafeInteger(block) ? block : undefined;
    } catch {
      return undefined;
    }
  };
}
