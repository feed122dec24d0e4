import type { JetStreamManager } from '@nats-io/jetstream';
import type { NexusEvent } from '../events/NexusEvent.js';
import type { ReadLogBatch } from '../source/LogBatch.js';
import { DEDUPE_WINDOW_BLOCKS } from '../streams/nexusEventStream.js';
import { eventMessage } from './eventMessage.js';
import type { PublishTally, PublishWindow } from './publishWindow.js';
import type { RelayCheckpoint } from './relayCheckpoint.js';
import type { RelayProgress } from './RelayProgress.js';
import { checkpointSubjectOf } from './subjects.js';

/** Within a long range, a checkpoint at the first block boundary after this many messages. */
const CHECKPOINT_EVERY = 4_096;
/** Ranges without events are checkpointed at most this often (milliseconds). */
const IDLE_CHECKPOINT_INTERVAL = 30_000;
/** Checkpoints kept in the stream: older ones are purged now and then. */
const PURGE_CHECKPOINTS_EVERY = 100;

/** What a {@link RangePublisher} publishes into, and what it asks of the relay around it. */
export interface RangePublisherOptions {
  readonly window: PublishWindow;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly chainId: bigint;
  /** The `lastSequence` of the checkpoint the relay resumed from (0 without one). */
  readonly lastSequence: number;
  /** The chain's hash of block `n` now, for a checkpoint at a block no read ended at. */
  readonly hashAt: (n: number) => Promise<string | undefined>;
  /** The chain's head as last seen. */
  readonly head: () => number;
  /** Whether the relay was stopped: nothing more goes out then. */
  readonly stopped: () => boolean;
  /** Told once a range is stored: publishing works again. */
  readonly stored: () => void;
}

/**
 * The relay's publishing side: turns each reconciled range into messages on the window,
 * and checkpoints the range once every message of it is acknowledged. Ranges go one
 * after the other (a message the broker lost and that is sent again cannot then be stored
 * after a later range's); within a long range the window never drains, its checkpoints
 * midway wait aside. Checkpoints and progress come out in block order, whatever order
 * their acknowledgements arrive in.
 */
export class RangePublisher {
  readonly #options: RangePublisherOptions;
  /** Hashes of the blocks the poller's reads ended at, by number (see {@link anchor}). */
  readonly #anchors = new Map<number, string>();
  /** The `lastSequence` of the latest checkpoint sent: below every message published after it. */
  #lastSequence: number;
  /** The tally of the last range whose progress was emitted. */
  #tallied: PublishTally = { published: 0, duplicates: 0, lastSequence: 0, reordered: false };
  /** The checkpoints and progress still to come, in block order (see {@link #afterPrevious}). */
  #queue: Promise<unknown> = Promise.resolve();
  #checkpoints = 0;
  #lastCheckpointAt = 0;

  constructor(options: RangePublisherOptions) {
    this.#options = options;
    this.#lastSequence = options.lastSequence;
  }

  /** Remembers the hash of a block a read ended at: a checkpoint there needs no request. */
  anchor(number: number, hash: string): void {
    this.#anchors.set(number, hash);
    // Only the hashes of ranges not yet checkpointed are needed.
    for (const known of this.#anchors.keys())
      if (known < number - 4 * DEDUPE_WINDOW_BLOCKS) this.#anchors.delete(known);
  }

  /**
   * Publishes a range's events (waiting only while the window is full), checkpoints it once
   * all of them are acknowledged, and resolves with its progress then. Long ranges are
   * checkpointed midway too, at block boundaries.
   */
  async publishRange(batch: ReadLogBatch, events: readonly NexusEvent[]): Promise<RelayProgress> {
    const removals = await this.#publishEvents(batch, events);
    const checkpointed =
      batch.fromBlock <= batch.toBlock &&
      (events.length > 0 || Date.now() - this.#lastCheckpointAt >= IDLE_CHECKPOINT_INTERVAL);
    const acknowledged = handled(this.#options.window.acknowledged());
    return this.#afterPrevious(async (): Promise<RelayProgress> => {
      const tally = await acknowledged;
      this.#options.stored();
      if (checkpointed) {
        const hash = this.#anchors.get(batch.toBlock) ?? (await this.#options.hashAt(batch.toBlock)) ?? null;
        await this.#checkpointWhenStored(acknowledged, batch.toBlock, hash);
      }
      const published = tally.published - this.#tallied.published;
      const duplicates = tally.duplicates - this.#tallied.duplicates;
      this.#tallied = tally;
      const head = Math.max(this.#options.head(), batch.toBlock);
      return {
        fromBlock: batch.fromBlock,
        toBlock: batch.toBlock,
        published,
        removals,
        duplicates,
        head,
        lag: head - batch.toBlock,
      };
    });
  }

  /** Sends the range's messages, with checkpoints midway in a long one; returns how many were removals. */
  async #publishEvents(batch: ReadLogBatch, events: readonly NexusEvent[]): Promise<number> {
    const { window, chainId } = this.#options;
    // A re-read after a reorg may cover blocks delivered before: only then no checkpoint midway.
    const midway = batch.rewound !== true && batch.chainHead === undefined;
    let sinceCheckpoint = 0;
    let removals = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as NexusEvent;
      if (event.removed) removals += 1;
      const full = window.publish(eventMessage(event, chainId));
      if (full !== undefined) await full;
      sinceCheckpoint += 1;
      const next = events[i + 1];
      if (midway && sinceCheckpoint >= CHECKPOINT_EVERY && next !== undefined && next.blockNumber > event.blockNumber) {
        const acknowledged = handled(window.acknowledged());
        void this.#afterPrevious(() => this.#checkpointWhenStored(acknowledged, event.blockNumber, event.blockHash));
        sinceCheckpoint = 0;
      }
    }
    return removals;
  }

  /**
   * Runs `step` once the steps queued before it are done (checkpoints and progress in
   * block order, whatever order their network calls end in). The returned promise's
   * failure is not unhandled: the caller awaits it later, in order.
   */
  #afterPrevious<T>(step: () => Promise<T>): Promise<T> {
    const result = handled(
      this.#queue.then(() => {
        // Nothing more goes out (no checkpoint, no head request) once the relay stopped.
        if (this.#options.stopped()) throw new Error('the relay was stopped');
        return step();
      }),
    );
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Once `acknowledged` says every message up to `block` is stored, sends the checkpoint
   * of `block` (not waiting for its own acknowledgement: a lost checkpoint only makes a
   * restart read back a little more). Its `lastSequence` is the highest sequence among
   * the messages before it, unless one of them was sent again (it may then have been
   * stored after later messages): then the previous checkpoint's, which is still below
   * every message published after `block`.
   */
  async #checkpointWhenStored(acknowledged: Promise<PublishTally>, block: number, hash: string | null): Promise<void> {
    const { window, chainId, jsm, stream } = this.#options;
    const tally = await acknowledged;
    const value: RelayCheckpoint = {
      block,
      hash,
      lastSequence: tally.reordered ? this.#lastSequence : Math.max(this.#lastSequence, tally.lastSequence),
    };
    this.#lastSequence = value.lastSequence;
    const full = window.publish({
      subject: checkpointSubjectOf(chainId),
      data: JSON.stringify(value),
      id: `checkpoint:${value.block}:${value.lastSequence}`,
      headers: undefined,
      control: true,
    });
    if (full !== undefined) await full;
    this.#lastCheckpointAt = Date.now();
    this.#checkpoints += 1;
    if (this.#checkpoints % PURGE_CHECKPOINTS_EVERY === 0) {
      // Only the latest checkpoint matters; failing to purge older ones costs only space.
      void jsm.streams.purge(stream, { filter: checkpointSubjectOf(chainId), keep: 1 }).catch(() => undefined);
    }
  }
}

/** `promise`, with its failure marked as handled: it is awaited later, by a step that takes it in order. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
