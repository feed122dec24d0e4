import {
  EMPTY,
  type Observable,
  concat,
  concatMap,
  defer,
  exhaustMap,
  finalize,
  catchError,
  find,
  from,
  map,
  merge,
  of,
  throwError,
  timer,
} from 'rxjs';
import type { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import { NexusNotFoundError } from '../errors/NexusNotFoundError.js';
import { afterEach } from '../internal/afterEach.js';
import { checksumHex40 } from '../internal/address.js';
import { type BlockAnchor, BlockHashWindow } from './BlockHashWindow.js';
import { type ReadLogBatch, nextReadAt } from './LogBatch.js';
import { ChainMoved } from './ChainMoved.js';
import { coalesceBatches } from './coalesceBatches.js';
import { type ProvenRangeReader, readProvenRange } from './readProvenRange.js';
import { requestBlock, requestHasCode, requestLatestBlock } from './rpcRequests.js';

/**
 * How many blocks of hashes the poller remembers below its cursor: the deepest reorg it
 * rewinds exactly. Deeper ones are rewound to the oldest remembered block and reported
 * with `deeperThanMemory`. Kept below the streams' dedupe window, so that every log a
 * rewind re-reads is still recognised as delivered.
 */
export const REORG_MEMORY_BLOCKS = 128;

/** A resolved, validated poller configuration. */
export interface PollLogsConfig extends ProvenRangeReader {
  /** Milliseconds between polls. */
  readonly pollInterval: number;
  /** Blocks at or below `head - confirmations` are read. */
  readonly confirmations: number;
  /** First block to read; `undefined`: the first block not yet confirmed when polling starts. */
  readonly fromBlock?: number | undefined;
  /**
   * Told the first block the poller will deliver next whenever that changes (`undefined`
   * before its first tick and after it stops): streams joining a running poller read
   * their history up to just below it and take the rest from the poller.
   */
  readonly onCursor?: (cursor: number | undefined) => void;
  /**
   * Told the number and hash of the block each read ended at, once its batches were
   * delivered: a relay checkpoints that hash without asking the node again.
   */
  readonly onAnchor?: (number: number, hash: string) => void;
  /**
   * The head request, when the client shares one (with its retries) among the poller and
   * its streams. Default: the poller's own {@link requestLatestBlock}.
   */
  readonly latest$?: Observable<RpcBlockHeader>;
  /**
   * Takes (and forgets) the blocks that streams read on their own, with the hashes they
   * read them at: a history read made before the poller anchored anything below it. Each
   * tick checks those below its cursor, and rewinds below one a reorg replaced since.
   */
  readonly takeStreamReads?: () => readonly BlockAnchor[];
  /** Test hook: told the poller's state after every tick. */
  readonly inspect?: (state: { readonly cursor: number | undefined; readonly anchors: number }) => void;
}

/**
 * The poll loop.
 *
 * Once, at start (beside the first tick): `eth_getCode` of the Nexus (no code:
 * {@link NexusNotFoundError}).
 * Each tick asks for the head block. When it is the head of the last tick, nothing
 * happened and the tick ends there. Otherwise:
 * 1. the block the cursor last read (`anchor`) is checked against the chain: when its
 *    hash changed (or it is gone), the poller walks back through its remembered anchors
 *    to the newest one still canonical and moves the cursor back above it (a reorg);
 * 2. the hash of the last confirmed block (`head - confirmations`) is fetched, then
 *    `[cursor, confirmed]` is read in chunks, and that hash becomes the new anchor.
 * Fetching the hash before the logs means a reorg racing the read always shows up at
 * the next tick's check, never goes unseen.
 *
 * Ticks that fall while a poll is still running are dropped (`exhaustMap`), so polls
 * never overlap; the cursor moves past a chunk only after its batch was delivered.
 * The first batch read after a rewind has `rewound: true`.
 */
export function pollLogs(config: PollLogsConfig): Observable<ReadLogBatch> {
  return defer(() => new PollLoop(config).run());
}

/** One subscription's poll loop: its state, and the steps of its ticks. */
class PollLoop {
  readonly #config: PollLogsConfig;
  readonly #anchors = new BlockHashWindow(REORG_MEMORY_BLOCKS);
  /** The first block to deliver next; `undefined` before the first tick (default start). */
  #cursor: number | undefined;
  /** A subscriber may leave in the middle of a delivery: the cursor moves after it, but nobody is told. */
  #stopped = false;
  #lastHeadHash: string | undefined;
  /** A rewind happened, and its first batch is still to come. */
  #rewound = false;
  /** After a rewind: the highest block delivered before it, re-read as one batch. */
  #delivered = -1;
  /** The head of the tick in progress: the chain a rewound batch describes ends there. */
  #tickHead = 0;
  /** Never rewind below an explicit start: blocks below it were not asked for. */
  readonly #floor: number;
  /** Whether the block below an explicit start was anchored (or there is no explicit start). */
  #startAnchored: boolean;
  /** Streams' own reads not yet checked against the chain (see `takeStreamReads`). */
  readonly #uncheckedReads = new Map<string, BlockAnchor>();

  constructor(config: PollLogsConfig) {
    this.#config = config;
    this.#cursor = config.fromBlock;
    this.#floor = config.fromBlock ?? 0;
    this.#startAnchored = config.fromBlock === undefined || config.fromBlock === 0;
  }

  /**
   * The code check beside the ticks: it runs beside the first tick rather than before it,
   * so that the first head request coincides with (and is shared by) the heads of streams
   * starting now.
   */
  run(): Observable<ReadLogBatch> {
    const config = this.#config;
    return merge(
      requestHasCode(config, config.address).pipe(
        concatMap((hasCode) =>
          hasCode ? EMPTY : throwError(() => new NexusNotFoundError(checksumHex40(config.address.slice(2)))),
        ),
      ),
      this.#ticks(),
    ).pipe(
      finalize(() => {
        this.#stopped = true;
        config.onCursor?.(undefined);
      }),
    );
  }

  /** A tick every `pollInterval`, dropped while the previous one runs; each polls the head it asked for. */
  #ticks(): Observable<ReadLogBatch> {
    const config = this.#config;
    return timer(0, config.pollInterval).pipe(
      exhaustMap(() =>
        (config.latest$ ?? requestLatestBlock(config)).pipe(
          concatMap((head) =>
            concat(
              this.#poll(head),
              defer(() => {
                this.#lastHeadHash = head.hash;
                config.inspect?.({ cursor: this.#cursor, anchors: this.#anchors.size });
                return EMPTY;
              }),
            ),
          ),
          // The chain moved between two requests of this tick: the next tick starts over.
          catchError((error: unknown) => (error instanceof ChainMoved ? EMPTY : throwError(() => error))),
        ),
      ),
    );
  }

  /** One tick's work; `known` are headers this tick already fetched. */
  #poll(head: RpcBlockHeader, known: readonly RpcBlockHeader[] = []): Observable<ReadLogBatch> {
    const confirmed = head.number - this.#config.confirmations;
    const streamReads = this.#streamReadsToCheck();
    // The same head as last tick: nothing new, unless a re-read was left for this tick, or
    // stream reads are to be checked.
    const cursor = this.#cursor;
    if (head.hash === this.#lastHeadHash && (cursor === undefined || cursor > confirmed) && streamReads.length === 0)
      return EMPTY;
    this.#tickHead = head.number;
    const endHeader$ = confirmed === head.number ? of(head) : this.#header(confirmed);
    if (cursor === undefined) return this.#startAtFirstUnconfirmed(endHeader$, confirmed);
    if (!this.#startAnchored && this.#floor - 1 <= head.number) return this.#anchorExplicitStart(head);

    const anchor = this.#anchors.latest;
    // A head below the last block read that is a block we know unchanged: a lagging
    // node (or a chain cut back without changes below). Nothing to check or read.
    if (anchor !== undefined && head.number < anchor.number && this.#anchors.hashOf(head.number) === head.hash) {
      return EMPTY;
    }
    const readable = confirmed >= cursor;
    // The head changed: check the anchor, even with nothing to read (a replacing chain
    // may end just above it, with its new blocks not yet confirmed).
    if (anchor === undefined && !readable) return EMPTY;
    // The end's header is fetched first: its parent hash may spare the anchor check a request.
    return (readable ? endHeader$ : of(null)).pipe(
      concatMap((end) => {
        if (readable && end === null) return throwError(() => new ChainMoved());
        const headers = [head, end, ...known];
        return concat(
          this.#verify(anchor, streamReads, head, headers),
          defer(() => this.#readAfterVerifying(end, endHeader$, confirmed, head)),
        );
      }),
    );
  }

  /**
   * What streams read on their own and no tick has checked yet, below the cursor (above
   * it, the poller's own read comes later and is newer). Taken once the poller has a
   * cursor, and kept until checked: a tick that ends early (the chain moved, a lagging
   * node) leaves them for the next.
   */
  #streamReadsToCheck(): BlockAnchor[] {
    const cursor = this.#cursor;
    if (cursor !== undefined) {
      for (const read of this.#config.takeStreamReads?.() ?? []) this.#uncheckedReads.set(anchorKey(read), read);
      for (const [key, read] of this.#uncheckedReads) if (read.number >= cursor) this.#uncheckedReads.delete(key);
    }
    return [...this.#uncheckedReads.values()];
  }

  /**
   * Default start: the first unconfirmed block. Anchors the chain just below it, so that a
   * reorg of what others read before this point is still seen.
   */
  #startAtFirstUnconfirmed(endHeader$: Observable<RpcBlockHeader | null>, confirmed: number): Observable<never> {
    return endHeader$.pipe(
      concatMap((end) => {
        if (end === null && confirmed >= 0) return throwError(() => new ChainMoved());
        this.#setCursor(Math.max(0, confirmed + 1));
        if (end !== null) this.#anchors.remember(end.number, end.hash);
        return EMPTY;
      }),
    );
  }

  /**
   * An explicit start is anchored at the block below it (once it exists), so that a reorg
   * of the first range read is measured against it, not guessed; then the tick goes on.
   */
  #anchorExplicitStart(head: RpcBlockHeader): Observable<ReadLogBatch> {
    return this.#header(this.#floor - 1).pipe(
      concatMap((block) => {
        // Gone since the head was read: the chain moved; the next tick tries again.
        if (block === null) return throwError(() => new ChainMoved());
        this.#startAnchored = true;
        if (this.#anchors.size === 0) this.#anchors.remember(block.number, block.hash);
        return this.#poll(head, [block]);
      }),
    );
  }

  /** Checks the anchor, then the blocks streams read on their own; rewinds below the first replaced. */
  #verify(
    anchor: BlockAnchor | undefined,
    streamReads: readonly BlockAnchor[],
    head: RpcBlockHeader,
    headers: readonly (RpcBlockHeader | null)[],
  ): Observable<never> {
    return concat(
      anchor === undefined
        ? EMPTY
        : this.#hashAt(anchor.number, headers).pipe(
            concatMap((hash) => (hash === anchor.hash ? EMPTY : this.#rewind(anchor, head))),
          ),
      this.#verifyStreamReads(streamReads, head, headers),
    );
  }

  /**
   * After the checks (a rewind may leave something to read even if there was not before):
   * reads up to the confirmed block, or announces a rewind with nothing to re-read yet.
   */
  #readAfterVerifying(
    end: RpcBlockHeader | null,
    endHeader$: Observable<RpcBlockHeader | null>,
    confirmed: number,
    head: RpcBlockHeader,
  ): Observable<ReadLogBatch> {
    const cursor = this.#cursor;
    if (cursor === undefined) return EMPTY;
    // After a rewind, the end's header must be older than the check that found the
    // ancestor (a reorg in between could replace the ancestor unseen): when it was not
    // fetched before, the re-read waits for the next tick.
    const endFetchedLate = end === null && confirmed !== head.number;
    if (confirmed < cursor || (this.#rewound && endFetchedLate))
      return this.#rewound ? this.#announceRewind(cursor) : EMPTY;
    return (end === null ? endHeader$ : of(end)).pipe(
      concatMap((block) => (block === null ? throwError(() => new ChainMoved()) : this.#readUpTo(block))),
    );
  }

  /** Reads `[cursor, end]` (end's header fetched first) and anchors the chain at `end`. */
  #readUpTo(end: RpcBlockHeader): Observable<ReadLogBatch> {
    const start = this.#cursor ?? end.number + 1;
    const read$ = readProvenRange(this.#config, start, end);
    return concat(
      (this.#rewound ? read$.pipe(coalesceBatches(this.#delivered)) : read$).pipe(
        map((batch) => {
          // Until the re-read passes what was delivered before the rewind, blocks above
          // each batch may still hold replaced events: the batch says how far the chain goes.
          const recovering = batch.fromBlock <= this.#delivered ? { chainHead: this.#tickHead } : {};
          if (!this.#rewound) return { ...batch, ...recovering };
          this.#rewound = false;
          return { ...batch, rewound: true as const, ...recovering, chainHead: this.#tickHead };
        }),
        afterEach((batch) => {
          this.#setCursor(batch.toBlock + 1);
        }),
      ),
      defer(() => {
        this.#anchors.remember(end.number, end.hash);
        this.#config.onAnchor?.(end.number, end.hash);
        return EMPTY;
      }),
    );
  }

  /**
   * A rewind with nothing to re-read in this tick: an empty batch that only says that the
   * chain was replaced above it (streams check what they delivered from there).
   */
  #announceRewind(from: number): Observable<ReadLogBatch> {
    this.#rewound = false;
    return of({
      fromBlock: from,
      toBlock: from - 1,
      logs: [],
      rewound: true as const,
      chainHead: this.#tickHead,
      readAt: nextReadAt(),
    });
  }

  /** Moves the cursor back above the newest anchor that is still canonical. */
  #rewind(replaced: BlockAnchor, head: RpcBlockHeader): Observable<never> {
    return from(
      this.#anchors.newestFirst().filter((anchor) => anchor.number < replaced.number && anchor.number <= head.number),
    ).pipe(
      concatMap((anchor) =>
        this.#header(anchor.number).pipe(map((block) => (block?.hash === anchor.hash ? anchor : undefined))),
      ),
      find((anchor): anchor is BlockAnchor => anchor !== undefined),
      concatMap((ancestor) => {
        const deeperThanMemory = ancestor === undefined;
        // No remembered block survived: re-read the last REORG_MEMORY_BLOCKS blocks.
        const resumeAt = Math.max(
          this.#floor,
          ancestor === undefined ? replaced.number - REORG_MEMORY_BLOCKS : ancestor.number + 1,
        );
        // Without an ancestor every remembered hash is stale: forget them all.
        this.#anchors.forgetFrom(ancestor === undefined ? 0 : resumeAt);
        this.#delivered = (this.#cursor ?? resumeAt) - 1;
        this.#setCursor(resumeAt);
        this.#rewound = true;
        this.#config.report({
          kind: 'reorg',
          replacedBlock: replaced.number,
          replacedHash: replaced.hash,
          ancestor: resumeAt - 1,
          deeperThanMemory,
        });
        return EMPTY;
      }),
    );
  }

  /**
   * Checks the blocks streams read on their own against the chain, lowest first: the
   * first one a reorg replaced is rewound below, as a replaced anchor is (a block the
   * poller never anchored: a reorg of it before the poller's anchors stood goes unseen
   * otherwise). Blocks at or above the cursor by then are left to the poller's own read.
   */
  #verifyStreamReads(
    reads: readonly BlockAnchor[],
    head: RpcBlockHeader,
    known: readonly (RpcBlockHeader | null)[],
  ): Observable<never> {
    return from([...reads].sort((a, b) => a.number - b.number)).pipe(
      concatMap((read) =>
        read.number >= (this.#cursor ?? 0)
          ? EMPTY
          : this.#hashAt(read.number, known).pipe(
              map((hash) => {
                if (hash !== read.hash) return read;
                this.#uncheckedReads.delete(anchorKey(read));
                return undefined;
              }),
            ),
      ),
      find((read): read is BlockAnchor => read !== undefined),
      concatMap((replaced) => {
        if (replaced === undefined) return EMPTY;
        // Those below were checked; the rest lie above the rewound cursor: read again anyway.
        this.#uncheckedReads.clear();
        return this.#rewind(replaced, head);
      }),
    );
  }

  #setCursor(next: number): void {
    this.#cursor = next;
    if (!this.#stopped) this.#config.onCursor?.(next);
  }

  #header(number: number): Observable<RpcBlockHeader | null> {
    return number < 0 ? of(null) : requestBlock(this.#config, number);
  }

  /** The current hash of `number`, from headers at hand when possible. */
  #hashAt(number: number, known: readonly (RpcBlockHeader | null)[]): Observable<string | null> {
    for (const block of known) {
      if (block === null) continue;
      if (block.number === number) return of(block.hash);
      if (block.number === number + 1) return of(block.parentHash);
    }
    return this.#header(number).pipe(map((block) => block?.hash ?? null));
  }
}

/** One key per (block, hash). */
function anchorKey(anchor: BlockAnchor): string {
  return `${anchor.number}:${anchor.hash}`;
}
