import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { take, tap } from 'rxjs';
import { FaultyRpcProxy } from '../spec/support/FaultyRpcProxy';
import { NEXUS_EVENT_TOPICS, type TaskStatusChangedEvent, createNexusEvents } from '../src/index';
import type { BenchOptions, BenchSection } from './BenchSection';
import { type BackfillChain, buildBackfillChain } from './support/backfillChain';

/** The client's defaults that shape the backfill's requests. */
const MAX_BLOCK_RANGE = 2_000;
const REQUEST_TIMEOUT = 10_000;

const TOPIC0 = NEXUS_EVENT_TOPICS.TaskStatusChanged;
const TARGET_RATIO = 1.3;
/** A run with no new event for this long has stalled. */
const STALL_MS = 30_000;

const hex = (n: number): string => `0x${n.toString(16)}`;

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** What one backfill read. */
export interface BackfillRun {
  readonly ms: number;
  /** CPU time of this process (user + system) during the run, ms: the client's own work, without anvil's. */
  readonly cpuMs: number;
  readonly events: number;
  /** Last event's position, for a consistency check between the two paths. */
  readonly last: { readonly blockNumber: number; readonly logIndex: number } | undefined;
  /** Bytes of the answers' bodies (fetch reference only). */
  readonly bytes?: number;
}

/**
 * The transport the client builds for an `rpcUrl` (src/rpc/createJsonRpcProvider.ts):
 * static network, one JSON-RPC object per HTTP request, the default request timeout as
 * HTTP timeout, no ethers 429 retry.
 */
function clientLikeProvider(url: string): JsonRpcProvider {
  const network = new Network('custom', 0n);
  const request = new FetchRequest(url);
  request.timeout = REQUEST_TIMEOUT;
  request.retryFunc = () => Promise.resolve(false);
  return new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
}

type GetLogs = (filter: Record<string, unknown>) => Promise<unknown>;

/**
 * The `eth_getLogs` requests ogpu-events makes for this backfill (src/source/readLogRange.ts
 * via contiguousBatches: `[fromBlock, head - confirmations]` in consecutive chunks of
 * `span.current` = maxBlockRange blocks, one at a time, the Nexus address in lower case,
 * the stream's own topic0 only). The answers are only counted.
 */
async function chunkedGetLogs(getLogs: GetLogs, chain: BackfillChain): Promise<Omit<BackfillRun, 'ms' | 'cpuMs'>> {
  const address = chain.nexusAddress.toLowerCase();
  let events = 0;
  let last: BackfillRun['last'];
  for (let start = chain.fromBlock; start <= chain.head; start += MAX_BLOCK_RANGE) {
    const end = Math.min(chain.head, start + MAX_BLOCK_RANGE - 1);
    const logs = (await getLogs({ address, topics: [[TOPIC0]], fromBlock: hex(start), toBlock: hex(end) })) as {
      blockNumber: string;
      logIndex: string;
    }[];
    events += logs.length;
    const tail = logs[logs.length - 1];
    if (tail !== undefined)
      last = { blockNumber: Number.parseInt(tail.blockNumber, 16), logIndex: Number.parseInt(tail.logIndex, 16) };
  }
  return { events, last };
}

/**
 * The lower bound: {@link chunkedGetLogs} through the transport the client builds for an
 * `rpcUrl` (ethers `JsonRpcProvider.send`), answers parsed as JSON by ethers.
 */
export async function bareBackfill(url: string, chain: BackfillChain): Promise<BackfillRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const provider = clientLikeProvider(url);
  try {
    const read = await chunkedGetLogs((filter) => provider.send('eth_getLogs', [filter]), chain);
    return { ms: performance.now() - started, cpuMs: cpuSince(cpu), ...read };
  } finally {
    provider.destroy();
  }
}

/**
 * A reference, not a target: {@link chunkedGetLogs} with Node's `fetch` and
 * `TextDecoder` + `JSON.parse` (what `Response.json()` does: native UTF-8 decoding) instead of ethers.
 */
export async function fetchBackfill(url: string, chain: BackfillChain): Promise<BackfillRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let id = 0;
  let bytes = 0;
  const read = await chunkedGetLogs(async (filter) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'eth_getLogs', params: [filter] }),
    });
    // What Response.json() does, with the body's size at hand.
    const body = await response.arrayBuffer();
    bytes += body.byteLength;
    const answer = JSON.parse(new TextDecoder().decode(body)) as { result?: unknown; error?: unknown };
    if (answer.error !== undefined) throw new Error(`eth_getLogs failed: ${JSON.stringify(answer.error)}`);
    return answer.result;
  }, chain);
  return { ms: performance.now() - started, cpuMs: cpuSince(cpu), ...read, bytes };
}

/**
 * ogpu-events end to end: a client for `url` (as a user would create it), then
 * `taskStatusChanged$(task, { fromBlock })` until the last event. With `checkOrder`,
 * every event must come strictly after the previous one in chain order (no repeat).
 */
export async function ogpuBackfill(url: string, chain: BackfillChain, checkOrder = false): Promise<BackfillRun> {
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
    const events$ = nexus.taskStatusChanged$(chain.task, { fromBlock: chain.fromBlock }).pipe(take(chain.events));
    // An error thrown in an operator fails the stream (one thrown in `next` would not).
    const ordered = tap((e: TaskStatusChangedEvent) => {
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (i: number): number => sorted[i] ?? Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const rate = (events: number, millis: number): string =>
  `${Math.round(events / (millis / 1000)).toLocaleString('en-US')} events/s`;

function sameLast(a: BackfillRun, b: BackfillRun): boolean {
  return a.last?.blockNumber === b.last?.blockNumber && a.last?.logIndex === b.last?.logIndex;
}

function methodCounts(proxy: FaultyRpcProxy): string {
  const counts = new Map<string, number>();
  for (const call of proxy.calls) counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
  return [...counts].map(([method, n]) => `${method} × ${n}`).join(', ');
}

/**
 * Counts and compares the requests of both paths through a FaultyRpcProxy with no
 * faults (untimed; doubles as a warm-up). Returns the notes describing them.
 */
async function verifyRequests(
  chain: BackfillChain,
): Promise<{ notes: string[]; getLogs: number; bytes: number | undefined }> {
  const proxy = await new FaultyRpcProxy(chain.url, { rate: 0 }).start();
  try {
    const bare = await bareBackfill(proxy.url, chain);
    const bareCalls = proxy.calls.filter((c) => c.method === 'eth_getLogs').map((c) => JSON.stringify(c.params));
    const bareMethods = methodCounts(proxy);
    proxy.reset();
    const ogpu = await ogpuBackfill(proxy.url, chain, true);
    const ogpuCalls = proxy.calls.filter((c) => c.method === 'eth_getLogs').map((c) => JSON.stringify(c.params));
    const ogpuMethods = methodCounts(proxy);
    proxy.reset();
    const viaFetch = await fetchBackfill(proxy.url, chain);
    const fetchCalls = proxy.calls.filter((c) => c.method === 'eth_getLogs').map((c) => JSON.stringify(c.params));

    if (bare.events !== chain.events) throw new Error(`bare eth_getLogs read ${bare.events} logs, not ${chain.events}`);
    if (ogpu.events !== bare.events) throw new Error(`ogpu-events emitted ${ogpu.events} events, not ${bare.events}`);
    if (!sameLast(bare, ogpu)) throw new Error('the last event of ogpu-events is not the last log read bare');
    const equal = (a: readonly string[], b: readonly string[]) =>
      a.length === b.length && a.every((params, i) => params === b[i]);
    if (viaFetch.events !== bare.events || !equal(fetchCalls, bareCalls))
      throw new Error('the fetch reference did not make the same requests or read the same logs');
    if (!equal(bareCalls, ogpuCalls)) {
      throw new Error(
        `ogpu-events' eth_getLogs differ from the bare loop's:\n bare ${bareCalls.join('\n      ')}\n ogpu ${ogpuCalls.join('\n      ')}`,
      );
    }
    return {
      getLogs: bareCalls.length,
      bytes: viaFetch.bytes,
      notes: [
        `Requests, counted in an untimed pass through spec/support/FaultyRpcProxy (rate 0) that also warms the paths up: ` +
          `bare — ${bareMethods}; ogpu-events — ${ogpuMethods}. The ${bareCalls.length} eth_getLogs of both are ` +
          `identical, parameter for parameter (address, topics [[TaskStatusChanged]], the same ${MAX_BLOCK_RANGE}-block chunks in the same order); ` +
          `ogpu-events adds its head request (shared by the stream's start and the poller's first tick), one eth_getCode, ` +
          `and an idle poll tick (one head request) per 2 s of backfill.`,
      ],
    };
  } finally {
    await proxy.stop();
  }
}

export async function run(options: BenchOptions): Promise<BenchSection> {
  const size = options.quick ? { events: 10_000, blocks: 5_000 } : { events: 100_000, blocks: 50_000 };
  const chain = await buildBackfillChain(size);
  try {
    const verified = await verifyRequests(chain);

    const runs: Record<'bare' | 'ogpu' | 'fetch', BackfillRun[]> = { bare: [], ogpu: [], fetch: [] };
    const measure = {
      bare: () => bareBackfill(chain.url, chain),
      ogpu: () => ogpuBackfill(chain.url, chain),
      fetch: () => fetchBackfill(chain.url, chain),
    };
    for (let i = 0; i < options.repeats; i++) {
      // The pair compared is always adjacent, in alternating order; the reference at either end.
      const order = i % 2 === 0 ? (['bare', 'ogpu', 'fetch'] as const) : (['fetch', 'ogpu', 'bare'] as const);
      for (const path of order) {
        const r = await measure[path]();
        if (r.events !== chain.events) throw new Error(`${path} read ${r.events} events, not ${chain.events}`);
        runs[path].push(r);
      }
    }

    const bare = median(runs.bare.map((r) => r.ms));
    const ogpu = median(runs.ogpu.map((r) => r.ms));
    const bareCpu = median(runs.bare.map((r) => r.cpuMs));
    const ogpuCpu = median(runs.ogpu.map((r) => r.cpuMs));
    const viaFetch = median(runs.fetch.map((r) => r.ms));
    const fetchCpu = median(runs.fetch.map((r) => r.cpuMs));
    const ratio = ogpu / bare;
    const best = (values: readonly BackfillRun[]) => Math.min(...values.map((r) => r.ms));
    const blocks = chain.head - chain.fromBlock + 1;
    const list = (values: readonly BackfillRun[]) => values.map((r) => r.ms.toFixed(0)).join(', ');
    const row = (path: string, wall: number, cpu: number, values: readonly BackfillRun[]) => [
      path,
      ms(wall),
      rate(chain.events, wall),
      ms(cpu),
      String(verified.getLogs),
      list(values),
    ];
    return {
      title: 'Backfill of at least 100k events spread over 50k blocks from anvil',
      method:
        `One anvil chain (MockNexus) holding ${chain.events.toLocaleString('en-US')} TaskStatusChanged events of one task ` +
        `in ${chain.blocksWithEvents.toLocaleString('en-US')} blocks spread over ${blocks.toLocaleString('en-US')} blocks ` +
        `(${chain.fromBlock}–${chain.head}; at most ${chain.maxEventsPerBlock} events per block). Both paths read all of it, ` +
        `side by side, ${options.repeats} time(s) each in alternating order (median reported): ` +
        `**bare** — the eth_getLogs requests ogpu-events makes for this backfill (same address, topics [[TaskStatusChanged]], ` +
        `consecutive ${MAX_BLOCK_RANGE}-block chunks = the default maxBlockRange, one at a time) through the same transport ` +
        `(ethers JsonRpcProvider.send, staticNetwork, batchMaxCount 1), answers parsed as JSON and counted; ` +
        `**ogpu-events** — createNexusEvents({ rpcUrl, address }) and taskStatusChanged$(task, { fromBlock }) with take(n) ` +
        `until the last event (the client's validation, scope match, dedupe, decoding, frozen event objects). ` +
        `A third row, not part of the target, sends the same requests with Node's fetch, TextDecoder and JSON.parse.`,
      headers: ['path', 'median time', 'throughput', 'client CPU (median)', 'eth_getLogs', 'runs (ms)'],
      rows: [
        row('bare chunked eth_getLogs (ethers send)', bare, bareCpu, runs.bare),
        row('ogpu-events taskStatusChanged$ (end to end)', ogpu, ogpuCpu, runs.ogpu),
        ['ratio ogpu-events / bare', `${ratio.toFixed(2)}×`, '', `${(ogpuCpu / bareCpu).toFixed(2)}×`, '', ''],
        row('reference: the same eth_getLogs with fetch() + JSON.parse', viaFetch, fetchCpu, runs.fetch),
      ],
      targets: [
        {
          target: `ogpu-events backfill ≤ ${TARGET_RATIO}× bare chunked eth_getLogs`,
          measured: `${ratio.toFixed(2)}×`,
          met: ratio <= TARGET_RATIO,
        },
      ],
      notes: [
        `Setup (not measured): ${(chain.setupMs / 1000).toFixed(1)} s to start anvil, deploy MockNexus and build the history ` +
          `(${chain.txs} emitManyStatuses transactions sent without awaiting receipts, interleaved with anvil_mine gaps; ` +
          `anvil runs with ${'`--hardfork cancun --prune-history`'}: from Prague on, its block mining slows down with chain ` +
          `length, see bench/support/backfillChain.ts).`,
        ...verified.notes,
        `Every run's count is checked: ${chain.events.toLocaleString('en-US')} logs bare, as many events from ogpu-events; ` +
          `in the counting pass the events also came in strictly increasing (block, log index) order and the last one ` +
          `matched the last log read bare.`,
        `Best of ${options.repeats}: bare ${ms(best(runs.bare))}, ogpu-events ${ms(best(runs.ogpu))} ` +
          `(${(best(runs.ogpu) / best(runs.bare)).toFixed(2)}×), fetch ${ms(best(runs.fetch))}. Contention only ever adds ` +
          `time, so on a busy machine the best run and the CPU ratio are steadier than the medians.`,
        `Client CPU is this process's user + system time during a run (process.cpuUsage); anvil works in another ` +
          `process. The reads are sequential (the next chunk is requested only after the previous one was processed), ` +
          `so client work adds to wall time; on a loaded machine the wall time also includes waiting for a core.`,
        `Most of the time of both ethers paths is ethers decoding the answers: FetchResponse.bodyJson runs ethers' ` +
          `pure-JavaScript toUtf8String (an array of code points, then String.fromCharCode per character) over every ` +
          `answer (here ~${Math.round(chain.events / verified.getLogs).toLocaleString('en-US')} logs, ` +
          `${((verified.bytes ?? Number.NaN) / verified.getLogs / 1e6).toFixed(1)} MB per chunk) before ` +
          `JSON.parse, ~100–300 ms per chunk where TextDecoder takes ~1 ms. The fetch() row shows the same requests without ` +
          `it; the ratio ogpu-events / bare therefore mostly compares ethers' cost with itself, and the library's own work ` +
          `(validation, scope match, dedupe, decoding, event objects) is the difference between the two rows.`,
        ...(options.quick ? ['Quick run: 10k events over 5k blocks instead of 100k over 50k.'] : []),
      ],
    };
  } finally {
    await chain.stop();
  }
}
