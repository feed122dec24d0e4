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
  return defer(() => {
    const anchors = new BlockHashWindow(REORG_MEMORY_BLOCKS);
    let cursor = config.fromBlock;
    // A subscriber may leave in the middle of a delivery: the cursor moves after it, but
    // nobody is to be told any more.
    let stopped = false;
    const setCursor = (next: number): void => {
      cursor = next;
      if (!stopped) config.onCursor?.(next);
    };
    let lastHeadHash: string | undefined;
    let rewound = false;
    // After a rewind: the highest block delivered before it, re-read as one batch.
    let delivered = -1;
    // The head of the tick in progress: the chain a rewound batch describes ends there.
    let tickHead = 0;
    // Never rewind below an explicit start: blocks below it were not asked for.
    const floor = config.fromBlock ?? 0;
    let startAnchored = config.fromBlock === undefined || config.fromBlock === 0;
    // Streams' own reads not yet checked against the chain (see `takeStreamReads`).
    const uncheckedReads = new Map<string, BlockAnchor>();

    const header = (number: number): Observable<RpcBlockHeader | null> =>
      number < 0 ? of(null) : requestBlock(config, number);

    /** The current hash of `number`, from headers at hand when possible. */
    const hashAt = (number: number, known: readonly (RpcBlockHeader | null)[]): Observable<string | null> => {
      for (const block of known) {
        if (block === null) continue;
        if (block.number === number) return of(block.hash);
        if (block.number === number + 1) return of(block.parentHash);
      }
      return header(number).pipe(map((block) => block?.hash ?? null));
    };

    /** Moves the cursor back above the newest anchor that is still canonical. */
    const rewind = (replaced: BlockAnchor, head: RpcBlockHeader): Observable<never> => {
      return from(
        anchors.newestFirst().filter((anchor) => anchor.number < replaced.number && anchor.number <= head.number),
      ).pipe(
        concatMap((anchor) =>
          header(anchor.number).pipe(map((block) => (block?.hash === anchor.hash ? anchor : undefined))),
        ),
        find((anchor): anchor is BlockAnchor => anchor !== undefined),
        concatMap((ancestor) => {
          const deeperThanMemory = ancestor === undefined;
          // No remembered block survived: re-read the last REORG_MEMORY_BLOCKS blocks.
          const resumeAt = Math.max(
            floor,
            ancestor === undefined ? replaced.number - REORG_MEMORY_BLOCKS : ancestor.number + 1,
          );
          // Without an ancestor every remembered hash is stale: forget them all.
          anchors.forgetFrom(ancestor === undefined ? 0 : resumeAt);
          delivered = (cursor ?? resumeAt) - 1;
          setCursor(resumeAt);
          rewound = true;
          config.report({
            kind: 'reorg',
            replacedBlock: replaced.number,
            replacedHash: replaced.hash,
            ancestor: resumeAt - 1,
            deeperThanMemory,
          });
          return EMPTY;
        }),
      );
    };

    /**
     * Checks the blocks streams read on their own against the chain, lowest first: the
     * first one a reorg replaced is rewound below, as a replaced anchor is (a block the
     * poller never anchored: a reorg of it before the poller's anchors stood goes unseen
     * otherwise). Blocks at or above the cursor by then are left to the poller's own read.
     */
    const verifyStreamReads = (
      reads: readonly BlockAnchor[],
      head: RpcBlockHeader,
      known: readonly (RpcBlockHeader | null)[],
    ): Observable<never> =>
      from([...reads].sort((a, b) => a.number - b.number)).pipe(
        concatMap((read) =>
          read.number >= (cursor ?? 0)
            ? EMPTY
            : hashAt(read.number, known).pipe(
                map((hash) => {
                  if (hash !== read.hash) return read;
                  uncheckedReads.delete(anchorKey(read));
                  return undefined;
                }),
              ),
        ),
        find((read): read is BlockAnchor => read !== undefined),
        concatMap((replaced) => {
          if (replaced === undefined) return EMPTY;
          // Those below were checked; the rest lie above the rewound cursor: read again anyway.
          uncheckedReads.clear();
          return rewind(replaced, head);
        }),
      );

    /** Reads `[cursor, end]` (end's header fetched first) and anchors the chain at `end`. */
    const readUpTo = (end: RpcBlockHeader): Observable<ReadLogBatch> => {
      const start = cursor ?? end.number + 1;
      const read$ = readProvenRange(config, start, end);
      return concat(
        (rewound ? read$.pipe(coalesceBatches(delivered)) : read$).pipe(
          map((batch) => {
            // Until the re-read passes what was delivered before the rewind, blocks above
            // each batch may still hold replaced events: the batch says how far the chain goes.
            const recovering = batch.fromBlock <= delivered ? { chainHead: tickHead } : {};
            if (!rewound) return { ...batch, ...recovering };
            rewound = false;
            return { ...batch, rewound: true as const, ...recovering, chainHead: tickHead };
          }),
          afterEach((batch) => {
            setCursor(batch.toBlock + 1);
          }),
        ),
        defer(() => {
          anchors.remember(end.number, end.hash);
          config.onAnchor?.(end.number, end.hash);
          return EMPTY;
        }),
      );
    };

    /**
     * A rewind with nothing to re-read in this tick: an empty batch that only says that the
     * chain was replaced above it (streams check what they delivered from there).
     */
    const announceRewind = (from: number): Observable<ReadLogBatch> => {
      rewound = false;
      return of({
        fromBlock: from,
        toBlock: from - 1,
        logs: [],
        rewound: true as const,
        chainHead: tickHead,
        readAt: nextReadAt(),
      });
    };

    /** One tick's work; `known` are headers this tick already fetched. */
    const poll = (head: RpcBlockHeader, known: readonly RpcBlockHeader[] = []): Observable<ReadLogBatch> => {
      const confirmed = head.number - config.confirmations;
      // What streams read on their own and no tick has checked yet, below the cursor (above
      // it, the poller's own read comes later and is newer). Taken once the poller has a
      // cursor, and kept until checked: a tick that ends early (the chain moved, a lagging
      // node) leaves them for the next.
      if (cursor !== undefined) {
        for (const read of config.takeStreamReads?.() ?? []) uncheckedReads.set(anchorKey(read), read);
        for (const [key, read] of uncheckedReads) if (read.number >= cursor) uncheckedReads.delete(key);
      }
      const streamReads = [...uncheckedReads.values()];
      // The same head as last tick: nothing new, unless a re-read was left for this tick, or
      // stream reads are to be checked.
      if (head.hash === lastHeadHash && (cursor === undefined || cursor > confirmed) && streamReads.length === 0)
        return EMPTY;
      tickHead = head.number;
      const endHeader$ = confirmed === head.number ? of(head) : header(confirmed);

      if (cursor === undefined) {
        // Default start: the first unconfirmed block. Anchor the chain just below it, so
        // that a reorg of what others read before this point is still seen.
        return endHeader$.pipe(
          concatMap((end) => {
            if (end === null && confirmed >= 0) return throwError(() => new ChainMoved());
            setCursor(Math.max(0, confirmed + 1));
            if (end !== null) anchors.remember(end.number, end.hash);
            return EMPTY;
          }),
        );
      }

      // An explicit start is anchored at the block below it (once it exists), so that a
      // reorg of the first range read is measured against it, not guessed.
      if (!startAnchored && floor - 1 <= head.number) {
        return header(floor - 1).pipe(
          concatMap((block) => {
            // Gone since the head was read: the chain moved; the next tick tries again.
            if (block === null) return throwError(() => new ChainMoved());
            startAnchored = true;
            if (anchors.size === 0) anchors.remember(block.number, block.hash);
            return poll(head, [block]);
          }),
        );
      }

      const anchor = anchors.latest;
      // A head below the last block read that is a block we know unchanged: a lagging
      // node (or a chain cut back without changes below). Nothing to check or read.
      if (anchor !== undefined && head.number < anchor.number && anchors.hashOf(head.number) === head.hash) {
        return EMPTY;
      }
      const readable = confirmed >= cursor;
      // The head changed: check the anchor, even with nothing to read (a replacing chain
      // may end just above it, with its new blocks not yet confirmed).
      const check = anchor !== undefined;
      if (!check && !readable) return EMPTY;

      // The end's header is fetched first: its parent hash may spare the anchor check a request.
      return (readable ? endHeader$ : of(null)).pipe(
        concatMap((end) => {
          if (readable && end === null) return throwError(() => new ChainMoved());
          const verify$ = concat(
            check && anchor !== undefined
              ? hashAt(anchor.number, [head, end, ...known]).pipe(
                  concatMap((hash) => (hash === anchor.hash ? EMPTY : rewind(anchor, head))),
                )
              : EMPTY,
            verifyStreamReads(streamReads, head, [head, end, ...known]),
          );
          // After a rewind there may be something to read even if there was not before.
          const read$ = defer(() => {
            if (cursor === undefined) return EMPTY;
            // After a rewind, the end's header must be older than the check that found the
            // ancestor (a reorg in between could replace the ancestor unseen): when it was
            // not fetched before, the re-read waits for the next tick.
            const endFetchedLate = end === null && confirmed !== head.number;
            if (confirmed < cursor || (rewound && endFetchedLate)) return rewound ? announceRewind(cursor) : EMPTY;
            return (end === null ? endHeader$ : of(end)).pipe(
              concatMap((block) => (block === null ? throwError(() => new ChainMoved()) : readUpTo(block))),
            );
          });
          return concat(verify$, read$);
        }),
      );
    };

    const ticks$ = timer(0, config.pollInterval).pipe(
      exhaustMap(() =>
        (config.latest$ ?? requestLatestBlock(config)).pipe(
          concatMap((head) =>
            concat(
              poll(head),
              defer(() => {
                lastHeadHash = head.hash;
                config.inspect?.({ cursor, anchors: anchors.size });
                return EMPTY;
              }),
            ),
          ),
          // The chain moved between two requests of this tick: the next tick starts over.
          catchError((error: unknown) => (error instanceof ChainMoved ? EMPTY : throwError(() => error))),
        ),
      ),
    );

    // The code check runs beside the first tick rather than before it: the first head
    // request then coincides with (and is shared by) the heads of streams starting now.
    return merge(
      requestHasCode(config, config.address).pipe(
        concatMap((hasCode) =>
          hasCode ? EMPTY : throwError(() => new NexusNotFoundError(checksumHex40(config.address.slice(2)))),
        ),
      ),
      ticks$,
    ).pipe(
      finalize(() => {
        stopped = true;
        config.onCursor?.(undefined);
      }),
    );
  });
}

/** One key per (block, hash). */
function anchorKey(anchor: BlockAnchor): string {
  return `${anchor.number}:${anchor.hash}`;
}
