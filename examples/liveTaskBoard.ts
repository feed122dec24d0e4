/**
 * Example: a live task board for one source, built by combining all six streams.
 *
 * The board model (what it holds, which streams feed it, how events fold into it) is in
 * ./taskBoard.ts, shared with the browser dashboard (examples/dashboard); this file
 * renders it as text in a terminal.
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
  type EnvironmentMask,
  enumKey,
  environmentNames,
  type NexusEvents,
  ResponseStatus,
  TaskStatus,
} from 'ogpu-events';
import { type Observable, NEVER, fromEvent, lastValueFrom, of, takeUntil, takeWhile, tap } from 'rxjs';
import { runExampleScript } from './support/exampleScript';
import { type TaskBoard, type TaskBoardOptions, describeChange, emptyBoard, taskBoard$ } from './taskBoard';

export * from './taskBoard';

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

// ---- rendering ------------------------------------------------------------------------

/** `0x1234…abcd` */
const short = (address: string): string => `${address.slice(0, 6)}…${address.slice(-4)}`;

function environments(mask: EnvironmentMask): string {
  const names = environmentNames(mask);
  return names.length === 0 ? 'no environment' : names.join('+');
}

/** The board as text, one line per provider, task, attempt and response. */
export function renderBoard(board: TaskBoard): string {
  const last = board.lastEvent;
  const lines = [
    `── Task board of source ${board.source} ── ${board.providers.length} provider(s), ${board.tasks.length} task(s)` +
      (last === undefined ? '' : ` ── last change: ${describeChange(last)}`),
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
