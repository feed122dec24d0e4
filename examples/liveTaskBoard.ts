/**
 * Example: a live task board for one source, built by combining all six streams.
 *
 * The Python SDK leaves composition to the reader ("see the events guide"); with RxJS it
 * is a few operators:
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
 *
 * Run it (Ctrl-C to stop):
 *
 * ```sh
 * OGPU_SOURCE=0x… npx tsx examples/liveTaskBoard.ts                     # OGPU testnet
 * OGPU_RPC_URL=http://127.0.0.1:8545 OGPU_NEXUS=0x… OGPU_SOURCE=0x… \
 *   OGPU_FROM_BLOCK=0 npx tsx examples/liveTaskBoard.ts
 * ```
 */
import { formatEther } from 'ethers';
import {
  type AttemptedEvent,
  Environment,
  type EnvironmentMask,
  enumKey,
  hasEnvironment,
  type LogPosition,
  type NexusEvents,
  type RegisteredEvent,
  ResponseStatus,
  type ResponseStatusChangedEvent,
  type ResponseSubmittedEvent,
  type StreamOptions,
  type TaskPublishedEvent,
  TaskStatus,
  type TaskStatusChangedEvent,
} from 'ogpu-events';
import {
  type Observable,
  NEVER,
  distinctUntilChanged,
  fromEvent,
  lastValueFrom,
  merge,
  mergeMap,
  of,
  scan,
  startWith,
  takeUntil,
  takeWhile,
  tap,
} from 'rxjs';
import { runExampleScript } from './support/exampleScript';

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

/** Options of {@link liveTaskBoard}. */
export interface LiveTaskBoardOptions extends TaskBoardOptions {
  /** Resolve once the board satisfies this (after printing it). Omitted: run until `signal` aborts. */
  readonly until?: ((board: TaskBoard) => boolean) | undefined;
  /** Stop (and resolve with the board so far) when this signal aborts. */
  readonly signal?: AbortSignal | undefined;
  /** Where each rendered board goes; `console.log` by default. */
  readonly log?: ((text: string) => void) | undefined;
}

/**
 * Prints the board of `source` on every change; resolves with the last board once
 * `until` holds or `signal` aborts. Rejects if a stream fails.
 */
export async function liveTaskBoard(
  nexus: NexusEvents,
  source: string,
  options: LiveTaskBoardOptions = {},
): Promise<TaskBoard> {
  const { until, signal, log = console.log } = options;
  const boards$ = taskBoard$(nexus, source, { fromBlock: options.fromBlock }).pipe(
    tap((board) => log(renderBoard(board))),
    takeWhile((board) => until === undefined || !until(board), true),
    takeUntil(aborted(signal)),
  );
  return lastValueFrom(boards$, { defaultValue: emptyBoard(source) });
}

/** Emits once when `signal` aborts (at once if it already has); never without a signal. */
function aborted(signal: AbortSignal | undefined): Observable<unknown> {
  if (signal === undefined) return NEVER;
  return signal.aborted ? of(signal.reason) : fromEvent(signal, 'abort');
}

// ---- folding events into the board ----------------------------------------------------

/**
 * The board after `event`. Pure and idempotent: the same event twice changes nothing,
 * and a status older than the one shown (by block and log index) is ignored.
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
      if (board.providers.some((row) => samePosition(row.at, at))) return board;
      const { provider, registrantId, preferredEnvironment } = event;
      return changed({ providers: [...board.providers, { provider, registrantId, preferredEnvironment, at }] });
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
      return updateTasks((row) =>
        row.task !== event.task || row.attempts.some((attempt) => samePosition(attempt.at, at))
          ? row
          : {
              ...row,
              attempts: [...row.attempts, { provider: event.provider, suggestedPayment: event.suggestedPayment, at }],
            },
      );
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

/** Whether `a` comes after `b` on the chain (anything comes after nothing). */
function isLater(a: LogPosition, b: LogPosition | undefined): boolean {
  return (
    b === undefined || a.blockNumber > b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex > b.logIndex)
  );
}

// ---- rendering ------------------------------------------------------------------------

/** `0x1234…abcd` */
const short = (address: string): string => `${address.slice(0, 6)}…${address.slice(-4)}`;

function environments(mask: EnvironmentMask): string {
  const names = (Object.keys(Environment) as (keyof typeof Environment)[]).filter((name) =>
    hasEnvironment(mask, Environment[name]),
  );
  return names.length === 0 ? 'no environment' : names.join('+');
}

/** The board as text, one line per provider, task, attempt and response. */
export function renderBoard(board: TaskBoard): string {
  const last = board.lastEvent;
  const lines = [
    `── Task board of source ${board.source} ── ${board.providers.length} provider(s), ${board.tasks.length} task(s)` +
      (last === undefined ? '' : ` ── last change: ${last.eventName} in block ${last.blockNumber}`),
    'Providers:',
    ...(board.providers.length === 0 ? ['  (none yet)'] : []),
    ...board.providers.map(
      (p) => `  #${p.registrantId}  ${p.provider}  prefers ${environments(p.preferredEnvironment)}`,
    ),
    'Tasks:',
    ...(board.tasks.length === 0 ? ['  (none yet)'] : []),
  ];
  for (const row of board.tasks) {
    const status = row.status === undefined ? '…' : (enumKey(TaskStatus, row.status) ?? `status ${row.status}`);
    lines.push(`  ${row.task}  ${status.padEnd(9)}  published in block ${row.publishedIn}`);
    for (const attempt of row.attempts) {
      lines.push(
        `      attempt   by ${short(attempt.provider)}  suggests ${formatEther(attempt.suggestedPayment)} OGPU`,
      );
    }
    for (const response of row.responses) {
      const responseStatus =
        response.status === undefined ? '…' : (enumKey(ResponseStatus, response.status) ?? `status ${response.status}`);
      lines.push(`      response  ${short(response.response)}  ${responseStatus}`);
    }
  }
  return lines.join('\n');
}

// ---- run as a script ------------------------------------------------------------------

if (require.main === module) {
  runExampleScript({
    scope: 'OGPU_SOURCE',
    usage: 'Usage: OGPU_SOURCE=0x… [OGPU_RPC_URL=… OGPU_NEXUS=0x…] [OGPU_FROM_BLOCK=n] tsx examples/liveTaskBoard.ts',
    run: async ({ nexus, address: source, fromBlock, signal }) => {
      // On a terminal, redraw the board in place; otherwise print each version in turn.
      const log = process.stdout.isTTY
        ? (text: string) => {
            console.clear();
            console.log(text);
          }
        : (text: string) => console.log(`${text}\n`);
      log(renderBoard(emptyBoard(source)));
      await liveTaskBoard(nexus, source, { fromBlock, signal, log });
    },
  });
}
