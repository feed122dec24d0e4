import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonRpcProvider, Network } from 'ethers';
import { createNexusEvents, NEXUS_EVENT_TOPICS } from 'ogpu-events';
import type { Subscription } from 'rxjs';
import { type Abi, createPublicClient, http } from 'viem';
import nexusAbi from '../spec/fixtures/NexusAbi.json';
import type { FaultyRpcCall, FaultyRpcProxy } from '../spec/support/FaultyRpcProxy';
import type { BenchOptions, BenchSection } from './BenchSection';
import { lineChartSvg } from './report';
import { type TestChain, countByMethod, randomAddress, withChain, withCountingProxy } from './support/chain';
import { naiveWatch } from './support/naiveWatcher';
import { formatNumber, formatRatio, median, range } from './support/stats';
import { sleep, sleepUntil } from './support/time';

/** Poll interval of every design, in ms. */
const POLL_INTERVAL = 200;
/** Intervals after subscribing counted as start-up. */
const STARTUP_TICKS = 2;
/** Intervals without new blocks measured after start-up (idle ticks, the cheap kind). */
const IDLE_TICKS = 3;
/** The longest the start-up or the idle phase may last, ms. */
const PHASE_CAP_MS = 60_000;
/** The longest the window may last, ms (a design the machine cannot keep up with makes fewer ticks). */
const WINDOW_CAP_MS = 180_000;
/** The longest to wait after the window for the last events to be delivered, ms. */
const DELIVERY_CAP_MS = 30_000;

const CHART_FILE = 'requests-per-tick.svg';

type DesignKey = 'ogpu' | 'viem' | 'viemNoFilters' | 'naive';

/** What a running design reports back. */
interface RunningDesign {
  /** Events delivered to the watcher of their task (summed over watchers). */
  delivered(): number;
  /** Errors its watchers reported. */
  errors(): number;
  /** Unsubscribes every watcher and waits until they stopped. */
  stop(): Promise<void>;
}

interface StartParameters {
  readonly url: string;
  readonly address: string;
  readonly tasks: readonly string[];
  readonly pollInterval: number;
}

interface Design {
  readonly key: DesignKey;
  readonly label: string;
  start(parameters: StartParameters): RunningDesign;
  /** Whether a call starts one poll tick of one of the design's poll loops. */
  isTickStart(call: FaultyRpcCall): boolean;
  /** How many independent poll loops the design runs for `n` watchers, from its start-up calls. */
  loops(n: number, startup: readonly FaultyRpcCall[]): number;
}

/** ogpu-events: one client, N streams sharing its poller. */
const ogpuEvents: Design = {
  key: 'ogpu',
  label: 'ogpu-events',
  start({ url, address, tasks, pollInterval }) {
    const nexus = createNexusEvents({ rpcUrl: url, address, pollInterval });
    let delivered = 0;
    let errors = 0;
    const subscriptions: Subscription[] = tasks.map((task) =>
      nexus.taskStatusChanged$(task).subscribe({
        next: (event) => {
          if (event.task === task) delivered++;
        },
        error: () => errors++,
      }),
    );
    return {
      delivered: () => delivered,
      errors: () => errors,
      stop: async () => {
        for (const subscription of subscriptions) subscription.unsubscribe();
        await sleep(pollInterval); // let a request in flight land before the proxy goes
      },
    };
  },
  isTickStart: (call) =>
    call.method === 'eth_blockNumber' ||
    (call.method === 'eth_getBlockByNumber' && Array.isArray(call.params) && call.params[0] === 'latest'),
  loops: () => 1,
};

/** A fetch that answers `eth_newFilter` itself with "method not found", as nodes without filters do. */
const fetchWithoutFilters: typeof fetch = async (input, init) => {
  const body = typeof init?.body === 'string' ? init.body : '';
  if (!body.includes('"eth_newFilter"')) return fetch(input, init);
  const { id } = JSON.parse(body) as { id?: unknown };
  const error = { code: -32601, message: 'the method eth_newFilter does not exist/is not available' };
  return new Response(JSON.stringify({ jsonrpc: '2.0', id, error }), {
    headers: { 'content-type': 'application/json' },
  });
};

/**
 * viem: one public client, N `watchContractEvent`s, each filtering the logs by task in
 * `onLogs`. `filters: false` puts it in front of a node without `eth_newFilter`.
 */
function viemDesign(filters: boolean): Design {
  return {
    key: filters ? 'viem' : 'viemNoFilters',
    label: filters ? 'viem' : 'viem, no filters',
    start({ url, address, tasks, pollInterval }) {
      const client = filters
        ? createPublicClient({ transport: http(url) })
        : // Without filters viem reads the head with getBlockNumber, cached for the client's
          // pollingInterval (default 4 s): the client gets the watchers' interval.
          createPublicClient({ transport: http(url, { fetchFn: fetchWithoutFilters }), pollingInterval: pollInterval });
      let delivered = 0;
      let errors = 0;
      const unwatchers = tasks.map((task) => {
        const word = task.toLowerCase();
        return client.watchContractEvent({
          address: address as `0x${string}`,
          abi: nexusAbi as Abi,
          eventName: 'TaskStatusChanged',
          pollingInterval: pollInterval,
          onLogs: (logs) => {
            for (const log of logs) {
              const args = (log as unknown as { args?: { task?: string } }).args;
              if (args?.task?.toLowerCase() === word) delivered++;
            }
          },
          onError: () => errors++,
        });
      });
      return {
        delivered: () => delivered,
        errors: () => errors,
        stop: async () => {
          for (const unwatch of unwatchers) unwatch();
          await sleep(pollInterval); // the last unwatch uninstalls the filter, asynchronously
        },
      };
    },
    isTickStart: (call) => call.method === 'eth_getFilterChanges' || call.method === 'eth_blockNumber',
    // Watchers with the same parameters share one poll loop (viem's `observe`): one per filter.
    loops: (_n, startup) => Math.max(1, startup.filter((call) => call.method === 'eth_newFilter').length),
  };
}

/** The Python SDK's design: every watcher polls on its own (bench/support/naiveWatcher.ts). */
const naive: Design = {
  key: 'naive',
  label: 'naive poller',
  start({ url, address, tasks, pollInterval }) {
    const network = Network.from(31337);
    // One provider for all watchers (as one web3 instance would be); requests stay per watcher.
    const provider = new JsonRpcProvider(url, network, { staticNetwork: network, batchMaxCount: 1 });
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // every sleeping watcher listens to it
    let delivered = 0;
    let errors = 0;
    const loops = tasks.map(async (task) => {
      const watcher = naiveWatch({
        provider,
        address,
        topic0: NEXUS_EVENT_TOPICS.TaskStatusChanged,
        scope: task,
        scopeWord: 0,
        pollInterval,
        signal: controller.signal,
        onError: () => errors++,
      });
      while (!(await watcher.next()).done) delivered++;
    });
    return {
      delivered: () => delivered,
      errors: () => errors,
      stop: async () => {
        controller.abort();
        await Promise.allSettled(loops);
        provider.destroy();
      },
    };
  },
  isTickStart: (call) => call.method === 'eth_blockNumber',
  loops: (n) => n,
};

const DESIGNS: readonly Design[] = [ogpuEvents, viemDesign(true), viemDesign(false), naive];

/** One run of one design at one size. */
interface Measurement {
  readonly startupCalls: number;
  readonly startupByMethod: Map<string, number>;
  readonly idlePerTick: number;
  readonly activePerTick: number;
  readonly activeByMethod: Map<string, number>;
  /** Observed poll ticks per loop per poll interval during the window (1 = on time). */
  readonly tickRate: number;
  /** How long the window lasted, in poll intervals. */
  readonly windowIntervals: number;
  readonly loops: number;
  /** False when a phase hit its time cap. */
  readonly onTime: boolean;
  readonly delivered: number;
  readonly emitted: number;
  readonly errors: number;
}

/**
 * Calls per tick over `calls[from, to)`, counted from the first tick start at or after
 * `from` to the first one at or after `to`, so that a tick is counted with all its calls.
 */
function perTick(
  calls: readonly FaultyRpcCall[],
  from: number,
  to: number,
  design: Design,
  loops: number,
): { perTick: number; ticks: number; byMethod: Map<string, number> } {
  const firstTickAtOrAfter = (index: number): number => {
    for (let i = index; i < calls.length; i++) {
      const call = calls[i];
      if (call !== undefined && design.isTickStart(call)) return i;
    }
    return calls.length;
  };
  const start = firstTickAtOrAfter(from);
  const end = Math.max(start, firstTickAtOrAfter(to));
  const span = calls.slice(start, end);
  const ticks = span.filter((call) => design.isTickStart(call)).length / loops;
  const byMethod = countByMethod(span);
  for (const [method, count] of byMethod) byMethod.set(method, ticks > 0 ? count / ticks : Number.NaN);
  return { perTick: ticks > 0 ? span.length / ticks : Number.NaN, ticks, byMethod };
}

/** Counts the tick starts of `design` among the proxy's calls from index `from` on, incrementally. */
function tickCounter(proxy: FaultyRpcProxy, design: Design, from: number): () => number {
  let index = from;
  let ticks = 0;
  return () => {
    const calls = proxy.calls;
    for (; index < calls.length; index++) {
      const call = calls[index];
      if (call !== undefined && design.isTickStart(call)) ticks++;
    }
    return ticks;
  };
}

/**
 * Waits until `minMs` have passed and `done()` holds, checking every quarter interval; gives
 * up after `capMs` (returns false then).
 */
async function waitUntil(done: () => boolean, minMs: number, capMs: number): Promise<boolean> {
  const start = performance.now();
  await sleepUntil(start + minMs);
  while (!done()) {
    if (performance.now() - start > capMs) return false;
    await sleep(POLL_INTERVAL / 4);
  }
  return true;
}

async function measure(chain: TestChain, design: Design, n: number, windowTicks: number): Promise<Measurement> {
  return withCountingProxy(chain.url, async (proxy) => {
    const I = POLL_INTERVAL;
    const tasks = Array.from({ length: n }, () => randomAddress());
    const running = design.start({ url: proxy.url, address: chain.nexusAddress, tasks, pollInterval: I });
    let onTime = true;
    try {
      // Start-up: until every poll loop made its first head request after the initial ones.
      const startupTicks = tickCounter(proxy, design, 0);
      const loopsNow = (): number => design.loops(n, proxy.calls);
      onTime &&= await waitUntil(() => startupTicks() >= 2 * loopsNow(), STARTUP_TICKS * I, PHASE_CAP_MS);
      const startupEnd = proxy.calls.length;
      const startup = proxy.calls.slice(0, startupEnd);
      const loops = design.loops(n, startup);

      // Idle ticks: no new blocks.
      const idleTicks = tickCounter(proxy, design, startupEnd);
      onTime &&= await waitUntil(() => idleTicks() >= IDLE_TICKS * loops, IDLE_TICKS * I, PHASE_CAP_MS);
      const idleEnd = proxy.calls.length;

      // The window: a block with a TaskStatusChanged of a watched task every interval, until
      // `windowTicks` intervals passed and every poll loop made `windowTicks` ticks. The phases
      // above ended just after a tick; starting the blocks half an interval later keeps them
      // out of the ticks' way (a block mined while a tick reads the head lands in the next
      // tick, which then finds two and leaves one with none), so that each tick finds one.
      await sleep(I / 2);
      const windowIndex = proxy.calls.length;
      const windowStart = performance.now();
      const windowTicksSeen = tickCounter(proxy, design, windowIndex);
      const sends: Promise<unknown>[] = [];
      // One transaction at a time: two eth_sendTransaction in flight at once could get the
      // same nonce from anvil ("replacement transaction underpriced", seen once in a full run).
      let previous: Promise<unknown> = Promise.resolve();
      for (let k = 0; ; k++) {
        await sleepUntil(windowStart + k * I);
        const elapsed = performance.now() - windowStart;
        if (k >= windowTicks && windowTicksSeen() >= windowTicks * loops) break;
        if (elapsed > WINDOW_CAP_MS) {
          onTime = false;
          break;
        }
        const send = previous.then(() => chain.send('emitTaskStatusChanged', tasks[k % n], k % 6));
        // Awaited after the loop (Promise.all); until then a failure is not an unhandled rejection.
        previous = send.catch(() => undefined);
        sends.push(send);
      }
      const windowEnd = proxy.calls.length;
      const windowMs = performance.now() - windowStart;
      await Promise.all(sends);
      const emitted = sends.length;
      await waitUntil(() => running.delivered() >= emitted, I, DELIVERY_CAP_MS);

      const calls = proxy.calls;
      const idle = perTick(calls, startupEnd, idleEnd, design, loops);
      const active = perTick(calls, windowIndex, windowEnd, design, loops);
      return {
        startupCalls: startup.length,
        startupByMethod: countByMethod(startup),
        idlePerTick: idle.perTick,
        activePerTick: active.perTick,
        activeByMethod: active.byMethod,
        tickRate: active.ticks / (windowMs / I),
        windowIntervals: windowMs / I,
        loops,
        onTime,
        delivered: running.delivered(),
        emitted,
        errors: running.errors(),
      };
    } finally {
      await running.stop();
    }
  });
}

const methodList = (byMethod: Map<string, number>, digits = 2): string =>
  [...byMethod].map(([method, count]) => `${method} ${formatNumber(count, digits)}`).join(', ');

/** The run whose active requests per tick is the median (the lower middle one for an even count). */
function medianRun(runs: readonly Measurement[]): Measurement | undefined {
  const sorted = [...runs].sort((a, b) => a.activePerTick - b.activePerTick);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export async function run(options: BenchOptions): Promise<BenchSection> {
  const sizes = options.quick ? [1, 10, 50] : [1, 10, 100, 1000];
  const windowTicks = options.quick ? 10 : 20;
  const repeats = Math.max(1, options.repeats);

  const results = new Map<DesignKey, Map<number, Measurement[]>>(
    DESIGNS.map((design) => [design.key, new Map(sizes.map((size) => [size, []]))]),
  );
  await withChain(async (chain) => {
    for (const size of sizes)
      for (let repeat = 0; repeat < repeats; repeat++)
        // Designs interleaved, so that a noisy moment of the machine does not hit one design only.
        for (const design of DESIGNS) {
          const measurement = await measure(chain, design, size, windowTicks);
          results.get(design.key)?.get(size)?.push(measurement);
          process.stderr.write(
            `  requestsPerTick: ${design.label}, ${size} subscription(s), run ${repeat + 1}/${repeats}: ` +
              `${formatNumber(measurement.activePerTick)} requests/tick\n`,
          );
        }
  });

  const runsOf = (key: DesignKey, size: number): readonly Measurement[] => results.get(key)?.get(size) ?? [];
  const perTickOf = (key: DesignKey, size: number): number => median(runsOf(key, size).map((m) => m.activePerTick));

  const rows = sizes.map((size) => {
    const o = perTickOf('ogpu', size);
    const others = (['viem', 'viemNoFilters', 'naive'] as const).map((key) => perTickOf(key, size));
    return [
      String(size),
      formatNumber(o),
      ...others.map((x) => formatNumber(x)),
      ...others.map((x) => formatRatio(x / o)),
    ];
  });

  const targets = sizes.map((size) => {
    const value = perTickOf('ogpu', size);
    const all = range(runsOf('ogpu', size).map((m) => m.activePerTick));
    const spread = repeats > 1 ? `; runs ${formatNumber(all.min)}–${formatNumber(all.max)}` : '';
    return {
      target: `ogpu-events ≤ 2 requests per active tick, ${size} subscription${size === 1 ? '' : 's'}`,
      measured: `${formatNumber(value)} (${methodList(medianRun(runsOf('ogpu', size))?.activeByMethod ?? new Map())}${spread})`,
      met: value <= 2,
    };
  });

  const notes: string[] = [];
  for (const design of DESIGNS) {
    const perSize = sizes.map((size) => {
      const m = medianRun(runsOf(design.key, size));
      return m === undefined ? `${size}: —` : `${size}: ${methodList(m.activeByMethod)}`;
    });
    notes.push(`**${design.label}**, requests per active tick by method — ${perSize.join('; ')}.`);
  }
  for (const design of DESIGNS) {
    const perSize = sizes.map((size) => {
      const m = medianRun(runsOf(design.key, size));
      return m === undefined ? `${size}: —` : `${size}: ${m.startupCalls} (${methodList(m.startupByMethod, 0)})`;
    });
    notes.push(
      `**${design.label}**, start-up (excluded from the table): calls from subscribing until every poll loop made ` +
        `its second head request, at least ${STARTUP_TICKS} intervals, so the first idle poll is included — ` +
        `${perSize.join('; ')}.`,
    );
  }
  notes.push(
    `Idle ticks (no new block; at least ${IDLE_TICKS} ticks per loop after start-up), requests per tick — ` +
      DESIGNS.map(
        (design) =>
          `${design.label}: ${sizes.map((size) => `${size}: ${formatNumber(median(runsOf(design.key, size).map((m) => m.idlePerTick)))}`).join(', ')}`,
      ).join('; ') +
      '.',
  );
  notes.push(
    'Observed poll ticks per loop per interval during the window (1 = on schedule; each loop waits the interval ' +
      'after a poll completes, so slightly below 1 is normal; well below 1 means the machine could not keep up, ' +
      `and the window then lasted until every loop made ${windowTicks} ticks, a block still mined every interval) — ` +
      DESIGNS.map(
        (design) =>
          `${design.label}: ${sizes
            .map((size) => {
              const runs = runsOf(design.key, size);
              const loops = medianRun(runs)?.loops ?? 0;
              const rate = median(runs.map((m) => m.tickRate));
              const windowLength = median(runs.map((m) => m.windowIntervals));
              const extra = [
                ...(design.key === 'viem' ? [`${loops} filter${loops === 1 ? '' : 's'}`] : []),
                ...(windowLength > windowTicks * 1.5 ? [`window ${formatNumber(windowLength, 0)} intervals`] : []),
              ];
              return `${size}: ${formatNumber(rate)}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
            })
            .join(', ')}`,
      ).join('; ') +
      '.',
  );
  const above = sizes.flatMap((size) =>
    runsOf('ogpu', size)
      .filter((m) => m.activePerTick > 2)
      .map((m) => `${size}: ${formatNumber(m.activePerTick)} (${methodList(m.activeByMethod)})`),
  );
  notes.push(
    'ogpu-events: how the requests split between `eth_getBlockByNumber` and `eth_getLogs` depends on the phase ' +
      'between the poll timer and the block timer: a tick that finds two new blocks costs 3 (the head, the header ' +
      'of the last block read to check it is still canonical, the logs), and the tick before or after it, ' +
      'finding none, costs 1.' +
      (above.length > 0
        ? ` Runs above 2 requests per tick (the table gives the median): ${above.join('; ')}.`
        : ' No run exceeded 2 requests per tick.'),
  );
  notes.push(
    'The Python SDK\'s reference says its watchers poll "via HTTP filter subscriptions" without naming the calls; ' +
      'the naive poller here uses the stateless `eth_blockNumber` + `eth_getLogs` loop that works on any endpoint. ' +
      'Were each watcher to install its own `eth_newFilter` instead, a tick would cost one `eth_getFilterChanges` per ' +
      'watcher: N requests instead of 2N, still linear in N.',
  );
  const problems = DESIGNS.flatMap((design) =>
    sizes.flatMap((size) =>
      runsOf(design.key, size)
        .filter((m) => m.delivered !== m.emitted || m.errors > 0 || !m.onTime)
        .map(
          (m) =>
            `${design.label} at ${size}: ${m.delivered} of ${m.emitted} events delivered, ${m.errors} errors` +
            (m.onTime ? '' : ', a phase hit its time cap'),
        ),
    ),
  );
  notes.push(
    problems.length === 0
      ? 'Sanity check: in every run each design delivered every event of the window to its watcher exactly once, ' +
          'without errors (waiting up to 30 s after the window for a slow design).'
      : `Sanity check failures: ${problems.join('; ')}.`,
  );

  const svg = lineChartSvg({
    title: 'JSON-RPC requests per poll tick (active ticks)',
    xLabel: 'subscriptions (one watcher per task)',
    yLabel: 'requests per tick',
    xs: sizes.map(String),
    series: [
      { name: 'ogpu-events', values: sizes.map((s) => perTickOf('ogpu', s)), color: '#1f77b4' },
      {
        name: 'viem (eth_newFilter)',
        values: sizes.map((s) => perTickOf('viem', s)),
        color: '#2ca02c',
        marker: 'square',
      },
      {
        name: 'viem, no filters',
        values: sizes.map((s) => perTickOf('viemNoFilters', s)),
        color: '#ff7f0e',
        dashed: true,
        marker: 'diamond',
      },
      { name: 'naive poller', values: sizes.map((s) => perTickOf('naive', s)), color: '#d62728', marker: 'triangle' },
    ],
  });
  writeFileSync(join(__dirname, CHART_FILE), svg);

  return {
    title: `RPC requests per poll tick for ${sizes.slice(0, -1).join(', ')} and ${sizes[sizes.length - 1] ?? 0} subscriptions`,
    method: [
      `A real anvil node with MockNexus (the Nexus event signatures), reached through a counting JSON-RPC proxy`,
      `(a new one per run), so that every call that reaches the node is counted. Each design watches`,
      `TaskStatusChanged with N subscriptions, each for its own random task, polling every ${POLL_INTERVAL} ms.`,
      `After start-up and ${IDLE_TICKS} idle ticks, a window of ${windowTicks} ticks (of every poll loop: longer`,
      `than ${windowTicks} intervals for a design the machine cannot keep up with) has a transaction emitting a`,
      `TaskStatusChanged for one of the watched tasks mined every interval (sent straight to anvil, not through the`,
      `proxy) half an interval out of phase with the polls, so that ticks see a new block: active ticks, the`,
      `expensive kind.`,
      `The table gives the window's calls per tick, counted from tick start to tick start (a tick starts with the`,
      `head request: \`eth_getBlockByNumber('latest')\` for ogpu-events, \`eth_getFilterChanges\` or`,
      `\`eth_blockNumber\` for viem, \`eth_blockNumber\` per watcher for the naive poller), median of ${repeats}`,
      `run${repeats === 1 ? '' : 's'}.`,
      `**ogpu-events**: one \`createNexusEvents({ rpcUrl })\` client, N \`taskStatusChanged$(task).subscribe()\`.`,
      `**viem** 2.57: one \`createPublicClient\` with the \`http\` transport, N`,
      `\`watchContractEvent({ abi, eventName: 'TaskStatusChanged', pollingInterval, onLogs })\`, viem's defaults`,
      `otherwise. viem cannot scope by a non-indexed argument, so every watcher receives all TaskStatusChanged logs`,
      `and keeps its task's in \`onLogs\`; watchers with identical parameters on one client share one poll loop`,
      `(viem's \`observe\`), and against a node with filters (anvil) that loop installs one \`eth_newFilter\` and`,
      `calls \`eth_getFilterChanges\` each tick. **viem, no filters**: the same against a node without`,
      `\`eth_newFilter\` (answered "method not found" before the proxy, as many public endpoints and load balancers`,
      `do), where viem falls back to \`eth_blockNumber\` + \`eth_getLogs\`; the client's \`pollingInterval\` is set`,
      `to the watchers' too, since viem caches the block number for that long (default 4 s).`,
      `**naive poller**: the design of the Python SDK's \`ogpu.events\` async generators`,
      `([bench/support/naiveWatcher.ts](support/naiveWatcher.ts)): each watcher loops on its own — sleep the interval,`,
      `\`eth_blockNumber\`, and when there are new blocks \`eth_getLogs\` for every log of its event from its own`,
      `cursor, keeping those of its task (one shared ethers provider, one HTTP request per call).`,
      `Everything runs in one Node.js process (the proxy too) on a shared machine.`,
    ].join(' '),
    headers: [
      'subscriptions',
      'ogpu-events',
      'viem',
      'viem, no filters',
      'naive poller',
      'viem ÷ ogpu-events',
      'viem, no filters ÷ ogpu-events',
      'naive ÷ ogpu-events',
    ],
    rows,
    targets,
    notes,
    files: [CHART_FILE],
  };
}
