import type { JsMsg } from '@nats-io/jetstream';
import type { NexusEvent } from '../events/NexusEvent.js';
import { removalOf } from '../events/removalOf.js';
import type { ValidStreamOptions } from '../streams/StreamOptions.js';
import { DEDUPE_WINDOW_BLOCKS } from '../streams/nexusEventStream.js';
import { type MessageExpectation, decodeEventMessage } from './eventMessageCodec.js';
import { REMOVED_HEADER } from './subjects.js';

/** A message of the subject that is not a valid event of it. */
export interface InvalidMessage {
  readonly subject: string;
  readonly sequence: number;
  readonly reason: readonly string[];
  /** The payload as received. */
  readonly text: string;
}

/**
 * What one reader makes of the messages of its subject, across every consumer it creates
 * for it: each message is validated into the core's event class (an invalid one is handed
 * to `invalid` and skipped); repeats are dropped, by stream sequence (a consumer created
 * again after the last message handled) and by transaction and log index (the relay
 * republishing after a crash); events below `fromBlock` are skipped; removals pass only
 * `withRemovals`, and only for an event this reader delivered. Memory is bounded like the
 * core streams' dedupe: events more than `DEDUPE_WINDOW_BLOCKS` below the newest are forgotten.
 */
export class SubjectEvents<E extends NexusEvent> {
  readonly #expected: Omit<MessageExpectation, 'removedHeader'>;
  readonly #options: ValidStreamOptions;
  readonly #invalid: (message: InvalidMessage) => void;
  #lastSequence = 0;
  readonly #delivered = new Map<string, { readonly blockNumber: number; readonly blockHash: string; event: E }>();
  #highest = -1;

  constructor(
    expected: Omit<MessageExpectation, 'removedHeader'>,
    options: ValidStreamOptions,
    invalid: (message: InvalidMessage) => void,
  ) {
    this.#expected = expected;
    this.#options = options;
    this.#invalid = invalid;
  }

  /** The last stream sequence handled: a new consumer starts after it. */
  get lastSequence(): number {
    return this.#lastSequence;
  }

  /** Takes every message up to `sequence` as handled (the part of the stream to skip). */
  skipTo(sequence: number): void {
    this.#lastSequence = Math.max(this.#lastSequence, sequence);
  }

  /**
   * The events `message` delivers, in order: none, one, or a removal then an event (an
   * event republished in another block without its removal before it).
   */
  take(message: JsMsg): readonly E[] {
    if (message.seq <= this.#lastSequence) return [];
    this.#lastSequence = message.seq;
    const removedHeader = message.headers?.get(REMOVED_HEADER) === 'true';
    const text = message.string();
    const decoded = decodeEventMessage<E>({ ...this.#expected, removedHeader }, text);
    if (!decoded.ok) {
      this.#invalid({ subject: message.subject, sequence: message.seq, reason: decoded.reason, text });
      return [];
    }
    return this.#reconcile(decoded.event);
  }

  #reconcile(event: E): readonly E[] {
    const { fromBlock, withRemovals } = this.#options;
    if (fromBlock !== undefined && event.blockNumber < fromBlock) return [];
    const key = `${event.transactionHash}:${event.logIndex}`;
    const seen = this.#delivered.get(key);
    if (event.removed) {
      if (!withRemovals || seen === undefined || seen.blockHash !== event.blockHash) return [];
      this.#delivered.delete(key);
      return [removalOf(seen.event)];
    }
    const out: E[] = [];
    if (seen !== undefined) {
      if (!withRemovals || seen.blockHash === event.blockHash) return [];
      // The relay retracts before it publishes again; should a removal be missing, say it here.
      out.push(removalOf(seen.event));
    }
    if (event.blockNumber < this.#highest - DEDUPE_WINDOW_BLOCKS) return out;
    this.#delivered.set(key, { blockNumber: event.blockNumber, blockHash: event.blockHash, event });
    if (event.blockNumber > this.#highest) {
      this.#highest = event.blockNumber;
      for (const [k, entry] of this.#delivered)
        if (entry.blockNumber < this.#highest - DEDUPE_WINDOW_BLOCKS) this.#delivered.delete(k);
    }
    out.push(event);
    return out;
  }
}
