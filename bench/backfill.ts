/**
 * Backfill end to end from anvil: a stream with `fromBlock` far back, against the floor of
 * the same `eth_getLogs` requests sent one after another with `fetch` + `JSON.parse`, on two
 * workloads: every event naming a new address (as on the real chain), and one task's events.
 *
 * Run alone: npm run bench -- --only backfill [--quick]
 */
import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { type Observable, take, tap } from 'rxjs';
import { FaultyRpcProxy } from '../spec/support/FaultyRpcProxy';
import { type NexusEvent, type NexusEvents, createNexusEvents } from '../src/index';
import type { BenchOptions, BenchSection } from './BenchSection';
import { flushOgpuChecksumCache } from './support/addressCaches';
import { type BackfillChain, type BackfillWorkload, buildBackfillChain } from './support/backfillChain';
import { formatRatio, median } from './support/stats';

/** The client's default request timeout, as the ethers reference's HTTP timeout. */
const REQUEST_TIMEOUT = 10_000;
/** Target on the fresh-address workload: ogpu-events end to end ≤ this × the sequential fetch floor. */
const TARGET_RATIO = 1.1;
/** A run with no new event for this long has stalled. */
const STALL_MS = 30_000;

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The two workloads, fresh addresses first: the target is on it. */
interface Workload {
  readonly key: BackfillWorkload;
  readonly label: string;
  /** The stream that reads the history, as an application would call it. */
  readonly call: string;
  readonly stream: (nexus: NexusEvents, chain: BackfillChain) => Observable<NexusEvent>;
}

export const WORKLOADS: readonly Workload[] = [
  {
    key: 'freshTasks',
    label: 'fresh addresses',
    call: 'taskPublished$(source, { fromBlock })',
    stream: (nexus, chain) => nexus.taskPublished$(chain.scope, { fromBlock: chain.fromBlock }),
  },
  {
    key: 'oneTask',
    label: 'one task',
    call: 'taskStatusChanged$(task, { fromBlock })',
    stream: (nexus, chain) => nexus.taskStatusChanged$(chain.scope, { fromBlock: chain.fromBlock }),
  },
];

/** What one backfill read. */
export interface BackfillRun {
  readonly ms: number;
  /** CPU time of this process (user + system) during the run, ms: the client's own work, without anvil's. */
  readonly cpuMs: number;
  readonly events: number;
  /** Last event's position, for a consistency check between the paths. */
  readonly last: { readonly blockNumber: number; readonly logIndex: number } | undefined;
  /** Bytes of the answers' bodies (fetch floor only). */
  readonly bytes?: number;
}

/**
 * The transport the client builds for an `rpcUrl`, as closely as ethers can: static
 * network, one JSON-RPC object per HTTP request, the default request timeout as HTTP
 * timeout, no ethers 429 retry.
 */
function clientLikeProvider(url: string): JsonRpcProvider {
  const network = new Network('custom', 0n);
  const request = new FetchRequest(url);
  request.timeout = REQUEST_TIMEOUT;
  request.retryFunc = () => Promise.resolve(false);
  return new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
}

type Send = (params: unknown) => Promise<unknown>;

/**
 * Sends `requests` (the params of each `eth_getLogs` ogpu-events made, in its order) one
 * after another, the next once the previous answer is in, and counts the logs of the
 * answers (each position once, should ogpu-events have read a block twice).
 */
async function replay(send: Send, requests: readonly unknown[]): Promise<Omit<BackfillRun, 'ms' | 'cpuMs'>> {
  const seen = new Set<string>();
  let last: BackfillRun['last'];
  for (const params of requests) {
    const logs = (await send(params)) as { blockNumber: string; logIndex: string }[];
    for (const log of logs) {
      seen.add(`${log.blockNumber}:${log.logIndex}`);
      const position = {
        blockNumber: Number.parseInt(log.blockNumber, 16),
        logIndex: Number.parseInt(log.logIndex, 16),
      };
      if (
        last === undefined ||
        position.blockNumber > last.blockNumber ||
        (position.blockNumber === last.blockNumber && position.logIndex > last.logIndex)
      )
        last = position;
    }
  }
  return { events: seen.size, last };
}

/**
 * The floor: the same requests as ogpu-events, sequential, with Node's `fetch` and
 * `TextDecoder` + `JSON.parse` (what `Response.json()` does: native UTF-8 decoding), the
 * answers only counted.
 */
export async function fetchFloor(url: string, requests: readonly unknown[]): Promise<BackfillRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let id = 0;
  let bytes = 0;
  const read = await replay(async (params) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'eth_getLogs', params }),
    });
    // What Response.json() does, with the body's size at hand.
    const body = await response.arrayBuffer();
    bytes += body.byteLength;
    const answer = JSON.parse(new TextDecoder().decode(body)) as { result?: unknown; error?: unknown };
    if (answer.error !== undefined) throw new Error(`eth_getLogs failed: ${JSON.stringify(answer.error)}`);
    return answer.result;
  }, requests);
  return { ms: performance.now() - started, cpuMs: cpuSince(cpu), ...read, bytes };
}

/** A reference row: the same requests, sequential, through ethers `JsonRpcProvider.send`. */
export async function ethersSend(url: string, requests: readonly unknown[]): Promise<BackfillRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const provider = clientLikeProvider(url);
  try {
    const read = await replay((params) => provider.send('eth_getLogs', params as unknown[]), requests);
    return { ms: performance.now() - started, cpuMs: cpuSince(cpu), ...read };
  } finally {
    provider.destroy();
  }
}

/**
 * ogpu-events end to end: a client for `url` (as a user would create it), then the
 * workload's stream with `fromBlock` until its last event. With `checkOrder`, every event
 * must come strictly after the previous one in chain order (no repeat).
 */
export async function ogpuBackfill(
  url: string,
  chain: BackfillChain,
  workload: Workload,
  checkOrder = false,
): Promise<BackfillRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const nexus = createNexusEvents({ rpcUrl: url, address: chain.nexusAddress });
  let events = 0;
  let lastBlock = -1;
  let lastIndex = -1;
  await new Promise<void>((resolve, reject) => {
    // Fewer events than expected would wait forever for more: a watchdog (not rxjs
    // `timeout`, whose per-event timer would be the bench's cost, not the library's).
    let seen = -1;
    const watchdog = setInterval(() => {
      if (events !== seen) {
        seen = events;
        return;
      }
      subscription.unsubscribe();
      clearInterval(watchdog);
      reject(new Error(`ogpu-events stalled after ${events} of ${chain.events} events`));
    }, STALL_MS);
    const events$ = workload.stream(nexus, chain).pipe(take(chain.events));
    // An error thrown in an operator fails the stream (one thrown in `next` would not).
    const ordered = tap((e: NexusEvent) => {
      if (e.blockNumber < lastBlock || (e.blockNumber === lastBlock && e.logIndex <= lastIndex))
        throw new Error(`event ${events + 1} at ${e.blockNumber}/${e.logIndex} is out of order or repeated`);
    });
    const subscription = (checkOrder ? events$.pipe(ordered) : events$).subscribe({
      next: (e) => {
        events += 1;
        lastBlock = e.blockNumber;
        lastIndex = e.logIndex;
      },
      error: (error: unknown) => {
        clearInterval(watchdog);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
      complete: () => {
        clearInterval(watchdog);
        resolve();
      },
    });
  });
  return {
    ms: performance.now() - started,
    cpuMs: cpuSince(cpu),
    events,
    last: { blockNumber: lastBlock, logIndex: lastIndex },
  };
}

function sameLast(a: BackfillRun, b: BackfillRun): boolean {
  return a.last?.blockNumber === b.last?.blockNumber && a.last?.logIndex === b.last?.logIndex;
}

function methodCounts(proxy: FaultyRpcProxy): string {
  const counts = new Map<string, number>();
  for (const call of proxy.calls) counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
  return [...counts].map(([method, n]) => `${method} × ${n}`).join(', ');
}

/** What the counting pass learnt: the requests to replay, and how they compare. */
interface Recorded {
  /** The params of every `eth_getLogs` ogpu-events made, in order. */
  readonly requests: readonly unknown[];
  /** Its requests by method. */
  readonly methods: string;
  /** Distinct `eth_getLogs` filters: repeats, if any, are re-reads. */
  readonly distinct: number;
  /** Whether two of them were seen in flight at once (the proxy's calls, sampled every millisecond). */
  readonly overlapping: boolean;
  readonly bytes: number | undefined;
}

/**
 * One untimed ogpu-events pass through a FaultyRpcProxy with no faults (doubles as a
 * warm-up): records its `eth_getLogs`, whatever their shape (topics, chunks, order), for
 * the floor and the reference to replay, and checks what each path read.
 */
async function record(chain: BackfillChain, workload: Workload): Promise<Recorded> {
  const proxy = await new FaultyRpcProxy(chain.url, { rate: 0 }).start();
  try {
    // Was a request already answered when the next one arrived? The proxy marks a call's
    // outcome when its answer is ready, so a pending call at arrival means overlap.
    let overlapping = false;
    const watch = setInterval(() => {
      const getLogs = proxy.calls.filter((c) => c.method === 'eth_getLogs');
      if (getLogs.filter((c) => c.outcome === 'pending').length > 1) overlapping = true;
    }, 1);
    const ogpu = await ogpuBackfill(proxy.url, chain, workload, true).finally(() => clearInterval(watch));
    const getLogs = proxy.calls.filter((c) => c.method === 'eth_getLogs');
    const requests = getLogs.map((c) => c.params);
    const methods = methodCounts(proxy);
    proxy.reset();
    const floor = await fetchFloor(proxy.url, requests);
    const reference = await ethersSend(proxy.url, requests);
    if (ogpu.events !== chain.events) throw new Error(`ogpu-events emitted ${ogpu.events} events, not ${chain.events}`);
    for (const [name, run] of [
      ['fetch', floor],
      ['ethers', reference],
    ] as const) {
      if (run.events !== chain.events)
        throw new Error(`the ${name} replay read ${run.events} logs, not ${chain.events}`);
      if (!sameLast(run, ogpu))
        throw new Error(`the last event of ogpu-events is not the last log of the ${name} replay`);
    }
    return {
      requests,
      methods,
      distinct: new Set(requests.map((params) => JSON.stringify(params))).size,
      overlapping,
      bytes: floor.bytes,
    };
  } finally {
    await proxy.stop();
  }
}

type Path = 'floor' | 'ogpu' | 'ethers';

interface WorkloadResult {
  readonly workload: Workload;
  readonly chain: ChainSummary;
  readonly recorded: Recorded;
  readonly runs: Readonly<Record<Path, readonly BackfillRun[]>>;
  /** Never-seen addresses pushed through the checksum cache before each ogpu-events run (0: none). */
  readonly flushed: number;
}

/** What the report says of a chain, once it is stopped. */
type ChainSummary = Pick<
  BackfillChain,
  'workload' | 'events' | 'fromBlock' | 'head' | 'blocksWithEvents' | 'maxEventsPerBlock' | 'setupMs'
>;

function summary(chain: BackfillChain): ChainSummary {
  const { workload, events, fromBlock, head, blocksWithEvents, maxEventsPerBlock, setupMs } = chain;
  return { workload, events, fromBlock, head, blocksWithEvents, maxEventsPerBlock, setupMs };
}

async function measureWorkload(workload: Workload, options: BenchOptions): Promise<WorkloadResult> {
  const size = options.quick ? { events: 10_000, blocks: 5_000 } : { events: 100_000, blocks: 50_000 };
  const built = await buildBackfillChain({ workload: workload.key, ...size });
  try {
    const recorded = await record(built, workload);
    const runs: Record<Path, BackfillRun[]> = { floor: [], ogpu: [], ethers: [] };
    let flushed = 0;
    const measure: Record<Path, () => Promise<BackfillRun>> = {
      floor: () => fetchFloor(built.url, recorded.requests),
      ogpu: () => {
        // Untimed: the tasks read before (counting pass, earlier runs) must be new to the client again.
        if (workload.key === 'freshTasks') flushed = flushOgpuChecksumCache();
        return ogpuBackfill(built.url, built, workload);
      },
      ethers: () => ethersSend(built.url, recorded.requests),
    };
    for (let i = 0; i < options.repeats; i++) {
      // The pair compared (floor, ogpu-events) is always adjacent, in alternating order; the reference at either end.
      const order = i % 2 === 0 ? (['floor', 'ogpu', 'ethers'] as const) : (['ethers', 'ogpu', 'floor'] as const);
      for (const path of order) {
        const r = await measure[path]();
        if (r.events !== built.events) throw new Error(`${path} read ${r.events} events, not ${built.events}`);
        runs[path].push(r);
      }
    }
    return { workload, chain: summary(built), recorded, runs, flushed };
  } finally {
    await built.stop();
  }
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const rate = (events: number, millis: number): string =>
  `${Math.round(events / (millis / 1000)).toLocaleString('en-US')} events/s`;

export async function run(options: BenchOptions): Promise<BenchSection> {
  const results: WorkloadResult[] = [];
  for (const workload of WORKLOADS) results.push(await measureWorkload(workload, options));

  const stats = (r: WorkloadResult, path: Path) => ({
    wall: median(r.runs[path].map((x) => x.ms)),
    cpu: median(r.runs[path].map((x) => x.cpuMs)),
    best: Math.min(...r.runs[path].map((x) => x.ms)),
    list: r.runs[path].map((x) => x.ms.toFixed(0)).join(', '),
  });
  const ratio = (r: WorkloadResult, path: Path): number => stats(r, 'ogpu').wall / stats(r, path).wall;
  const rows: string[][] = [];
  for (const r of results) {
    const row = (path: Path, name: string): string[] => {
      const s = stats(r, path);
      return [
        r.workload.label,
        name,
        ms(s.wall),
        rate(r.chain.events, s.wall),
        ms(s.cpu),
        String(r.recorded.requests.length),
        s.list,
      ];
    };
    const floor = stats(r, 'floor');
    const ogpu = stats(r, 'ogpu');
    const ethers = stats(r, 'ethers');
    rows.push(
      row('floor', 'floor: the same eth_getLogs, sequential, fetch() + JSON.parse'),
      row('ogpu', `ogpu-events ${r.workload.call}, end to end`),
      [
        r.workload.label,
        'ratio ogpu-events / fetch floor (headline)',
        formatRatio(ratio(r, 'floor')),
        '',
        formatRatio(ogpu.cpu / floor.cpu),
        '',
        '',
      ],
      row('ethers', 'reference: the same eth_getLogs through ethers JsonRpcProvider.send'),
      [
        r.workload.label,
        'ratio ogpu-events / ethers send',
        formatRatio(ratio(r, 'ethers')),
        '',
        formatRatio(ogpu.cpu / ethers.cpu),
        '',
        '',
      ],
    );
  }

  const fresh = results.find((r) => r.workload.key === 'freshTasks');
  const freshRatio = fresh === undefined ? Number.NaN : ratio(fresh, 'floor');
  const describe = (r: WorkloadResult): string => {
    const c = r.chain;
    const what =
      c.workload === 'freshTasks'
        ? `TaskPublished events of one source, each naming a task address never seen before ` +
          `(bench/support/FreshTaskNexus.sol: keccak256(salt, i), a new random salt per transaction), read with ` +
          `\`${r.workload.call}\``
        : `TaskStatusChanged events of one task (MockNexus \`emitManyStatuses\`), read with \`${r.workload.call}\``;
    return (
      `**${r.workload.label}**: ${c.events.toLocaleString('en-US')} ${what}, in ${c.blocksWithEvents.toLocaleString('en-US')} ` +
      `blocks spread over ${(c.head - c.fromBlock + 1).toLocaleString('en-US')} (${c.fromBlock}–${c.head}; at most ` +
      `${c.maxEventsPerBlock} per block)`
    );
  };
  const notes: string[] = [];
  for (const r of results) {
    const floor = stats(r, 'floor');
    const ogpu = stats(r, 'ogpu');
    const ethers = stats(r, 'ethers');
    const perChunk =
      r.recorded.requests.length > 0 ? (r.recorded.bytes ?? Number.NaN) / r.recorded.requests.length : Number.NaN;
    notes.push(
      `**${r.workload.label}** — setup (not measured) ${(r.chain.setupMs / 1000).toFixed(1)} s; ogpu-events' requests in ` +
        `the counting pass: ${r.recorded.methods} (${r.recorded.distinct} distinct eth_getLogs filters, sent ` +
        `${r.recorded.overlapping ? 'with several in flight at once' : 'with no two seen in flight at once'}; the floor and the reference ` +
        `replay them one at a time); ~${(perChunk / 1e6).toFixed(1)} MB per answer. Best of ${options.repeats}: floor ` +
        `${ms(floor.best)}, ogpu-events ${ms(ogpu.best)} (${formatRatio(ogpu.best / floor.best)}), ethers ${ms(ethers.best)}.`,
    );
  }
  notes.push(
    'Every run is checked: as many events from ogpu-events as logs on the chain, and in the counting pass in strictly ' +
      'increasing (block, log index) order, its last event the last log of both replays.',
    `Fresh addresses: before each timed ogpu-events run, ${(fresh?.flushed ?? 0).toLocaleString('en-US')} never-seen ` +
      `addresses go through the library's checksum cache (untimed), so that the tasks read before (counting pass, ` +
      `earlier runs) are new to the client again and the cache is full and evicting, as in a long-running process on ` +
      `the real chain: every event costs one EIP-55 checksum and one eviction.`,
    "Client CPU is this process's user + system time during a run (process.cpuUsage); anvil works in another " +
      'process. The floor is sequential: client work (parsing) adds to its wall time, as it does for a reader that ' +
      'requests the next range only after processing the last. Contention only ever adds time, so on a busy machine ' +
      'the best runs and the CPU ratios are steadier than the medians.',
    "The ethers reference is slow mostly because FetchResponse.bodyJson decodes each answer's UTF-8 in JavaScript " +
      '(toUtf8String: an array of code points, then String.fromCharCode per character) before JSON.parse, ' +
      '~100–300 ms per answer of a few MB where TextDecoder takes ~1 ms: a ratio to it says more about ethers than ' +
      'about the library, hence the fetch floor as the headline.',
  );
  if (options.quick) notes.push('Quick run: 10k events over 5k blocks per workload instead of 100k over 50k.');

  return {
    title: 'Backfill end to end from anvil vs the sequential fetch floor of the same requests',
    method:
      `Two anvil chains (Cancun, historical states pruned), one per workload: ${results.map(describe).join('; ')}. ` +
      `On each, ogpu-events first reads the whole history once through a counting proxy ` +
      `(spec/support/FaultyRpcProxy, no faults; untimed, also a warm-up), which records its \`eth_getLogs\` requests ` +
      `exactly (filters, chunks, order). Then ${options.repeats} timed run(s) of each path, in alternating order, ` +
      `straight to anvil (median reported): **floor** — the recorded \`eth_getLogs\` sent one after another with ` +
      `Node's fetch, each answer decoded with TextDecoder and parsed with JSON.parse, its logs counted; ` +
      `**ogpu-events** — \`createNexusEvents({ rpcUrl, address })\` and the workload's stream with \`take(n)\` until ` +
      `the last event (the library's own transport, which reads the usual eth_getLogs answer straight from its ` +
      `bytes rather than through TextDecoder and JSON.parse; validation, scope match, dedupe, decoding, checksums, ` +
      `frozen events; whatever it overlaps); **reference** — the recorded requests through ethers ` +
      `\`JsonRpcProvider.send\` (staticNetwork, batchMaxCount 1). The headline is ogpu-events' wall time over the floor's.`,
    headers: ['workload', 'path', 'median time', 'throughput', 'client CPU (median)', 'eth_getLogs', 'runs (ms)'],
    rows,
    targets: [
      {
        target: `fresh addresses: ogpu-events backfill ≤ ${TARGET_RATIO}× the sequential fetch floor of the same requests`,
        measured: `${formatRatio(freshRatio)}`,
        met: freshRatio <= TARGET_RATIO,
      },
    ],
    notes,
  };
}
