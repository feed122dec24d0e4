/**
 * Fan-out: N `taskStatusChanged$(task)` subscriptions spread over P consumer processes, read
 * through one relay (`relayToJetStream` → nats-server → `createJetStreamNexusEvents`) or each
 * process polling the chain itself (`createNexusEvents`), side by side: requests per tick at
 * the chain (a counting proxy in front of anvil) and latency from block mined to event
 * delivered. Every process is a child (`node --import tsx bench/support/fanOutChild.ts`).
 *
 * Run alone: npm run bench -- --quick --only fanOut
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type NatsServer, hasNatsServer, startNatsServer } from '../spec/support/natsServer';
import { createPrng } from '../spec/support/prng';
import type { BenchOptions, BenchSection } from './BenchSection';
import { type TestChain, countByMethod, randomAddress, withChain, withCountingProxy } from './support/chain';
import type { FanOutChildConfig, FanOutChildMessage, FanOutDelivery } from './support/fanOutChild';
import { type FanOutNexus, deployFanOutNexus } from './support/fanOutNexus';
import { formatNumber, median } from './support/stats';
import { sleep } from './support/time';

/** Poll interval of the relay and of every direct client, ms. */
const POLL_INTERVAL = 200;
/** Consumer processes holding the subscriptions, in both modes. */
const PROCESSES = 4;
const STREAM = 'BENCH_FANOUT';
/** The longest the children may take to subscribe, and the warm-up round to be delivered, ms. */
const SETUP_CAP_MS = 120_000;
/** The longest to wait for one round's deliveries, ms (a round still incomplete then counts as missing). */
const ROUND_CAP_MS = 30_000;
/** How long a child may take to stop after its stdin is closed before it is killed, ms. */
const STOP_GRACE_MS = 10_000;
const TARGET_PER_TICK = 2;
const SEED = 0xfa_0001;

const CHILD = join(__dirname, 'support', 'fanOutChild.ts');
const REPO_ROOT = join(__dirname, '..');

type Mode = 'relay' | 'direct';
const MODES: readonly Mode[] = ['relay', 'direct'];
const MODE_LABEL: Record<Mode, string> = { relay: 'relay (JetStream)', direct: 'direct (polling)' };

/** Wall-clock time in ms with sub-millisecond resolution, comparable across processes of one machine. */
const now = (): number => performance.timeOrigin + performance.now();
const hex = (n: number): string => `0x${n.toString(16)}`;

/** One JSON-RPC call straight to the node (not through the counting proxy). */
async function rpc(url: string, method: string, params: readonly unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message ?? JSON.stringify(body.error)}`);
  return body.result;
}

// ---- children ---------------------------------------------------------------------------

/** Children alive, killed should the bench process exit before it stopped them. */
const alive = new Set<ChildProcess>();
const killAlive = (): void => {
  for (const child of alive) child.kill('SIGKILL');
};

interface Child {
  readonly label: string;
  readonly process: ChildProcess;
  subscribed: boolean;
  stopping: boolean;
  /** An error it reported, or how it exited when it was not asked to. */
  error: string | undefined;
  stopped: Extract<FanOutChildMessage, { kind: 'stopped' }> | undefined;
  readonly exited: Promise<void>;
}

function startChild(
  label: string,
  config: FanOutChildConfig,
  onDeliveries?: (d: readonly FanOutDelivery[]) => void,
): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  alive.add(child);
  let stderr = '';
  let buffered = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const handle: Child = {
    label,
    process: child,
    subscribed: false,
    stopping: false,
    error: undefined,
    stopped: undefined,
    exited,
  };
  child.stdin.on('error', () => undefined); // EPIPE when it already died: its exit says why
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let message: FanOutChildMessage;
      try {
        message = JSON.parse(line) as FanOutChildMessage;
      } catch {
        handle.error ??= `printed ${line.slice(0, 200)}`;
        continue;
      }
      if (message.kind === 'subscribed') handle.subscribed = true;
      else if (message.kind === 'deliveries') onDeliveries?.(message.d);
      else if (message.kind === 'error') handle.error ??= message.message;
      else handle.stopped = message;
    }
  });
  child.on('error', (error) => (handle.error ??= error.message));
  child.on('exit', (code, signal) => {
    alive.delete(child);
    if (!handle.stopping || code !== 0)
      handle.error ??= `exited with ${code ?? signal}: ${stderr.trim().slice(-1_000)}`;
  });
  return handle;
}

/** Closes the child's stdin (it unsubscribes and exits), and kills it if it has not exited after a grace period. */
async function stopChild(child: Child): Promise<void> {
  child.stopping = true;
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.stdin?.end();
    const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
    await child.exited;
    clearTimeout(timer);
  }
  await child.exited;
}

/**
 * Waits until `done()` holds, checking every 5 ms; false after `capMs`. Throws what `check`
 * throws (a child failed).
 */
async function waitFor(done: () => boolean, capMs: number, check: () => void): Promise<boolean> {
  const start = performance.now();
  for (;;) {
    check();
    if (done()) return true;
    if (performance.now() - start > capMs) return false;
    await sleep(5);
  }
}

// ---- the chain ----------------------------------------------------------------------------

/** A round: one transaction emitting TaskStatusChanged for every task, mined alone in a block. */
interface Round {
  readonly block: number;
  /** When `evm_mine` returned (ms since the epoch). */
  readonly minedAt: number;
}

/**
 * Sends the round's transaction (automine is off: it waits in the pool), mines it with
 * `evm_mine`, and notes when that returned: the block exists for every reader from then on.
 */
async function mineRound(
  chain: TestChain,
  from: string,
  nexus: FanOutNexus,
  tasks: readonly string[],
  status: number,
): Promise<Round> {
  const gas = 100_000 + 5_000 * tasks.length;
  const hash = await rpc(chain.url, 'eth_sendTransaction', [
    { from, to: nexus.address, data: nexus.changeStatuses(tasks, status), gas: hex(gas) },
  ]);
  await rpc(chain.url, 'evm_mine', []);
  const minedAt = now();
  const receipt = (await rpc(chain.url, 'eth_getTransactionReceipt', [hash])) as {
    status: string;
    blockNumber: string;
  } | null;
  if (receipt === null) throw new Error(`fanOut: evm_mine did not mine ${String(hash)}`);
  if (receipt.status !== '0x1') throw new Error(`fanOut: the round's transaction ${String(hash)} reverted`);
  return { block: Number.parseInt(receipt.blockNumber, 16), minedAt };
}

async function deleteStream(nats: NatsServer): Promise<void> {
  const nc = await connect({ servers: nats.url });
  try {
    await (await jetstreamManager(nc)).streams.delete(STREAM).catch(() => false);
  } finally {
    await nc.close();
  }
}

// ---- one measurement ----------------------------------------------------------------------

interface Measurement {
  readonly mode: Mode;
  readonly n: number;
  readonly rounds: number;
  /** Requests that reached the node during the window, per poll interval. */
  readonly perTick: number;
  readonly perTickByMethod: Map<string, number>;
  /** The window's length, in poll intervals. */
  readonly windowTicks: number;
  /** Block mined → event delivered, ms, every delivery of the window. */
  readonly latencies: readonly number[];
  /** Block mined → the round's last delivery, ms, per round. */
  readonly roundMs: readonly number[];
  readonly expected: number;
  readonly duplicates: number;
  /** Rounds not fully delivered within ROUND_CAP_MS. */
  readonly incompleteRounds: number;
  /** Spawning the children until the warm-up round was delivered everywhere, ms. */
  readonly setupMs: number;
  /** Diagnostics the children reported, by kind (summed). */
  readonly diagnostics: Map<string, number>;
  readonly foreign: number;
}

interface Setting {
  readonly chain: TestChain;
  readonly from: string;
  readonly nexus: FanOutNexus;
  readonly nats: NatsServer;
  readonly rounds: number;
  readonly prng: () => number;
}

async function measure(setting: Setting, mode: Mode, n: number): Promise<Measurement> {
  const { chain, from, nexus, nats, rounds, prng } = setting;
  return withCountingProxy(chain.url, async (proxy) => {
    const tasks = Array.from({ length: n }, () => randomAddress());
    const fromBlock = Number(await rpc(chain.url, 'eth_blockNumber', [])) + 1;
    /** block → (task index → received at) */
    const received = new Map<number, Map<number, number>>();
    let duplicates = 0;
    const deliveredIn = (block: number): number => received.get(block)?.size ?? 0;

    const consumers: Child[] = [];
    let relay: Child | undefined;
    const children = (): Child[] => [...consumers, ...(relay === undefined ? [] : [relay])];
    const check = (): void => {
      const failed = children().find((c) => c.error !== undefined);
      if (failed !== undefined) throw new Error(`fanOut (${mode}, ${n}): ${failed.label} failed: ${failed.error}`);
    };
    const setupStart = performance.now();
    let result: Omit<Measurement, 'diagnostics' | 'foreign'>;
    try {
      if (mode === 'relay') {
        await deleteStream(nats);
        relay = startChild('the relay', {
          role: 'relay',
          relay: {
            rpcUrl: proxy.url,
            address: nexus.address,
            servers: nats.url,
            stream: STREAM,
            fromBlock,
            pollInterval: POLL_INTERVAL,
          },
        });
      }
      for (let c = 0; c < PROCESSES; c++) {
        const first = Math.floor((c * n) / PROCESSES);
        const end = Math.floor(((c + 1) * n) / PROCESSES);
        const config: FanOutChildConfig = {
          role: 'consumer',
          mode,
          servers: nats.url,
          stream: STREAM,
          rpcUrl: proxy.url,
          address: nexus.address,
          pollInterval: POLL_INTERVAL,
          tasks: tasks.slice(first, end),
          fromBlock,
        };
        consumers.push(
          startChild(`consumer ${c + 1}`, config, (deliveries) => {
            for (const [task, block, at] of deliveries) {
              let byTask = received.get(block);
              if (byTask === undefined) received.set(block, (byTask = new Map()));
              if (byTask.has(first + task)) duplicates++;
              else byTask.set(first + task, at);
            }
          }),
        );
      }
      if (!(await waitFor(() => children().every((c) => c.subscribed), SETUP_CAP_MS, check)))
        throw new Error(`fanOut (${mode}, ${n}): the children did not subscribe within ${SETUP_CAP_MS / 1000} s`);
      // Warm-up (not measured): the streams subscribed from `fromBlock`, so none misses it
      // however late it became live; once it is everywhere, every stream is live.
      const warmUp = await mineRound(chain, from, nexus, tasks, 0);
      if (!(await waitFor(() => deliveredIn(warmUp.block) >= n, SETUP_CAP_MS, check)))
        throw new Error(
          `fanOut (${mode}, ${n}): the warm-up round reached ${deliveredIn(warmUp.block)} of ${n} subscriptions`,
        );
      const setupMs = performance.now() - setupStart;

      const windowFrom = proxy.calls.length;
      const windowStart = performance.now();
      const mined: Round[] = [];
      let incompleteRounds = 0;
      for (let r = 0; r < rounds; r++) {
        // A random phase against the poll timers, so that the latencies sample all of it.
        await sleep(prng() * POLL_INTERVAL);
        const round = await mineRound(chain, from, nexus, tasks, (r + 1) % 6);
        mined.push(round);
        if (!(await waitFor(() => deliveredIn(round.block) >= n, ROUND_CAP_MS, check))) incompleteRounds++;
      }
      const windowMs = performance.now() - windowStart;
      const calls = proxy.calls.slice(windowFrom);
      const windowTicks = windowMs / POLL_INTERVAL;
      const perTickByMethod = countByMethod(calls);
      for (const [method, count] of perTickByMethod) perTickByMethod.set(method, count / windowTicks);
      const perRound = mined.map((round) =>
        [...(received.get(round.block)?.values() ?? [])].map((at) => at - round.minedAt),
      );
      const latencies = perRound.flat();
      const roundMs = perRound.map((l) => Math.max(...l));
      result = {
        mode,
        n,
        rounds,
        perTick: calls.length / windowTicks,
        perTickByMethod,
        windowTicks,
        latencies,
        roundMs,
        expected: rounds * n,
        duplicates,
        incompleteRounds,
        setupMs,
      };
    } finally {
      // Consumers first (they delete their server-side consumers), then the relay.
      await Promise.all(consumers.map(stopChild));
      if (relay !== undefined) await stopChild(relay);
      // The next relay measurement deletes it too (and fails if it cannot); here it must not hide an error.
      if (mode === 'relay') await deleteStream(nats).catch(() => undefined);
    }
    const diagnostics = new Map<string, number>();
    let foreign = 0;
    for (const child of children()) {
      for (const [kind, count] of Object.entries(child.stopped?.diagnostics ?? {}))
        diagnostics.set(kind, (diagnostics.get(kind) ?? 0) + count);
      foreign += child.stopped?.foreign ?? 0;
    }
    return { ...result, diagnostics, foreign };
  });
}

// ---- the section ----------------------------------------------------------------------------

/** The `p`-th percentile of `values` (nearest rank); NaN when empty. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const methodList = (byMethod: Map<string, number>): string =>
  [...byMethod].map(([method, count]) => `${method} ${formatNumber(count)}`).join(', ');

export async function run(options: BenchOptions): Promise<BenchSection> {
  const title = `Fan-out: one relay vs direct polling, subscriptions over ${PROCESSES} processes`;
  if (!hasNatsServer()) {
    return {
      title,
      method: 'Needs nats-server (apt-get install nats-server).',
      headers: ['subscriptions', 'mode', 'requests per tick at the chain', 'p50 ms', 'p99 ms'],
      rows: [],
      targets: [],
      notes: ['Skipped: nats-server is not installed.'],
    };
  }
  const sizes = options.quick ? [10, 100] : [10, 100, 1000];
  // All deliveries of a round share its phase against the poll timers: the rounds, not the
  // deliveries, are the samples of the wait for the next poll.
  const rounds = options.quick ? 12 : 30;

  const results: Measurement[] = [];
  process.on('exit', killAlive);
  try {
    await withChain(async (chain) => {
      const nexus = await deployFanOutNexus(chain);
      const [from] = (await rpc(chain.url, 'eth_accounts', [])) as string[];
      if (from === undefined) throw new Error('fanOut: anvil has no account');
      // From here on a block is mined only when a round asks for it.
      await rpc(chain.url, 'evm_setAutomine', [false]);
      const nats = await startNatsServer();
      try {
        const setting: Setting = { chain, from, nexus, nats, rounds, prng: createPrng(SEED) };
        for (const n of sizes)
          for (const mode of MODES) {
            const m = await measure(setting, mode, n);
            results.push(m);
            process.stderr.write(
              `  fanOut: ${n} subscriptions, ${mode}: ${formatNumber(m.perTick)} requests/tick, ` +
                `p50 ${formatNumber(percentile(m.latencies, 50), 0)} ms, p99 ${formatNumber(percentile(m.latencies, 99), 0)} ms\n`,
            );
          }
      } finally {
        await nats.stop();
      }
    });
  } finally {
    killAlive();
    process.off('exit', killAlive);
  }

  const of = (mode: Mode, n: number): Measurement | undefined => results.find((m) => m.mode === mode && m.n === n);
  const rows = sizes.flatMap((n) =>
    MODES.map((mode) => {
      const m = of(mode, n);
      return [
        String(n),
        MODE_LABEL[mode],
        mode === 'relay' ? `1 relay + ${PROCESSES}` : String(PROCESSES),
        formatNumber(m?.perTick ?? Number.NaN),
        formatNumber(percentile(m?.latencies ?? [], 50), 0),
        formatNumber(percentile(m?.latencies ?? [], 99), 0),
        `${m?.latencies.length ?? 0} / ${m?.expected ?? 0}`,
      ];
    }),
  );

  const relayPerTick = sizes.map((n) => of('relay', n)?.perTick ?? Number.NaN);
  const targets = [
    {
      target: `relay: requests per tick at the chain independent of N (≤ ${TARGET_PER_TICK})`,
      measured: sizes.map((n, i) => `${n}: ${formatNumber(relayPerTick[i] ?? Number.NaN)}`).join(', '),
      met: relayPerTick.every((x) => x <= TARGET_PER_TICK),
    },
  ];

  const notes: string[] = [];
  for (const mode of MODES)
    notes.push(
      `**${MODE_LABEL[mode]}**, requests per tick by method — ` +
        sizes.map((n) => `${n}: ${methodList(of(mode, n)?.perTickByMethod ?? new Map())}`).join('; ') +
        '.',
    );
  notes.push(
    'Set-up (excluded: spawning the processes, subscribing, and the warm-up round delivered everywhere), s — ' +
      MODES.map(
        (mode) =>
          `${mode}: ${sizes.map((n) => `${n}: ${formatNumber((of(mode, n)?.setupMs ?? Number.NaN) / 1000, 1)}`).join(', ')}`,
      ).join('; ') +
      '. Window length in poll intervals — ' +
      MODES.map(
        (mode) =>
          `${mode}: ${sizes.map((n) => `${n}: ${formatNumber(of(mode, n)?.windowTicks ?? Number.NaN, 0)}`).join(', ')}`,
      ).join('; ') +
      '.',
  );
  notes.push(
    'Round time (block mined → the last of its N deliveries), median and slowest, ms — ' +
      MODES.map(
        (mode) =>
          `${mode}: ${sizes
            .map((n) => {
              const times = of(mode, n)?.roundMs ?? [];
              return `${n}: ${formatNumber(median(times), 0)}, ${formatNumber(times.length > 0 ? Math.max(...times) : Number.NaN, 0)}`;
            })
            .join('; ')}`,
      ).join(' — ') +
      '.',
  );
  const diagnostics = results
    .filter((m) => m.diagnostics.size > 0)
    .map((m) => `${m.mode} at ${m.n}: ${[...m.diagnostics].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  if (diagnostics.length > 0)
    notes.push(
      'Diagnostics the clients and the relay reported, set-up included (`broker-wait (stream)`: a stream ' +
        'subscribed before the relay had created its JetStream stream waited for it, as designed; ' +
        "`broker-wait (consumer)`: the server lost a stream's consumer and the stream created it again, " +
        `its deliveries held up meanwhile): ${diagnostics.join('; ')}.`,
    );
  const problems = results
    .filter((m) => m.latencies.length !== m.expected || m.duplicates > 0 || m.foreign > 0 || m.incompleteRounds > 0)
    .map(
      (m) =>
        `${m.mode} at ${m.n}: ${m.latencies.length} of ${m.expected} delivered, ${m.duplicates} repeated, ` +
        `${m.foreign} to another task's stream, ${m.incompleteRounds} rounds incomplete after ${ROUND_CAP_MS / 1000} s`,
    );
  notes.push(
    problems.length === 0
      ? 'Sanity check: in both modes every subscription received its event of every round exactly once, and nothing else.'
      : `Sanity check failures: ${problems.join('; ')}.`,
  );
  notes.push(
    `One run per size and mode (\`--repeats\` does not apply: the ${rounds} rounds are the samples). ` +
      'Everything (anvil, nats-server, the counting proxy, the relay and consumer processes) shares one machine, ' +
      'so latencies include its scheduling: read the two modes against each other.',
  );
  if (options.quick) notes.push(`Quick run: ${sizes.join(' and ')} subscriptions, ${rounds} rounds.`);

  return {
    title,
    method: [
      `A local anvil with a bench contract that emits TaskStatusChanged (the Nexus signature) for a list of tasks in`,
      `one transaction ([support/FanOutNexus.sol](support/FanOutNexus.sol)), read through a counting JSON-RPC proxy`,
      `(every call that reaches the node is counted), and a local nats-server with JetStream. N subscriptions`,
      `(N = ${sizes.join(', ')}), each \`taskStatusChanged$(task, { fromBlock })\` for its own random task, split`,
      `evenly over ${PROCESSES} consumer processes with one client each`,
      `([support/fanOutChild.ts](support/fanOutChild.ts), \`node --import tsx\`).`,
      `**relay**: one \`relayToJetStream({ rpcUrl: proxy, pollInterval: ${POLL_INTERVAL} })\` in a process of its own`,
      `into a fresh stream, and \`createJetStreamNexusEvents({ servers })\` in each consumer process (one JetStream`,
      `consumer per subscription, filtered by subject on the server). **direct**: \`createNexusEvents({ rpcUrl:`,
      `proxy, pollInterval: ${POLL_INTERVAL} })\` in each consumer process, polling the chain. After a warm-up round`,
      `(not measured; it shows every stream live), ${rounds} rounds: each waits a random 0–${POLL_INTERVAL} ms (a`,
      `random phase against the poll timers), sends one transaction emitting one TaskStatusChanged for every`,
      `subscribed task, mines it alone in a block with \`evm_mine\` (automine off), and waits until all N`,
      `deliveries are reported. **Requests per tick**: the calls that reached the node from the first round to`,
      `the last delivery, divided by the window's length in poll intervals (${POLL_INTERVAL} ms). **Latency**: from`,
      `the moment \`evm_mine\` returned in the parent to the moment the consumer's subscriber received the event`,
      `(\`performance.timeOrigin + performance.now()\` in each process; the event's block number identifies the`,
      `round); p50 and p99 over all ${rounds} × N deliveries.`,
    ].join(' '),
    headers: ['subscriptions', 'mode', 'processes', 'requests per tick at the chain', 'p50 ms', 'p99 ms', 'deliveries'],
    rows,
    targets,
    notes,
  };
}
