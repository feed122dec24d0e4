import { describeDiagnostic, type NexusDiagnostic, type NexusEvents, OgpuEventsError } from 'ogpu-events';
import { type Observable, catchError, combineLatest, defer, map, of, scan, startWith, switchMap } from 'rxjs';
import { type TaskBoard, emptyBoard, taskBoard$ } from '../../taskBoard';
import { connectNexus } from './connectNexus';
import type { ConnectionSettings } from './connectionSettings';

/** How many diagnostics of each kind the client reported, and the latest one, in words. */
export interface DiagnosticsSummary {
  readonly counts: Readonly<Record<NexusDiagnostic['kind'], number>>;
  readonly latest: string | undefined;
}

/** Why watching stopped: the library's error code (or `UNEXPECTED`) and its message. */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

/** Everything the page shows. */
export type DashboardView =
  | { readonly phase: 'idle' }
  | {
      readonly phase: 'watching' | 'failed';
      readonly settings: ConnectionSettings;
      readonly board: TaskBoard;
      readonly diagnostics: DiagnosticsSummary;
      readonly failure: Failure | undefined;
    };

/** The page before anything is watched. */
export const IDLE: DashboardView = { phase: 'idle' };

export const NO_DIAGNOSTICS: DiagnosticsSummary = {
  counts: {
    'rpc-retry': 0,
    'range-split': 0,
    reorg: 0,
    'lagging-node': 0,
    'invalid-log': 0,
    'undecodable-log': 0,
    'invalid-message': 0,
    'broker-wait': 0,
  },
  latest: undefined,
};

/** Counts one more diagnostic. */
export function addDiagnostic(summary: DiagnosticsSummary, diagnostic: NexusDiagnostic): DiagnosticsSummary {
  return {
    counts: { ...summary.counts, [diagnostic.kind]: summary.counts[diagnostic.kind] + 1 },
    latest: describeDiagnostic(diagnostic),
  };
}

function toFailure(error: unknown): Failure {
  if (error instanceof OgpuEventsError) return { code: error.code, message: error.message };
  return { code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error) };
}

type Update =
  | { readonly kind: 'state'; readonly board: TaskBoard; readonly diagnostics: DiagnosticsSummary }
  | { readonly kind: 'failure'; readonly failure: Failure };

/**
 * The page's view while watching `settings`: the task board (all six streams merged and
 * folded, see ../../taskBoard.ts) combined with the client's diagnostics. The client is
 * `connect(settings)`: by default the chain's, or the relay's in relay mode (see
 * {@link connectNexus}); the board is built the same from either. A failure (a bad
 * address, a node that is not serving the Nexus contract, retries given up, a broker
 * refusing the credentials) ends the stream with a `failed` view that keeps the board as it was.
 *
 * Emits its first view synchronously on subscribe (in relay mode, once the relay client is
 * loaded). Unsubscribing stops every stream and request of the client.
 */
export function dashboardView$(
  settings: ConnectionSettings,
  connect: (settings: ConnectionSettings) => Observable<NexusEvents> = connectNexus,
): Observable<DashboardView> {
  const initial: DashboardView = {
    phase: 'watching',
    settings,
    board: emptyBoard(settings.source),
    diagnostics: NO_DIAGNOSTICS,
    failure: undefined,
  };

  const updates$ = defer(() => connect(settings)).pipe(
    // diagnostics$ is hot: combineLatest subscribes to it first, before the board's
    // streams start polling, so no early diagnostic is missed.
    switchMap((nexus) =>
      combineLatest({
        diagnostics: nexus.diagnostics$.pipe(scan(addDiagnostic, NO_DIAGNOSTICS), startWith(NO_DIAGNOSTICS)),
        board: taskBoard$(nexus, settings.source, { fromBlock: settings.fromBlock }).pipe(
          startWith(emptyBoard(settings.source)),
        ),
      }),
    ),
    map(({ board, diagnostics }): Update => ({ kind: 'state', board, diagnostics })),
    catchError((error: unknown) => of<Update>({ kind: 'failure', failure: toFailure(error) })),
  );

  return updates$.pipe(
    scan(
      (view: DashboardView & { phase: 'watching' | 'failed' }, update: Update) =>
        update.kind === 'state'
          ? { ...view, board: update.board, diagnostics: update.diagnostics }
          : { ...view, phase: 'failed' as const, failure: update.failure },
      initial,
    ),
  );
}
