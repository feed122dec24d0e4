/**
 * A task board over history: how many requests one board costs as its number of tasks
 * grows, with ogpu-events as it is on this checkout, against the per-stream reading (every
 * stream reads its own history) and viem `getContractEvents` per task.
 *
 * Run alone: npm run bench -- --only boardHistory [--quick]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { type Abi, createPublicClient, http } from 'viem';
import { type BoardEvent, type TaskBoard, applyEvent, boardEvents$, emptyBoard } from '../examples/taskBoard';
import nexusAbi from '../spec/fixtures/NexusAbi.json';
import type { FaultyRpcCall, FaultyRpcProxy } from '../spec/support/FaultyRpcProxy';
import {
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  type NexusEvents,
  type NexusEventsOptions,
  createNexusEvents,
} from '../src/index';
import type { BenchOptions, BenchSection } from './BenchSection';
import { lineChartSvg } from './report';
import {
  type BoardChain,
  type BoardSource,
  LOGS_PER_TASK,
  PROVIDERS_PER_SOURCE,
  buildBoardChain,
} from './support/boardChain';
import { countByMethod, withCountingProxy } from './support/chain';
import { formatNumber, formatRatio, median } from './support/stats';
import { sleep } from './support/time';

/** The client's default `maxBlockRange`: the chunk size of every design here. */
const MAX_BLOCK_RANGE = 2_000;
/** Blocks of history every board reads (the issue's measurement: 3,100). */
const HISTORY_BLOCKS = 3_100;
/** The board is quiet once no `eth_getLogs` was sent or pending for this long. */
const QUIET_MS = 1_000;
/**
 * A run that has not completed after this long is stopped and reported as such (with the
 * requests sent by then); its design is not run again at that size.
 */
const BUDGET_MS = { full: 120_000, quick: 60_000 } as const;
/**
 * A board still incomplete with no event delivered and no `eth_getLogs` sent or pending for
 * this long has stalled: it is stopped and reported as such, like one over budget.
 */
const STALL_MS = 10_000;
/**
 * The per-stream baselines (a client per stream, viem per task) are run only where their
 * request count, known in advance, is at most this; above it they are computed. Their cost
 * grows with N² (N tasks' streams, each reading every log of its topic since its task's
 * block): at 1,000 tasks about 6,000 requests and millions of logs, many minutes here.
 */
const BASELINE_RUN_LIMIT = 1_000;
/** The per-stream clients never poll again after their first tick: only their history reads are of interest. */
const PER_STREAM_POLL_INTERVAL = 3_600_000;
/** Target: a board's `eth_getLogs` at most this many times one read of its history. */
const TARGET_FACTOR = 1.5;

const CHART_FILE = 'board-history.svg';

type DesignKey = 'ogpu' | 'perStream' | 'viem';

const DESIGNS: readonly { readonly key: DesignKey; readonly label: string }[] = [
  { key: 'ogpu', label: 'ogpu-events (one client)' },
  { key: 'perStream', label: 'per-stream reading (a client per stream)' },
  { key: 'viem', label: 'viem getContractEvents per task' },
];

/** How a run ended: the board complete, or stopped (see {@link STALL_MS}, {@link BUDGET_MS}). */
type Outcome = 'complete' | 'stalled' | 'over budget';

/** What one board run cost. */
interface BoardRun {
  readonly outcome: Outcome;
  /** From subscribing (or the first call) until the board held every event (or was stopped). */
  readonly ms: number;
  /** Requests until the board was quiet (complete, and no `eth_getLogs` for {@link QUIET_MS}), or stopped. */
  readonly calls: readonly FaultyRpcCall[];
  readonly getLogs: number;
  readonly events: number;
  /** Diagnostics the client(s) reported, by kind (ogpu-events designs). */
  readonly diagnostics: ReadonlyMap<string, number>;
  /** A stopped run: the events it lacked, by event name ("ResponseStatusChanged 20 of 20"). */
  readonly missing?: string;
}

/** The board's events: what every design must deliver, counted. */
function expectedEvents(source: BoardSource): number {
  return PROVIDERS_PER_SOURCE + source.tasks.length * LOGS_PER_TASK;
}

/** The events a board of `source` holds, by name (see bench/support/boardChain.ts). */
function expectedByName(source: BoardSource): ReadonlyMap<string, number> {
  const n = source.tasks.length;
  return new Map([
    ['Registered', PROVIDERS_PER_SOURCE],
    ['TaskPublished', n],
    ['Attempted', n],
    ['ResponseSubmitted', n],
    ['ResponseStatusChanged', 2 * n],
    ['TaskStatusChanged', 4 * n],
  ]);
}

/** What `events` lack of a whole board, by event name. */
function missingOf(source: BoardSource, events: readonly BoardEvent[]): string {
  const got = new Map<string, number>();
  for (const e of events) got.set(e.eventName, (got.get(e.eventName) ?? 0) + 1);
  return [...expectedByName(source)]
    .filter(([name, n]) => (got.get(name) ?? 0) < n)
    .map(([name, n]) => `${name} ${n - (got.get(name) ?? 0)} of ${n}`)
    .join(', ');
}

/** `eth_getLogs` chunks of `[from, head]`. */
const chunks = (chain: BoardChain, from: number): number => Math.ceil((chain.head - from + 1) / MAX_BLOCK_RANGE);

/**
 * What the per-stream reading costs, known from the chain's layout: every stream of the
 * board reads `[its fromBlock, head]` in chunks — `registered$` and `taskPublished$` from
 * the first block; per task `taskStatusChanged$`, `attempted$` and `responseSubmitted$`
 * from its publication, `responseStatusChanged$` from its response's submission.
 */
function perStreamGetLogs(chain: BoardChain): number {
  let total = 2 * chunks(chain, chain.fromBlock);
  for (const task of chain.source.tasks) total += 3 * chunks(chain, task.publishedIn) + chunks(chain, task.submittedIn);
  return total;
}

/** One read of the whole history: `eth_getLogs` for the six topics over `[fromBlock, head]` in chunks. */
function oneReadChunks(chain: BoardChain): { fromBlock: number; toBlock: number }[] {
  const list: { fromBlock: number; toBlock: number }[] = [];
  for (let start = chain.fromBlock; start <= chain.head; start += MAX_BLOCK_RANGE)
    list.push({ fromBlock: start, toBlock: Math.min(chain.head, start + MAX_BLOCK_RANGE - 1) });
  return list;
}

/**
 * A `NexusEvents` whose every stream comes from a client of its own: the board then
 * reads history the way ogpu-events did before streams shared their history reads (one
 * `eth_getLogs` per chunk per stream, for the stream's own topic). Each client also makes
 * its own start-up requests (`eth_getCode`, a head request), which a single client makes once.
 */
function clientPerStream(options: NexusEventsOptions): NexusEvents {
  const diagnostics = new Subject<NexusDiagnostic>();
  const own = (): NexusEvents => {
    const client = createNexusEvents({ ...options, pollInterval: PER_STREAM_POLL_INTERVAL });
    // A client's diagnostics$ is hot and never completes: forwarded for as long as the client lives.
    client.diagnostics$.subscribe((d) => diagnostics.next(d));
    return client;
  };
  return {
    taskPublished$: (address, o) => own().taskPublished$(address, o),
    attempted$: (address, o) => own().attempted$(address, o),
    responseSubmitted$: (address, o) => own().responseSubmitted$(address, o),
    responseStatusChanged$: (address, o) => own().responseStatusChanged$(address, o),
    taskStatusChanged$: (address, o) => own().taskStatusChanged$(address, o),
    registered$: (address, o) => own().registered$(address, o),
    diagnostics$: diagnostics.asObservable(),
  };
}

/** Waits until no `eth_getLogs` is pending and none was sent for {@link QUIET_MS}; returns the calls up to then. */
async function quiet(proxy: FaultyRpcProxy): Promise<readonly FaultyRpcCall[]> {
  let seen = -1;
  let since = performance.now();
  for (;;) {
    const getLogs = proxy.calls.filter((call) => call.method === 'eth_getLogs');
    if (getLogs.length !== seen || getLogs.some((call) => call.outcome === 'pending')) {
      seen = getLogs.length;
      since = performance.now();
    } else if (performance.now() - since >= QUIET_MS) {
      return proxy.calls.slice();
    }
    await sleep(100);
  }
}

const getLogsOf = (calls: readonly FaultyRpcCall[]): number =>
  calls.filter((call) => call.method === 'eth_getLogs').length;

/**
 * The board of examples/taskBoard.ts (`boardEvents$`: `registered$` and `taskPublished$` of
 * the source from `fromBlock`; for each task, from its block, `taskStatusChanged$`,
 * `attempted$` and `responseSubmitted$`, and for each response `responseStatusChanged$`,
 * all `withRemovals`), counted until it holds every event of the source, then folded with
 * the example's `applyEvent` and checked against what the chain holds.
 */
async function ogpuBoard(
  proxy: FaultyRpcProxy,
  chain: BoardChain,
  perStream: boolean,
  budgetMs: number,
): Promise<BoardRun> {
  const { source } = chain;
  const options: NexusEventsOptions = { rpcUrl: proxy.url, address: chain.nexusAddress };
  const nexus = perStream ? clientPerStream(options) : createNexusEvents(options);
  const expected = expectedEvents(source);
  const events: BoardEvent[] = [];
  const diagnostics = new Map<string, number>();
  const watch = nexus.diagnostics$.subscribe((d) => diagnostics.set(d.kind, (diagnostics.get(d.kind) ?? 0) + 1));
  let subscription: Subscription | undefined;
  const started = performance.now();
  try {
    const outcome = await new Promise<Outcome>((resolve, reject) => {
      // Progress: an event delivered, or an eth_getLogs sent or still pending.
      let progress = { events: 0, getLogs: 0, at: performance.now() };
      const watchdog = setInterval(() => {
        const now = performance.now();
        const getLogs = proxy.calls.filter((call) => call.method === 'eth_getLogs');
        if (
          events.length !== progress.events ||
          getLogs.length !== progress.getLogs ||
          getLogs.some((call) => call.outcome === 'pending')
        ) {
          progress = { events: events.length, getLogs: getLogs.length, at: now };
        } else if (now - progress.at >= STALL_MS) {
          clearInterval(watchdog);
          resolve('stalled');
        }
        if (now - started >= budgetMs) {
          clearInterval(watchdog);
          resolve('over budget');
        }
      }, 250);
      subscription = boardEvents$(nexus, source.source, { fromBlock: chain.fromBlock }).subscribe({
        next: (event) => {
          events.push(event);
          if (events.length === expected) {
            clearInterval(watchdog);
            resolve('complete');
          }
        },
        error: (error: unknown) => {
          clearInterval(watchdog);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
    });
    const ms = performance.now() - started;
    if (outcome !== 'complete') {
      subscription?.unsubscribe();
      const calls = proxy.calls.slice();
      const missing = missingOf(source, events);
      return { outcome, ms, calls, getLogs: getLogsOf(calls), events: events.length, diagnostics, missing };
    }
    const calls = await quiet(proxy);
    if (events.length !== expected) throw new Error(`the board got ${events.length} events, not ${expected}`);
    checkBoard(events.reduce(applyEvent, emptyBoard(source.source)), source);
    return { outcome, ms, calls, getLogs: getLogsOf(calls), events: events.length, diagnostics };
  } finally {
    subscription?.unsubscribe();
    watch.unsubscribe();
  }
}

/** The folded board must hold exactly the source's providers and each task's whole lifecycle. */
function checkBoard(board: TaskBoard, source: BoardSource): void {
  const fail = (what: string): never => {
    throw new Error(`board of ${source.tasks.length} tasks: ${what}`);
  };
  if (board.providers.length !== source.providers.length) fail(`${board.providers.length} providers`);
  if (board.tasks.length !== source.tasks.length) fail(`${board.tasks.length} tasks`);
  const rows = new Map(board.tasks.map((row) => [row.task.toLowerCase(), row]));
  for (const t of source.tasks) {
    const row = rows.get(t.task) ?? fail(`task ${t.task} missing`);
    const response = row.responses[0];
    const statuses = row.statuses.map((s) => Number(s.status)).join();
    if (
      row.publishedIn !== t.publishedIn ||
      row.attempts.length !== 1 ||
      statuses !== '0,1,2,5' ||
      row.responses.length !== 1 ||
      response?.response.toLowerCase() !== t.response ||
      response.statuses.map((s) => Number(s.status)).join() !== '0,1'
    )
      fail(`task ${t.task} incomplete (statuses ${statuses}, ${row.attempts.length} attempts)`);
  }
}

/**
 * viem: the same board written by hand with `getContractEvents`, one call per stream of
 * the board above (Registered and TaskPublished of the source; per task Attempted,
 * ResponseSubmitted and TaskStatusChanged from the task's block; per response
 * ResponseStatusChanged from its block), each filtered by `args` (client-side: the
 * events have no indexed parameters) and cut into `maxBlockRange` chunks as a public
 * endpoint's range limit demands (viem does not chunk). A task's calls start once the
 * source's TaskPublished history is read; all tasks' calls run concurrently.
 */
async function viemBoard(proxy: FaultyRpcProxy, chain: BoardChain): Promise<BoardRun> {
  const { source } = chain;
  const client = createPublicClient({ transport: http(proxy.url) });
  const address = chain.nexusAddress as `0x${string}`;
  const abi = nexusAbi as Abi;
  const read = async (eventName: string, args: Record<string, string>, from: number): Promise<unknown[]> => {
    const logs: unknown[] = [];
    for (let start = from; start <= chain.head; start += MAX_BLOCK_RANGE) {
      const toBlock = BigInt(Math.min(chain.head, start + MAX_BLOCK_RANGE - 1));
      logs.push(
        ...(await client.getContractEvents({ address, abi, eventName, args, fromBlock: BigInt(start), toBlock })),
      );
    }
    return logs;
  };
  const blockOf = (log: unknown): number => Number((log as { blockNumber: bigint }).blockNumber);
  const argsOf = (log: unknown): Record<string, string> => (log as { args: Record<string, string> }).args;
  const started = performance.now();
  const [providers, published] = await Promise.all([
    read('Registered', { source: source.source }, chain.fromBlock),
    read('TaskPublished', { source: source.source }, chain.fromBlock),
  ]);
  const perTask = await Promise.all(
    published.map(async (log) => {
      const task = argsOf(log)['task'] ?? '';
      const from = blockOf(log);
      const [attempts, submitted, statuses] = await Promise.all([
        read('Attempted', { task }, from),
        read('ResponseSubmitted', { task }, from),
        read('TaskStatusChanged', { task }, from),
      ]);
      const responseStatuses = await Promise.all(
        submitted.map((s) => read('ResponseStatusChanged', { response: argsOf(s)['response'] ?? '' }, blockOf(s))),
      );
      return 1 + attempts.length + submitted.length + statuses.length + responseStatuses.flat().length;
    }),
  );
  const ms = performance.now() - started;
  const events = providers.length + perTask.reduce((a, b) => a + b, 0);
  if (events !== expectedEvents(source))
    throw new Error(`viem's board got ${events} events, not ${expectedEvents(source)}`);
  const calls = await quiet(proxy);
  return { outcome: 'complete', ms, calls, getLogs: getLogsOf(calls), events, diagnostics: new Map() };
}

/** The floor: {@link oneReadChunks} sent one after another with fetch, answers parsed with JSON.parse. */
async function oneRead(chain: BoardChain): Promise<{ ms: number; logs: number }> {
  const started = performance.now();
  let logs = 0;
  let id = 0;
  for (const chunk of oneReadChunks(chain)) {
    const filter = {
      address: chain.nexusAddress.toLowerCase(),
      topics: [Object.values(NEXUS_EVENT_TOPICS)],
      fromBlock: `0x${chunk.fromBlock.toString(16)}`,
      toBlock: `0x${chunk.toBlock.toString(16)}`,
    };
    const response = await fetch(chain.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'eth_getLogs', params: [filter] }),
    });
    const answer = (await response.json()) as { result?: unknown[] };
    logs += answer.result?.length ?? 0;
  }
  return { ms: performance.now() - started, logs };
}

function measure(design: DesignKey, chain: BoardChain, budgetMs: number): Promise<BoardRun> {
  return withCountingProxy(chain.url, (proxy) => {
    switch (design) {
      case 'ogpu':
        return ogpuBoard(proxy, chain, false, budgetMs);
      case 'perStream':
        return ogpuBoard(proxy, chain, true, budgetMs);
      case 'viem':
        return viemBoard(proxy, chain);
    }
  });
}

/** Everything measured (or computed) for one board size. */
interface SizeResult {
  readonly n: number;
  readonly blocks: number;
  readonly logs: number;
  readonly txs: number;
  readonly setupMs: number;
  readonly oneRead: number;
  /** The per-stream reading's `eth_getLogs`, from the chain's layout. */
  readonly perStreamComputed: number;
  readonly runs: ReadonlyMap<DesignKey, readonly BoardRun[]>;
  /** The floor's time: one read with fetch + JSON.parse, ms, one per repeat. */
  readonly floorMs: readonly number[];
}

async function measureSize(n: number, repeats: number, budgetMs: number): Promise<SizeResult> {
  const chain = await buildBoardChain({ tasks: n, blocks: HISTORY_BLOCKS });
  try {
    const perStreamComputed = perStreamGetLogs(chain);
    const runs = new Map<DesignKey, BoardRun[]>(DESIGNS.map((d) => [d.key, []]));
    const stopped = new Set<DesignKey>();
    const floorMs: number[] = [];
    const runnable = DESIGNS.filter((d) => d.key === 'ogpu' || perStreamComputed <= BASELINE_RUN_LIMIT);
    for (let r = 0; r < repeats; r++) {
      // Designs in alternating order, so that a noisy moment of the machine does not always hit the same one.
      const order = r % 2 === 0 ? runnable : [...runnable].reverse();
      for (const design of order) {
        if (stopped.has(design.key)) continue;
        const result = await measure(design.key, chain, budgetMs);
        runs.get(design.key)?.push(result);
        if (result.outcome !== 'complete') stopped.add(design.key);
        process.stderr.write(
          `  boardHistory: ${design.label}, ${n} tasks, run ${r + 1}/${repeats}: ${result.getLogs} eth_getLogs, ` +
            `${result.calls.length} requests, ${(result.ms / 1000).toFixed(1)} s` +
            `${result.outcome === 'complete' ? '' : ` — ${result.outcome}, lacking ${result.missing ?? '?'}`}\n`,
        );
      }
      floorMs.push((await oneRead(chain)).ms);
    }
    return {
      n,
      blocks: chain.head - chain.fromBlock + 1,
      logs: chain.logs,
      txs: chain.txs,
      setupMs: chain.setupMs,
      oneRead: oneReadChunks(chain).length,
      perStreamComputed,
      runs,
      floorMs,
    };
  } finally {
    await chain.stop();
  }
}

export async function run(options: BenchOptions): Promise<BenchSection> {
  const sizes = options.quick ? [10, 100] : [10, 100, 1_000];
  const repeats = Math.max(1, options.repeats);
  const budgetMs = options.quick ? BUDGET_MS.quick : BUDGET_MS.full;
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await measureSize(n, repeats, budgetMs));
  return report(results, repeats, budgetMs, options);
}

// ---- the report -----------------------------------------------------------------------

const methodList = (calls: readonly FaultyRpcCall[]): string =>
  [...countByMethod(calls)].map(([method, n]) => `${method} ${n}`).join(', ');

/** The run with the median request count (the lower middle one for an even count). */
function medianRun(runs: readonly BoardRun[]): BoardRun | undefined {
  const sorted = [...runs].sort((a, b) => a.getLogs - b.getLogs || a.calls.length - b.calls.length);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function report(
  results: readonly SizeResult[],
  repeats: number,
  budgetMs: number,
  options: BenchOptions,
): BenchSection {
  const runsOf = (r: SizeResult, key: DesignKey): readonly BoardRun[] => r.runs.get(key) ?? [];
  const getLogs = (r: SizeResult, key: DesignKey): number | undefined => {
    const runs = runsOf(r, key);
    if (runs.length > 0) return median(runs.map((run) => run.getLogs));
    return key === 'ogpu' ? undefined : r.perStreamComputed;
  };
  const budget = `${budgetMs / 1000} s`;
  const cell = (r: SizeResult, key: DesignKey): string => {
    const runs = runsOf(r, key);
    if (runs.length === 0) return `${formatNumber(r.perStreamComputed)} computed`;
    const stopped = runs.find((run) => run.outcome !== 'complete');
    if (stopped !== undefined)
      return `${stopped.getLogs} (${stopped.calls.length}), ${stopped.outcome}: board incomplete`;
    return `${formatNumber(median(runs.map((run) => run.getLogs)))} (${formatNumber(median(runs.map((run) => run.calls.length)))})`;
  };
  const time = (r: SizeResult, key: DesignKey): string => {
    const runs = runsOf(r, key);
    if (runs.length === 0) return '—';
    const stopped = runs.find((run) => run.outcome !== 'complete');
    if (stopped !== undefined) return stopped.outcome === 'stalled' ? 'never' : `> ${budget}`;
    return `${(median(runs.map((run) => run.ms)) / 1000).toFixed(2)} s`;
  };
  const first = results[0];
  const blocks = first?.blocks ?? HISTORY_BLOCKS;
  const oneRead = first?.oneRead ?? Math.ceil(HISTORY_BLOCKS / MAX_BLOCK_RANGE);
  const sizes = results.map((r) => r.n);

  const rows = results.map((r) => {
    const ogpu = getLogs(r, 'ogpu') ?? Number.NaN;
    return [
      String(r.n),
      String(2 + 4 * r.n),
      String(r.oneRead),
      cell(r, 'ogpu'),
      cell(r, 'perStream'),
      cell(r, 'viem'),
      runsOf(r, 'ogpu').some((run) => run.outcome !== 'complete') ? '— (incomplete)' : formatRatio(ogpu / r.oneRead),
      time(r, 'ogpu'),
      time(r, 'perStream'),
      time(r, 'viem'),
    ];
  });

  const targets = results.map((r) => {
    const runs = runsOf(r, 'ogpu');
    const value = getLogs(r, 'ogpu') ?? Number.NaN;
    const stopped = runs.find((run) => run.outcome !== 'complete');
    return {
      target: `ogpu-events board of ${r.n} tasks: eth_getLogs ≤ ${TARGET_FACTOR}× one read of the history (${r.oneRead} chunks)`,
      measured:
        stopped === undefined
          ? `${formatNumber(value)} eth_getLogs = ${formatRatio(value / r.oneRead)} (runs: ${runs.map((run) => run.getLogs).join(', ')})`
          : `the board never completed (${stopped.outcome}, lacking ${stopped.missing ?? '?'}) after ${stopped.getLogs} eth_getLogs`,
      met: stopped === undefined && value <= TARGET_FACTOR * r.oneRead,
    };
  });

  // Sizes where the baselines were computed, not run, are named in the legend.
  const computedSizes = results.filter((r) => runsOf(r, 'perStream').length === 0).map((r) => r.n);
  const computedLegend = computedSizes.length > 0 ? ` (${computedSizes.join(', ')}: computed)` : '';
  const incompleteSizes = results
    .filter((r) => runsOf(r, 'ogpu').some((run) => run.outcome !== 'complete'))
    .map((r) => r.n);
  const incompleteLegend =
    incompleteSizes.length === 0
      ? ''
      : incompleteSizes.length === results.length
        ? ' (board incomplete)'
        : ` (incomplete at ${incompleteSizes.join(', ')})`;
  const svg = lineChartSvg({
    title: `eth_getLogs of a task board over ${blocks.toLocaleString('en-US')} blocks of history`,
    xLabel: 'tasks on the board',
    width: 860,
    legendWidth: 320,
    yLabel: 'eth_getLogs',
    xs: sizes.map(String),
    series: [
      { name: `ogpu-events${incompleteLegend}`, values: results.map((r) => getLogs(r, 'ogpu')), color: '#1f77b4' },
      {
        name: `per-stream reading${computedLegend}`,
        values: results.map((r) => getLogs(r, 'perStream')),
        color: '#d62728',
        marker: 'triangle',
      },
      {
        name: `viem, per task${computedLegend}`,
        values: results.map((r) => getLogs(r, 'viem')),
        color: '#ff7f0e',
        dashed: true,
        marker: 'diamond',
      },
      { name: 'one read', values: results.map((r) => r.oneRead), color: '#2ca02c', dashed: true, marker: 'square' },
      {
        name: `target: ${TARGET_FACTOR}× one read`,
        values: results.map((r) => TARGET_FACTOR * r.oneRead),
        color: '#7f7f7f',
        dashed: true,
        marker: 'circle',
      },
    ],
  });
  writeFileSync(join(__dirname, CHART_FILE), svg);

  const measuredBaselines = results.filter((r) => runsOf(r, 'perStream').length > 0);
  const breakdown = DESIGNS.map((d) => {
    const perSize = results
      .filter((r) => runsOf(r, d.key).length > 0)
      .map((r) => `${r.n}: ${methodList(medianRun(runsOf(r, d.key))?.calls ?? [])}`);
    return `**${d.label}** — ${perSize.length > 0 ? perSize.join('; ') : 'not run'}`;
  });
  const diagnostics = DESIGNS.flatMap((d) =>
    results.flatMap((r) =>
      runsOf(r, d.key)
        .filter((run) => run.diagnostics.size > 0)
        .map((run) => `${d.label} at ${r.n}: ${[...run.diagnostics].map(([kind, k]) => `${kind} × ${k}`).join(', ')}`),
    ),
  );
  const stoppedRuns = results.flatMap((r) =>
    DESIGNS.flatMap((d) =>
      runsOf(r, d.key)
        .filter((run) => run.outcome !== 'complete')
        .map(
          (run) =>
            `${d.label} at ${r.n} tasks: ${run.outcome} after ${(run.ms / 1000).toFixed(0)} s, ` +
            `${run.events.toLocaleString('en-US')} of ${(PROVIDERS_PER_SOURCE + r.n * LOGS_PER_TASK).toLocaleString('en-US')} ` +
            `events delivered (lacking ${run.missing ?? '?'}), ${methodList(run.calls)}`,
        ),
    ),
  );

  return {
    title: `Task board over ${blocks.toLocaleString('en-US')} blocks of history: requests vs tasks`,
    method: [
      `For each board size N, an anvil chain (MockNexus) holding one source's history over`,
      `${blocks.toLocaleString('en-US')} blocks: ${PROVIDERS_PER_SOURCE} providers registered in the first block, then N`,
      `tasks published at evenly spread blocks, each followed by an attempt, a response and its confirmation 1–50`,
      `blocks apart (${LOGS_PER_TASK} logs per task: TaskPublished, Attempted, ResponseSubmitted, 2`,
      `ResponseStatusChanged, 4 TaskStatusChanged); every task and response address is new, as on the real chain;`,
      `the last blocks are empty. The board is the one of examples/taskBoard.ts (\`boardEvents$\`):`,
      `\`registered$\` and \`taskPublished$\` of the source from the first block, and for each task as it arrives,`,
      `from the block it was published in, \`taskStatusChanged$\`, \`attempted$\` and \`responseSubmitted$\`, and`,
      `for each response, from its block, \`responseStatusChanged$\` (2 + 4N streams, all \`withRemovals\`).`,
      `Every run goes through a new counting proxy (spec/support/FaultyRpcProxy, no faults) in front of anvil and`,
      `lasts until the board holds every event of its source (checked afterwards by folding them with the`,
      `example's \`applyEvent\`: each task published in its block with 1 attempt, statuses NEW, ATTEMPTED,`,
      `RESPONDED, FINALIZED, 1 response SUBMITTED then CONFIRMED) and no \`eth_getLogs\` was sent for`,
      `${QUIET_MS / 1000} s more; a run still incomplete after ${budget}, or with no event delivered and no`,
      `\`eth_getLogs\` sent or pending for ${STALL_MS / 1000} s (stalled), is stopped, reported with what it lacked,`,
      `and its design not run again at that size. Cells: \`eth_getLogs\` (all requests), median of ${repeats} run${repeats === 1 ? '' : 's'}.`,
      `**ogpu-events**: one \`createNexusEvents({ rpcUrl, address })\` client with its defaults (maxBlockRange`,
      `${MAX_BLOCK_RANGE}, pollInterval 2 s): the library of this checkout, whatever it shares.`,
      `**per-stream reading**: the same board, but every stream from a client of its own — an emulation of the`,
      `library before its streams shared history reads, kept as the baseline: each stream reads`,
      `\`[its fromBlock, head]\` for its own topic in ${MAX_BLOCK_RANGE}-block chunks; every client also sends its`,
      `own \`eth_getCode\` and head request, which one client sends once, so compare \`eth_getLogs\`. Its count is`,
      `known from the chain's layout (the sum of each stream's chunks): where that exceeds`,
      `${BASELINE_RUN_LIMIT.toLocaleString('en-US')} the baselines are not run and the cell says "computed".`,
      `**viem** getContractEvents per task: the same streams written by hand, one \`getContractEvents({ eventName,`,
      `args })\` per stream in ${MAX_BLOCK_RANGE}-block chunks (viem does not chunk; public endpoints cap the range);`,
      `same count as the per-stream reading by construction. **one read**: the whole history once, \`eth_getLogs\``,
      `for the six topics in ${MAX_BLOCK_RANGE}-block chunks (ceil(${blocks} / ${MAX_BLOCK_RANGE}) = ${oneRead}), the floor.`,
    ].join(' '),
    headers: [
      'tasks',
      'streams',
      'one read',
      'ogpu-events',
      'per-stream reading',
      'viem per task',
      'ogpu-events ÷ one read',
      'ogpu-events time',
      'per-stream time',
      'viem time',
    ],
    rows,
    targets,
    notes: [
      ...(stoppedRuns.length > 0 ? [`Stopped runs: ${stoppedRuns.join('; ')}.`] : []),
      `Requests by method, median run — ${breakdown.join('. ')}.`,
      measuredBaselines.length > 0
        ? `The per-stream count computed from the chain's layout vs measured: ${measuredBaselines
            .map(
              (r) =>
                `${r.n} tasks: ${r.perStreamComputed} computed, ${formatNumber(getLogs(r, 'perStream') ?? Number.NaN)} ` +
                `measured (a client per stream), ${formatNumber(getLogs(r, 'viem') ?? Number.NaN)} (viem)`,
            )
            .join('; ')}` + (computedSizes.length > 0 ? `; at ${computedSizes.join(', ')} tasks only computed.` : '.')
        : 'The per-stream baselines were not run.',
      [
        `All requests count from subscribing until the board was quiet (${QUIET_MS / 1000} s without eth_getLogs after`,
        `it was complete), so they include the idle poll ticks of that time (ogpu-events: one head request per 2 s).`,
      ].join(' '),
      [
        `Times run from subscribing until the board held its last event, median of ${repeats}. The machine is shared`,
        `(2 cores, other work running): read the request counts first and the times as ratios. The proxy runs in`,
        `the bench's process, on the same event loop as the clients. One read of the whole history with fetch and`,
        `JSON.parse (no decoding) took ${results.map((r) => `${formatNumber(median(r.floorMs), 0)} ms (${r.n} tasks)`).join(', ')}.`,
      ].join(' '),
      [
        `viem per task is fair as a count of what a hand-written board of this shape costs (the calls a per-stream`,
        `library makes; it waits for the TaskPublished history before reading the tasks', where a stream starts each`,
        `task's reads as it arrives). A viem user who knows the pattern would rather read every event once`,
        `(getContractEvents without eventName, chunked) and fold in memory: the one-read floor.`,
      ].join(' '),
      [
        `Each answer of the per-stream reading holds every log of its topic from its stream's block on (the events`,
        `have no indexed parameter, so nodes cannot filter by task): its volume grows with N², not only its count.`,
        `On the real Nexus the answers also hold every other source's logs.`,
      ].join(' '),
      diagnostics.length === 0
        ? 'No run reported a diagnostic (no retries, splits, reorgs, lagging nodes or undecodable logs).'
        : `Diagnostics reported: ${diagnostics.join('; ')}.`,
      `Setup (not measured): ${results
        .map(
          (r) =>
            `${r.n} tasks: ${(r.setupMs / 1000).toFixed(1)} s, ${r.txs.toLocaleString('en-US')} transactions, ` +
            `${r.logs.toLocaleString('en-US')} logs`,
        )
        .join('; ')} (anvil start, MockNexus deployment, history written with automine off, read back and checked).`,
      ...(options.quick ? ['Quick run: boards of 10 and 100 tasks only.'] : []),
    ],
    files: [CHART_FILE],
  };
}
