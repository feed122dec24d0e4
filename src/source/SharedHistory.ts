import { EMPTY, Observable, Subscription, defer, map, shareReplay, tap } from 'rxjs';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import type { RpcLog } from '../codecs/RpcLog.js';
import type { ReadLogBatch } from './LogBatch.js';
import { coalesceBatches } from './coalesceBatches.js';
import { readLogRange } from './readLogRange.js';
import { type ProvenRangeReader, readProvenRange } from './readProvenRange.js';

/**
 * How many logs of history a client keeps for streams that may still need them (a board's
 * child streams start at blocks their parent's history read has just passed). At a few
 * hundred bytes a log, a few tens of MiB at most; the least recently used ranges go first.
 */
export const HISTORY_CACHE_LOGS = 50_000;

/** A batch whose logs can be asked for by topic and scope word (see `routeLogBatch`). */
export interface ScopedBatch extends ReadLogBatch {
  /** The logs of `topic0` whose data word `word` holds the address `hex40`, in chain order. */
  inScope(topic0: string, word: number, hex40: string): readonly RpcLog[];
}

/** One range of history: being read, or read. */
interface Range {
  readonly from: number;
  readonly to: number;
  /** The read, shared by every stream that needs the range while it is under way. */
  readonly batch$: Observable<ScopedBatch>;
  result?: ScopedBatch;
  lastUsed: number;
}

/**
 * A client's history reads, shared by all its streams: a range of blocks is fetched once,
 * for all six events, and served to every stream that needs it — streams that start
 * together, and streams that start while another's read is under way or shortly after it
 * (a task board's per-task streams start at blocks the board's own read just delivered).
 *
 * Each stream's read walks its blocks through ranges: a range another read already holds
 * (or is reading) is shared; a gap is read as a new range of at most the client's span,
 * cut at the next known range so that ranges never overlap. While a range is delivered,
 * the next one is already asked for (read-ahead of one range), so decoding and delivery
 * overlap the network. The range that ends at a stream's head header is read with the
 * newest-block proof of {@link readProvenRange}.
 *
 * Memory: finished ranges are kept up to {@link HISTORY_CACHE_LOGS} logs, least recently
 * used first out; a range being read is dropped when no stream waits on it any more (its
 * request is cancelled); `forgetFrom` drops what a reorg replaced; `clear` drops everything.
 */
export class SharedHistory {
  readonly #ranges: Range[] = [];
  #clock = 0;

  constructor(
    private readonly reader: ProvenRangeReader,
    private readonly route: (batch: ReadLogBatch) => ScopedBatch,
    private readonly budget = HISTORY_CACHE_LOGS,
  ) {}

  /**
   * The blocks `[from, to]`, as batches in order, each limited to those blocks; `top` is
   * `to`'s header when the reader has it (its newest block is then proven).
   */
  read(from: number, to: number, top?: RpcBlockHeader): Observable<ScopedBatch> {
    if (from > to) return EMPTY;
    return new Observable<ScopedBatch>((subscriber) => {
      // Read-ahead: the next range is asked for as soon as this one is, and shared, so the
      // loop finds it under way (or done). Held until the read ends.
      const aheads = new Subscription();
      let current: Subscription | undefined;
      let position = from;
      // A loop, not recursion: ranges already read answer synchronously, and a long cached
      // history must not nest one subscription in the last.
      const readOn = (): void => {
        while (!subscriber.closed && position <= to) {
          const start = position;
          const range = this.#rangeAt(start, to, top);
          const end = Math.min(range.to, to);
          let finished = false;
          let synchronous = true;
          current = range.batch$.subscribe({
            next: (batch) => subscriber.next(slice(batch, start, end)),
            error: (error: unknown) => subscriber.error(error),
            complete: () => {
              finished = true;
              position = end + 1;
              if (!synchronous) readOn();
            },
          });
          synchronous = false;
          if (end < to && !subscriber.closed) {
            aheads.add(this.#rangeAt(end + 1, to, top).batch$.subscribe({ error: () => undefined }));
          }
          if (!finished) return;
        }
        if (position > to) subscriber.complete();
      };
      readOn();
      return () => {
        current?.unsubscribe();
        aheads.unsubscribe();
      };
    });
  }

  /** Drops the ranges that reach `block` or above (a reorg replaced them). */
  forgetFrom(block: number): void {
    for (let i = this.#ranges.length - 1; i >= 0; i -= 1) {
      if ((this.#ranges[i]?.to ?? -1) >= block) this.#ranges.splice(i, 1);
    }
  }

  /** Drops every range (the client stopped). */
  clear(): void {
    this.#ranges.length = 0;
  }

  /** Ranges held, read or under way (for tests). */
  get size(): number {
    return this.#ranges.length;
  }

  /** The range holding `position`, or a new one starting there. */
  #rangeAt(position: number, to: number, top: RpcBlockHeader | undefined): Range {
    this.#clock += 1;
    let next: Range | undefined;
    for (const range of this.#ranges) {
      if (range.from <= position && position <= range.to) {
        range.lastUsed = this.#clock;
        return range;
      }
      if (range.from > position && (next === undefined || range.from < next.from)) next = range;
    }
    const end = Math.min(position + this.reader.span.current - 1, to, (next?.from ?? Infinity) - 1);
    const read$ =
      top !== undefined && end === top.number
        ? readProvenRange(this.reader, position, top)
        : readLogRange(this.reader, position, end);
    const range: Range = {
      from: position,
      to: end,
      lastUsed: this.#clock,
      batch$: defer(() => read$).pipe(
        // A refused range is read in pieces; they are kept as one.
        coalesceBatches(end),
        map((batch) => this.route(batch)),
        tap({
          next: (batch) => {
            range.result = batch;
            this.#evict();
          },
          // Cancelled (nobody waits any more) or failed: not kept.
          finalize: () => {
            if (range.result === undefined) this.#drop(range);
          },
        }),
        shareReplay({ bufferSize: 1, refCount: true }),
      ),
    };
    this.#ranges.push(range);
    return range;
  }

  #drop(range: Range): void {
    const index = this.#ranges.indexOf(range);
    if (index >= 0) this.#ranges.splice(index, 1);
  }

  /** Keeps the finished ranges within the budget, least recently used out first. */
  #evict(): void {
    let logs = 0;
    for (const range of this.#ranges) logs += range.result?.logs.length ?? 0;
    if (logs <= this.budget) return;
    const finished = this.#ranges.filter((r) => r.result !== undefined).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const range of finished) {
      if (logs <= this.budget) break;
      logs -= range.result?.logs.length ?? 0;
      this.#drop(range);
    }
  }
}

/** `batch` limited to blocks `[from, to]`. */
function slice(batch: ScopedBatch, from: number, to: number): ScopedBatch {
  if (batch.fromBlock === from && batch.toBlock === to) return batch;
  const within = (logs: readonly RpcLog[]): readonly RpcLog[] =>
    logs.filter((log) => log.blockNumber >= from && log.blockNumber <= to);
  return {
    ...batch,
    fromBlock: from,
    toBlock: to,
    logs: within(batch.logs),
    inScope: (topic0, word, hex40) => within(batch.inScope(topic0, word, hex40)),
  };
}
