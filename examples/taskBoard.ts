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
 *   blocks; each inner stream's backfill is served from the client's shared history reads
 *   (the blocks its parent's read just fetched), so a board over history costs about one
 *   read of it, whatever the number of tasks.
 * - Every stream is subscribed with `withRemovals: true`: after a reorg, each one retracts
 *   what it delivered from the replaced blocks (before the new chain's events), and
 *   delivers again, from its new block, what was mined again. The retraction of a task's
 *   publication (or of a response's submission) ends the streams it started; if it was
 *   mined again, its streams start again from its new block.
 * - `scan` folds the events into an immutable board, keeping each log by
 *   `(transactionHash, logIndex)`: an event sets its entry, a removal deletes it. Different
 *   streams may deliver events in a different order than the chain does, so a task's or
 *   response's status is not the last one delivered but the latest, by block number and
 *   log index, of the status logs the board holds: a retracted status gives way to the
 *   one before it. Every update is idempotent. Once the streams have caught up, the board
 *   is the one the canonical chain's events alone would build.
 *
 * The per-task streams stay subscribed as long as the board is. Do not cut them with
 * `takeUntil(FINALIZED)`: the response's CONFIRMED comes in the same transaction as the
 * task's FINALIZED, and the response stream (subscribed later) gets it after the task
 * stream does, so cutting on FINALIZED would lose it (and a reorg may take FINALIZED back).
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
import {
  type Observable,
  Subject,
  defer,
  distinctUntilChanged,
  filter,
  merge,
  mergeMap,
  of,
  scan,
  startWith,
  takeUntil,
  tap,
} from 'rxjs';

// ---- the board's shape ----------------------------------------------------------------

/** Every event the board is built from (retractions included: `removed: true`). */
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

/** A status log the board holds for a task or a response. */
export interface StatusEntry<S> {
  readonly status: S;
  readonly at: LogPosition;
}

/** A response submitted for a task, with its latest status. */
export interface ResponseRow {
  readonly response: string;
  /** Where its `ResponseSubmitted` log sits. */
  readonly submittedAt: LogPosition;
  /** The status of the last of `statuses`; undefined while there is none. */
  readonly status: ResponseStatus | undefined;
  readonly statusAt: LogPosition | undefined;
  /** Every status log of the response the board holds, in chain order. */
  readonly statuses: readonly StatusEntry<ResponseStatus>[];
}

/** A task published to the source. */
export interface TaskRow {
  readonly task: string;
  /** The block of `publishedAt`. */
  readonly publishedIn: number;
  /** Where its `TaskPublished` log sits. */
  readonly publishedAt: LogPosition;
  /** The status of the last of `statuses`; undefined while there is none. */
  readonly status: TaskStatus | undefined;
  readonly statusAt: LogPosition | undefined;
  /** Every status log of the task the board holds, in chain order. */
  readonly statuses: readonly StatusEntry<TaskStatus>[];
  readonly attempts: readonly AttemptRow[];
  readonly responses: readonly ResponseRow[];
}

/** The whole board: providers and tasks in the order they appeared. */
export interface TaskBoard {
  readonly source: string;
  readonly providers: readonly ProviderRow[];
  readonly tasks: readonly TaskRow[];
  /** The event behind the latest change (a retraction, if a reorg made it). */
  readonly lastEvent: BoardEvent | undefined;
}

/** What `event` did to the board, in words: `Attempted in block 12`, `… (taken back by a reorg)`. */
export function describeChange(event: BoardEvent): string {
  return `${event.eventName} in block ${event.blockNumber}${event.removed ? ' (taken back by a reorg)' : ''}`;
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
 * stream, with the retractions of what reorgs took back. Each task's and response's
 * streams start where their parent event was mined, and end when it is retracted.
 */
export function boardEvents$(
  nexus: NexusEvents,
  source: string,
  options: TaskBoardOptions = {},
): Observable<BoardEvent> {
  const since: StreamOptions =
    options.fromBlock === undefined ? { withRemovals: true } : { fromBlock: options.fromBlock, withRemovals: true };
  const sinceParent = (parent: BoardEvent): StreamOptions => ({ fromBlock: parent.blockNumber, withRemovals: true });

  const responsesOf = (published: TaskPublishedEvent): Observable<BoardEvent> =>
    withChildren(nexus.responseSubmitted$(published.task, sinceParent(published)), (submitted) =>
      nexus.responseStatusChanged$(submitted.response, sinceParent(submitted)),
    );

  const tasks$ = withChildren(nexus.taskPublished$(source, since), (published) =>
    merge(
      nexus.taskStatusChanged$(published.task, sinceParent(published)),
      nexus.attempted$(published.task, sinceParent(published)),
      responsesOf(published),
    ),
  );

  return merge(nexus.registered$(source, since), tasks$);
}

/**
 * `parents$`, each parent event followed by the events of the streams it starts
 * (`childrenOf`), which run until the parent's retraction. The retraction ends them
 * before it is passed on itself.
 */
function withChildren<P extends BoardEvent>(
  parents$: Observable<P>,
  childrenOf: (parent: P) => Observable<BoardEvent>,
): Observable<BoardEvent> {
  return defer(() => {
    const retracted$ = new Subject<P>();
    return parents$.pipe(
      tap((parent) => {
        if (parent.removed) retracted$.next(parent);
      }),
      mergeMap((parent) =>
        parent.removed
          ? of<BoardEvent>(parent)
          : childrenOf(parent).pipe(
              takeUntil(retracted$.pipe(filter((removal) => sameLogInBlock(removal, parent)))),
              startWith<BoardEvent>(parent),
            ),
      ),
    );
  });
}

/** The board, emitted anew on every change (an event that changes nothing emits nothing). */
export function taskBoard$(nexus: NexusEvents, source: string, options: TaskBoardOptions = {}): Observable<TaskBoard> {
  return boardEvents$(nexus, source, options).pipe(scan(applyEvent, emptyBoard(source)), distinctUntilChanged());
}

// ---- folding events into the board ----------------------------------------------------

/**
 * The board after `event`, or without it if `event` is a retraction (`removed: true`).
 * Pure and idempotent: the same event twice changes nothing.
 *
 * The board keeps each log by `(transactionHash, logIndex)`. An event sets its entry (the
 * same log from another block, mined again, replaces it); a retraction deletes the entry
 * if it still comes from the retracted block. A task's or response's status is the latest
 * (by block number, then log index) of the status logs it holds, so retracting the status
 * shown brings back the one before it. Retracting a task's publication takes the task off
 * the board, with its statuses, attempts and responses; retracting a response's submission
 * takes the response off its task.
 *
 * Built for streams subscribed with `withRemovals: true` (as {@link boardEvents$} does):
 * without retractions, what a reorg took back stays on the board.
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
      const providers = event.removed
        ? deleteLog(board.providers, at)
        : setLog(board.providers, { provider, registrantId, preferredEnvironment, at });
      return providers === board.providers ? board : changed({ providers });
    }
    case 'TaskPublished': {
      const shown = board.tasks.find((row) => row.task === event.task);
      if (event.removed) {
        return shown !== undefined && sameLogInBlock(shown.publishedAt, at)
          ? changed({ tasks: board.tasks.filter((row) => row !== shown) })
          : board;
      }
      if (shown === undefined) {
        const row: TaskRow = {
          task: event.task,
          publishedIn: at.blockNumber,
          publishedAt: at,
          status: undefined,
          statusAt: undefined,
          statuses: [],
          attempts: [],
          responses: [],
        };
        return changed({ tasks: [...board.tasks, row] });
      }
      // The same publication mined again elsewhere moves there; another one changes nothing.
      return movedTo(shown.publishedAt, at)
        ? updateTasks((row) => (row === shown ? { ...row, publishedIn: at.blockNumber, publishedAt: at } : row))
        : board;
    }
    case 'TaskStatusChanged':
      return updateTasks((row) =>
        row.task === event.task ? withStatuses(row, foldStatus(row.statuses, event.status, at, event.removed)) : row,
      );
    case 'Attempted':
      return updateTasks((row) => {
        if (row.task !== event.task) return row;
        const { provider, suggestedPayment } = event;
        const attempts = event.removed
          ? deleteLog(row.attempts, at)
          : setLog(row.attempts, { provider, suggestedPayment, at });
        return attempts === row.attempts ? row : { ...row, attempts };
      });
    case 'ResponseSubmitted':
      return updateTasks((row) => {
        if (row.task !== event.task) return row;
        const shown = row.responses.find((response) => response.response === event.response);
        if (event.removed) {
          return shown !== undefined && sameLogInBlock(shown.submittedAt, at)
            ? { ...row, responses: row.responses.filter((response) => response !== shown) }
            : row;
        }
        if (shown === undefined) {
          const response: ResponseRow = {
            response: event.response,
            submittedAt: at,
            status: undefined,
            statusAt: undefined,
            statuses: [],
          };
          return { ...row, responses: [...row.responses, response] };
        }
        return movedTo(shown.submittedAt, at)
          ? {
              ...row,
              responses: row.responses.map((response) =>
                response === shown ? { ...response, submittedAt: at } : response,
              ),
            }
          : row;
      });
    case 'ResponseStatusChanged':
      // The event names only the response; find the task it belongs to.
      return updateTasks((row) => {
        const responses = row.responses.map((response) =>
          response.response === event.response
            ? withStatuses(response, foldStatus(response.statuses, event.status, at, event.removed))
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

/** The same log: the key the board keeps logs by. */
function sameLog(a: LogPosition, b: LogPosition): boolean {
  return a.transactionHash === b.transactionHash && a.logIndex === b.logIndex;
}

/** The same log from the same block: what a retraction must match to delete an entry. */
function sameLogInBlock(a: LogPosition, b: LogPosition): boolean {
  return sameLog(a, b) && a.blockHash === b.blockHash;
}

/** Whether `next` is the log at `shown` mined again into another block. */
function movedTo(shown: LogPosition, next: LogPosition): boolean {
  return sameLog(shown, next) && shown.blockHash !== next.blockHash;
}

/**
 * `rows` with the row of a log set: unchanged if that log of that block is there; the row
 * of the same log from another block replaced in place; appended otherwise.
 */
function setLog<R extends { readonly at: LogPosition }>(rows: readonly R[], row: R): readonly R[] {
  const i = rows.findIndex((existing) => sameLog(existing.at, row.at));
  if (i === -1) return [...rows, row];
  return movedTo((rows[i] as R).at, row.at) ? rows.map((existing, j) => (j === i ? row : existing)) : rows;
}

/** `rows` without the row of the log at `at` (of that block); the same array if there is none. */
function deleteLog<R extends { readonly at: LogPosition }>(rows: readonly R[], at: LogPosition): readonly R[] {
  const kept = rows.filter((row) => !sameLogInBlock(row.at, at));
  return kept.length === rows.length ? rows : kept;
}

/** The status logs after a status event (or its retraction, `removed`), kept in chain order. */
function foldStatus<S>(
  statuses: readonly StatusEntry<S>[],
  status: S,
  at: LogPosition,
  removed: boolean,
): readonly StatusEntry<S>[] {
  if (removed) return deleteLog(statuses, at);
  const next = setLog(statuses, { status, at });
  return next === statuses ? statuses : [...next].sort((a, b) => chainOrder(a.at, b.at));
}

/** A row that shows the last of its status logs. */
interface WithStatuses<S> {
  readonly status: S | undefined;
  readonly statusAt: LogPosition | undefined;
  readonly statuses: readonly StatusEntry<S>[];
}

/** `row` showing the last of `statuses`; the same row if they did not change. */
function withStatuses<R extends WithStatuses<S>, S>(row: R, statuses: readonly StatusEntry<S>[]): R {
  if (statuses === row.statuses) return row;
  const latest = statuses[statuses.length - 1];
  return { ...row, statuses, status: latest?.status, statusAt: latest?.at };
}

/**
 * Chain order: by block number, then log index. Two logs at one position come from rival
 * blocks of a reorg (until one is retracted); the block hash orders them, so that the
 * order they arrive in does not matter.
 */
function chainOrder(a: LogPosition, b: LogPosition): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber - b.blockNumber;
  if (a.logIndex !== b.logIndex) return a.logIndex - b.logIndex;
  return a.blockHash === b.blockHash ? 0 : a.blockHash < b.blockHash ? -1 : 1;
}
