/**
 * Heap after streaming 1M events through one long-lived stream. Each measurement runs in a
 * child process (`node --expose-gc --import tsx bench/support/memoryChild.ts`), so that
 * the GC can be forced before each sample and nothing else of the bench shares the heap.
 *
 * Run alone: npx tsx -e "import('./bench/memory.ts').then(m => (m.run ?? m.default.run)({ repeats: 1, quick: true })).then(s => console.log(JSON.stringify(s, null, 2)))"
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchOptions, BenchSection } from './BenchSection.js';
import type { MemoryChildConfig, MemoryChildResult } from './support/memoryChild.js';

const CHILD = join(__dirname, 'support', 'memoryChild.ts');
const REPO_ROOT = join(__dirname, '..');
/** A child that takes longer than this has hung. */
const CHILD_TIMEOUT_MS = 10 * 60_000;
/** Target: heap growth from the first non-zero sample to the last. */
const GROWTH_BOUND_MIB = 5;
const MiB = 1024 * 1024;

/**
 * The stream remembers the (tx hash, log index) of what it delivered in its last
 * DEDUPE_WINDOW_BLOCKS (256) blocks, so its dedupe memory is bounded by 256 × the stream's
 * logs per block. The main run uses K logs per block with 256·K below the first sample
 * point, so growth after it can only be a leak; the wide run (4× the logs per block)
 * shows where that bound sits for a very busy stream.
 */
interface Scenario {
  readonly label: string;
  readonly config: MemoryChildConfig;
}

function scenarios(quick: boolean): { readonly main: Scenario; readonly wide: Scenario } {
  const scale = quick ? 10 : 1;
  const events = 1_000_000 / scale;
  const samples = [0, 100_000, 250_000, 500_000, 750_000, 1_000_000].map((n) => n / scale);
  return {
    main: { label: `${250 / scale} logs/block`, config: { events, perBlock: 250 / scale, samples, pollInterval: 1 } },
    wide: { label: `${1000 / scale} logs/block`, config: { events, perBlock: 1000 / scale, samples, pollInterval: 1 } },
  };
}

function runChild(config: MemoryChildConfig): Promise<MemoryChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(config)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`memory child exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
        return;
      }
      try {
        resolve(check(config, JSON.parse(line) as MemoryChildResult));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** The child must have streamed every event, with a sample at every point, and nothing skipped. */
function check(config: MemoryChildConfig, result: MemoryChildResult): MemoryChildResult {
  if (result.samples.length !== config.samples.length) {
    throw new Error(`memory child took ${result.samples.length} samples, expected ${config.samples.length}`);
  }
  result.samples.forEach((sample, i) => {
    const wanted = config.samples[i] ?? 0;
    // A poll that fell behind reads several blocks at once, so a sample may land a little
    // past its point; more than 2% past would mislabel it.
    if (sample.events < wanted || sample.events > wanted + Math.max(2 * config.perBlock, wanted * 0.02)) {
      throw new Error(`memory sample ${i} at ${sample.events} events, expected ${wanted}`);
    }
  });
  if (result.diagnostics !== 0) throw new Error(`memory child saw ${result.diagnostics} diagnostics`);
  if (BigInt(result.checksum) <= 0n) throw new Error('memory child read no event');
  return result;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const mib = (bytes: number): string => (bytes / MiB).toFixed(2);
const signedMib = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;
const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function run(options: BenchOptions): Promise<BenchSection> {
  const repeats = Math.max(1, Math.floor(options.repeats));
  const { main, wide } = scenarios(options.quick);
  const runs: MemoryChildResult[] = [];
  for (let r = 0; r < repeats; r++) runs.push(await runChild(main.config));
  const wideRun = await runChild(wide.config);

  const points = main.config.samples;
  // Median heap per sample point across runs.
  const heap = points.map((_, i) => median(runs.map((result) => result.samples[i]?.heapUsed ?? Number.NaN)));
  const elapsed = points.map((_, i) => median(runs.map((result) => result.samples[i]?.elapsedMs ?? Number.NaN)));
  const first = 1; // the first non-zero sample point
  const growths = runs.map(
    (result) => (result.samples[points.length - 1]?.heapUsed ?? Number.NaN) - (result.samples[first]?.heapUsed ?? 0),
  );
  const growth = median(growths);
  const wideHeap = wideRun.samples.map((s) => s.heapUsed);
  const wideGrowth = (wideHeap[points.length - 1] ?? Number.NaN) - (wideHeap[first] ?? 0);
  // The first sample point at which the wide run's dedupe window is full.
  const settledIndex = points.findIndex((n) => n >= 256 * wide.config.perBlock);
  const wideSettled = points[settledIndex] ?? Number.NaN;
  const wideSettledGrowth = (wideHeap[points.length - 1] ?? Number.NaN) - (wideHeap[settledIndex] ?? Number.NaN);
  const from = formatInt(points[first] ?? 0);
  const to = formatInt(points[points.length - 1] ?? 0);

  return {
    title: `Heap after streaming ${formatInt(main.config.events)} events through one long-lived stream`,
    method:
      `One client, one \`attempted$(task)\` stream (no fromBlock: live only), \`pollInterval: 1\`, in a child ` +
      `process run with \`node --expose-gc\`. Its in-memory \`rpc\` simulates a chain that grows by one block per ` +
      `head request, i.e. per poll; each block holds K Attempted logs of that task (providers drawn from a pool of ` +
      `2,000, every log its own transaction), built per request and never kept, so every log is delivered: ` +
      `validated, routed, scope-matched, deduped, decoded, frozen. The subscriber counts the events and sums one ` +
      `field, keeping none. At each sample point the current poll finishes, \`global.gc()\` runs twice and ` +
      `\`process.memoryUsage().heapUsed\` is read. Main run: K = ${main.config.perBlock} ` +
      `(${repeats} run${repeats === 1 ? '' : 's'}, median per point); wide run: K = ${wide.config.perBlock} (once).`,
    headers: [
      'events',
      `heapUsed MiB (K = ${main.config.perBlock})`,
      `vs ${from} events`,
      'elapsed s',
      `heapUsed MiB (K = ${wide.config.perBlock})`,
      `vs ${from} events`,
    ],
    rows: points.map((n, i) => [
      formatInt(n),
      mib(heap[i] ?? Number.NaN),
      i === 0 ? '—' : signedMib((heap[i] ?? 0) - (heap[first] ?? 0)),
      ((elapsed[i] ?? 0) / 1000).toFixed(1),
      mib(wideHeap[i] ?? Number.NaN),
      i === 0 ? '—' : signedMib((wideHeap[i] ?? 0) - (wideHeap[first] ?? 0)),
    ]),
    targets: [
      {
        target: `flat: heap growth from ${from} to ${to} events < ${GROWTH_BOUND_MIB} MiB (K = ${main.config.perBlock})`,
        measured: `${signedMib(growth)} MiB (runs: ${growths.map((g) => signedMib(g)).join(', ')})`,
        met: growth < GROWTH_BOUND_MIB * MiB,
      },
    ],
    notes: [
      `What the stream holds is bounded, not constant: its dedupe remembers the delivered logs of the last 256 ` +
        `blocks (DEDUPE_WINDOW_BLOCKS), i.e. 256 × K keys — ${formatInt(256 * main.config.perBlock)} in the main run, ` +
        `reached before the ${from}-event sample; ${formatInt(256 * wide.config.perBlock)} in the wide run, reached ` +
        `at ${formatInt(256 * wide.config.perBlock)} events (wide run: ${signedMib(wideGrowth)} MiB from ${from} to ` +
        `${to} events, ${signedMib(wideSettledGrowth)} MiB of it after the ${formatInt(wideSettled)}-event sample, ` +
        `once the window was full). The address-checksum table is bounded at 65,536 slots.`,
      `After unsubscribing, the heap went back to ${mib(median(runs.map((r) => r.afterUnsubscribe.heapUsed)))} MiB ` +
        `(baseline right after subscribing: ${mib(heap[0] ?? Number.NaN)} MiB).`,
      `A sample is taken when the poll that reached its count is over, so it may count up to one block more ` +
        `(${main.config.perBlock} events). Requests of one main run: ${formatInt(runs[0]?.requests.getBlock ?? 0)} ` +
        `eth_getBlockByNumber, ${formatInt(runs[0]?.requests.getLogs ?? 0)} eth_getLogs, ` +
        `${runs[0]?.requests.getCode ?? 0} eth_getCode, over ${formatInt(runs[0]?.blocks ?? 0)} blocks.`,
    ],
  };
}
