/**
 * The task board model shared by the terminal example (examples/liveTaskBoard.ts) and the
 * browser dashboard (examples/dashboard): what the board holds, the stream of every event
 * it is built from, and the pure fold of those events into it.
 *
 * This module imports only `ogpu-events` and `rxjs`, so it runs in Node and in a browser
 * bundle alike.
 *
 * ```text
 * registered$(source) ────────────────────────────────────────────────┐
 * taskPublished$(source) ─mergeMap(per task)─▶ merge(                  │
 *     taskStatusChanged$(task),                                        ├─ merge ─ scan(applyEvent) ─▶ board
 *     attempted$(task),                                                │
 *     responseSubmitted$(task) ─mergeMap(per response)─▶               │
 *         responseStatusChanged$(response))  ──────────────────────────┘
 * ```
 *
 * - `mergeMap` (not `switchMap`) starts the streams of each new task and keeps those of
 *   earlier tasks running.
 * - Every inner stream starts at the block its parent event was mined in (`fromBlock`),
 *   so events mined in the same block or while it was subscribing are replayed, not lost.
 * - Streams of one client share a single poller: a board of many tasks costs one head
 *   request (`eth_getBlockByNumber`) per poll, plus one `eth_getLogs` when there are new
 *   blocks, plus a short backfill read when each inner stream starts.
 * - `scan` folds the events into an immutable board. Different streams may deliver
 *   events in a different order than the chain does, so statuses are only replaced by
 *   a later one (by block number and log index), and every update is idempotent.
 *
 * The per-task streams stay subscribed as long as the board is. Do not cut them with
 * `takeUntil(FINALIZED)`: the response's CONFIRMED comes in the same transaction as the
 * task's FINALIZED, and the response stream (subscribed later) gets it after the task
 * stream does, so cutting on FINALIZED would lose it.
 */
import {
  type AttemptedEvent,
  type EnvironmentMask,
  type LogPosition,
  type NexusEvents,
  type RegisteredEvent,
  type ResponseStatus,
  type ResponseStatusChangedEvent,
  type ResponseSubmittedEvent,
  type StreamOptions,
  type TaskPublishedEvent,
  type TaskStatus,
  type TaskStatusChangedEvent,
} from 'ogpu-events';
import { type Observable, distinctUntilChanged, merge, mergeMap, scan, startWith } from 'rxjs';

// ---- the board's shape ----------------------------------------------------------------

/** Every event the board is built from. */
export type BoardEvent =
  | RegisteredEvent
  | TaskPublishedEvent
  | TaskStatusChangedEvent
  | AttemptedEvent
  | ResponseSubmittedEvent
  | ResponseStatusChangedEvent;

/** A provider registered to the source. */
export interface ProviderRow {
  readonly provider: string;
  readonly registrantId: bigint;
  readonly preferredEnvironment: EnvironmentMask;
  readonly at: LogPosition;
}

/** An attempt on a task. */
export interface AttemptRow {
  readonly provider: string;
  readonly suggestedPayment: bigint;
  readonly at: LogPosition;
}

/** A response submitted for a task, with its latest status. */
export interface ResponseRow {
  readonly response: string;
  readonly status: ResponseStatus | undefined;
  readonly statusAt: LogPosition | undefined;
}

/** A task published to the source. */
export interface TaskRow {
  readonly task: string;
  readonly publishedIn: number;
  readonly status: TaskStatus | undefined;
  readonly statusAt: LogPosition | undefined;
  readonly attempts: readonly AttemptRow[];
  readonly responses: readonly ResponseRow[];
}

/** The whole board: providers and tasks in the order they appeared. */
export interface TaskBoard {
  readonly source: string;
  readonly providers: readonly ProviderRow[];
  readonly tasks: readonly TaskRow[];
  /** The event behind the latest change. */
  readonly lastEvent: BoardEvent | undefined;
}

/** A board with nothing on it yet. */
export function emptyBoard(source: string): TaskBoard {
  return { source, providers: [], tasks: [], lastEvent: undefined };
}

// ---- the streams ----------------------------------------------------------------------

/** Options of {@link taskBoard$} and {@link liveTaskBoard}. */
export interface TaskBoardOptions {
  /** Build the board from this block on (history first, then live); omitted: from now on. */
  readonly fromBlock?: number | undefined;
}

/**
 * Every event of `source`'s providers, tasks, attempts and responses, merged into one
 * stream. Each task's and response's streams start where their parent event was mined.
 */
export function boardEvents$(
  nexus: NexusEvents,
  source: string,
  options: TaskBoardOptions = {},
): Observable<BoardEvent> {
  const since: StreamOptions = options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock };

  const responsesOf = (task: string, fromBlock: number): Observable<BoardEvent> =>
    nexus
      .responseSubmitted$(task, { fromBlock })
      .pipe(
        mergeMap((submitted) =>
          nexus
            .responseStatusChanged$(submitted.response, { fromBlock: submitted.blockNumber })
            .pipe(startWith<BoardEvent>(submitted)),
        ),
      );

  const tasks$ = nexus
    .taskPublished$(source, since)
    .pipe(
      mergeMap((published) =>
        merge(
          nexus.taskStatusChanged$(published.task, { fromBlock: published.blockNumber }),
          nexus.attempted$(published.task, { fromBlock: published.blockNumber }),
          responsesOf(published.task, published.blockNumber),
        ).pipe(startWith<BoardEvent>(published)),
      ),
    );

  return merge(nexus.registered$(source, since), tasks$);
}

/** The board, emitted anew on every change (an event that changes nothing emits nothing). */
export function taskBoard$(nexus: NexusEvents, source: string, options: TaskBoardOptions = {}): Observable<TaskBoard> {
  return boardEvents$(nexus, source, options).pipe(scan(applyEvent, emptyBoard(source)), distinctUntilChanged());
}

// ---- folding events into the board ----------------------------------------------------

/**
 * The board after `event`. Pure and idempotent: the same event twice changes nothing,
 * and a status older than the one shown (by block and log index) is ignored.
 *
 * Reorgs (with `confirmations: 0` the streams deliver events of blocks that may be
 * replaced, and do not retract them): a status from a block at the same height as the
 * shown one's but with another hash comes from the block that replaced it, and wins; an
 * attempt or registration whose transaction was mined again into another block (a new
 * position, the same content) moves there instead of being listed twice. What the board
 * cannot know is an orphaned status above the height where the new chain's comes in:
 * use `confirmations` for a board that must never show one.
 */
export function applyEvent(board: TaskBoard, event: BoardEvent): TaskBoard {
  const at = positionOf(event);
  const changed = (patch: Partial<TaskBoard>): TaskBoard => ({ ...board, ...patch, lastEvent: event });
  const updateTasks = (update: (row: TaskRow) => TaskRow): TaskBoard => {
    const tasks = board.tasks.map(update);
    return tasks.every((row, i) => row === board.tasks[i]) ? board : changed({ tasks });
  };

  switch (event.eventName) {
    case 'Registered': {
      const { provider, registrantId, preferredEnvironment } = event;
      const providers = placeLog(
        board.providers,
        { provider, registrantId, preferredEnvironment, at },
        (row) => row.provider === provider && row.registrantId === registrantId,
      );
      return providers === board.providers ? board : changed({ providers });
    }
    case 'TaskPublished': {
      if (board.tasks.some((row) => row.task === event.task)) return board;
      const row: TaskRow = {
        task: event.task,
        publishedIn: event.blockNumber,
        status: undefined,
        statusAt: undefined,
        attempts: [],
        responses: [],
      };
      return changed({ tasks: [...board.tasks, row] });
    }
    case 'TaskStatusChanged':
      return updateTasks((row) =>
        row.task === event.task && isLater(at, row.statusAt) ? { ...row, status: event.status, statusAt: at } : row,
      );
    case 'Attempted':
      return updateTasks((row) => {
        if (row.task !== event.task) return row;
        const { provider, suggestedPayment } = event;
        const attempts = placeLog(
          row.attempts,
          { provider, suggestedPayment, at },
          (attempt) => attempt.provider === provider && attempt.suggestedPayment === suggestedPayment,
        );
        return attempts === row.attempts ? row : { ...row, attempts };
      });
    case 'ResponseSubmitted':
      return updateTasks((row) =>
        row.task !== event.task || row.responses.some((response) => response.response === event.response)
          ? row
          : {
              ...row,
              responses: [...row.responses, { response: event.response, status: undefined, statusAt: undefined }],
            },
      );
    case 'ResponseStatusChanged':
      // The event names only the response; find the task it belongs to.
      return updateTasks((row) => {
        const responses = row.responses.map((response) =>
          response.response === event.response && isLater(at, response.statusAt)
            ? { ...response, status: event.status, statusAt: at }
            : response,
        );
        return responses.every((response, i) => response === row.responses[i]) ? row : { ...row, responses };
      });
  }
}

function positionOf(event: BoardEvent): LogPosition {
  const { blockNumber, blockHash, transactionHash, logIndex } = event;
  return { blockNumber, blockHash, transactionHash, logIndex };
}

function samePosition(a: LogPosition, b: LogPosition): boolean {
  return a.transactionHash === b.transactionHash && a.logIndex === b.logIndex;
}

/**
 * `rows` with the row of a log added: unchanged if that log is there already; the row of
 * the same transaction with the same content (`sameContent`) from another block moved to
 * the new position (the transaction was mined again after a reorg); appended otherwise.
 */
function placeLog<R extends { readonly at: LogPosition }>(
  rows: readonly R[],
  row: R,
  sameContent: (existing: R) => boolean,
): readonly R[] {
  const { at } = row;
  if (rows.some((existing) => samePosition(existing.at, at))) return rows;
  const remined = rows.findIndex(
    (existing) =>
      existing.at.transactionHash === at.transactionHash &&
      existing.at.blockHash !== at.blockHash &&
      sameContent(existing),
  );
  return remined === -1 ? [...rows, row] : rows.map((existing, i) => (i === remined ? row : existing));
}

/**
 * Whether `a` comes after `b` on the chain (anything comes after nothing). At the same
 * height, another block hash means `a` is from the block that replaced `b`'s in a reorg:
 * a status reaches the board through one stream, which delivers a re-read after what it
 * replaced.
 */
function isLater(a: LogPosition, b: LogPosition | undefined): boolean {
  return (
    b === undefined ||
    a.blockNumber > b.blockNumber ||
    (a.blockNumber === b.blockNumber && (a.blockHash !== b.blockHash || a.logIndex > b.logIndex))
  );
}
