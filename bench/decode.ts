/**
 * Decode throughput on the same synthetic Nexus logs: ogpu-events (its real pipeline,
 * driven two ways) against ethers v6 `Interface.parseLog` and viem `decodeEventLog`.
 *
 * Run alone: npx tsx -e "import('./bench/decode.ts').then(m => (m.run ?? m.default.run)({ repeats: 1, quick: true })).then(s => console.log(JSON.stringify(s, null, 2)))"
 */
import { cpus, loadavg } from 'node:os';
import { type LogDescription, version as ethersVersion } from 'ethers';
import { type Observable, from, lastValueFrom, map, take, takeWhile, toArray } from 'rxjs';
import { type Abi, type Hex, decodeEventLog } from 'viem';
import {
  type GetLogsFilter,
  type RpcLog,
  type LogBatch,
  type NexusDiagnostic,
  type NexusEvent,
  type NexusRpc,
  createNexusEvents,
  logPoller$,
} from '../src/index.js';
import * as decodeModule from '../src/streams/decodeNexusLog.js';
import { type DecodeResult, decodeNexusLog, isInScope } from '../src/streams/decodeNexusLog.js';
import { decodeBatches } from '../src/streams/decodeBatches.js';
import { DESCRIPTORS_BY_TOPIC, type NexusEventDescriptor } from '../src/streams/nexusEventDescriptors.js';
import { DEDUPE_WINDOW_BLOCKS } from '../src/streams/nexusEventStream.js';
import { routeLogBatch } from '../src/streams/routeLogBatch.js';
import type { BenchOptions, BenchSection } from './BenchSection.js';
import { flushOgpuChecksumCache, flushViemChecksumCache } from './support/addressCaches.js';
import {
  type AddressMix,
  NEXUS_ABI,
  RECENT_WINDOW,
  type RawNexusLog,
  type SyntheticLogSet,
  createPrng,
  mostFrequentScope,
  nexusInterface,
  syntheticBlockHeader,
  syntheticNexusLogs,
} from './support/syntheticLogs.js';
import { viemVersion } from './support/viemVersion';

const FULL_LOGS = 200_000;
const QUICK_LOGS = 20_000;
/** Long enough that the poller never ticks twice during a pass: only the first tick (at 0 ms) reads. */
const IDLE_POLL_INTERVAL = 3_600_000;
/** How many decoded logs are compared field by field against ethers' parse of the same raw log. */
const SPOT_CHECKS = 40;
/** The stream of the "one subscriber" row, and the event whose busiest scope it follows. */
const SUBSCRIBER_EVENT = 'TaskStatusChanged';

/**
 * The per-log decoder of the stream pipeline, as `nexusEventStream` makes it: the bench
 * follows whatever src exports at run time (`shapedLogDecoder`, no result object per log),
 * and falls back to `decodeShapedLog`, then to the stable `decodeNexusLog`.
 */
type StreamDecoderFactory = (
  descriptor: NexusEventDescriptor<NexusEvent>,
  onUndecodable: (log: RpcLog, reason: readonly string[]) => void,
) => (log: RpcLog) => NexusEvent | undefined;
const streamDecoder: { readonly name: string; readonly make: StreamDecoderFactory } = (() => {
  const exported = decodeModule as Record<string, unknown>;
  if (typeof exported['shapedLogDecoder'] === 'function') {
    return { name: 'shapedLogDecoder', make: exported['shapedLogDecoder'] as StreamDecoderFactory };
  }
  const decode = (
    typeof exported['decodeShapedLog'] === 'function' ? exported['decodeShapedLog'] : decodeNexusLog
  ) as typeof decodeNexusLog;
  return {
    name: typeof exported['decodeShapedLog'] === 'function' ? 'decodeShapedLog' : 'decodeNexusLog',
    make: (descriptor, onUndecodable) => (log) => {
      const decoded: DecodeResult<NexusEvent> = decode(descriptor, log);
      if (decoded.ok) return decoded.event;
      onUndecodable(log, decoded.reason);
      return undefined;
    },
  };
})();

/** One timed pass: how long it took and what it produced (checked after the clock stopped). */
export interface Pass<T> {
  readonly ms: number;
  readonly output: T;
}

/** The raw logs as one node would answer them, through the three calls of {@link NexusRpc}. */
export class InMemoryNode {
  readonly calls = { getBlock: 0, getLogs: 0, getCode: 0 };
  /** Logs in all `getLogs` answers so far: what a client had to validate and route. */
  logsServed = 0;
  readonly #answers = new Map<string, readonly RawNexusLog[]>();
  readonly #blockNumbers: readonly number[];

  constructor(readonly set: SyntheticLogSet) {
    this.#blockNumbers = set.logs.map((log) => Number.parseInt(log.blockNumber, 16));
  }

  /**
   * A fresh rpc: head = the last block of the set; `getLogs` honours address, topics and
   * range like a node (answers are memoised per filter, so the node's filtering is paid
   * in the untimed warm-up pass, never in a measured one).
   */
  rpc(): NexusRpc {
    const { set } = this;
    const head = set.toBlock;
    return {
      getBlock: (block) => {
        this.calls.getBlock += 1;
        const number = block === 'latest' ? head : block;
        return Promise.resolve(number <= head ? syntheticBlockHeader(set.seed, number) : null);
      },
      getLogs: (filter) => {
        this.calls.getLogs += 1;
        const logs = this.#logs(filter);
        this.logsServed += logs.length;
        return Promise.resolve(logs);
      },
      getCode: () => {
        this.calls.getCode += 1;
        return Promise.resolve('0x6080604052348015600f57600080fd5b50');
      },
    };
  }

  #logs(filter: GetLogsFilter): readonly RawNexusLog[] {
    const key = JSON.stringify(filter);
    let answer = this.#answers.get(key);
    if (answer === undefined) {
      const topics = new Set(filter.topics[0] ?? []);
      const address = filter.address.toLowerCase();
      answer = this.set.logs.filter((log, i) => {
        const block = this.#blockNumbers[i] ?? -1;
        return (
          log.address === address &&
          topics.has(log.topics[0] ?? '') &&
          // Block-hash filters never come: these headers carry no logsBloom.
          block >= (filter.fromBlock ?? Infinity) &&
          block <= (filter.toBlock ?? -1)
        );
      });
      this.#answers.set(key, answer);
    }
    return answer;
  }
}

/** What the "every log decoded" pass needs to know about the logs: each one's scope. */
export interface ScopeFixture {
  /** Per topic0, the scope hex40 of each of its logs, in chain order (the order routeLogBatch keeps). */
  readonly scopesByTopic: ReadonlyMap<string, readonly string[]>;
  /** Per topic0, its distinct scope hex40s: one stream each, so that every log has a subscriber. */
  readonly distinctScopesByTopic: ReadonlyMap<string, readonly string[]>;
}

export function scopeFixture(set: SyntheticLogSet): ScopeFixture {
  const scopesByTopic = new Map<string, string[]>();
  set.logs.forEach((log, i) => {
    const topic0 = log.topics[0] ?? '';
    const scopes = scopesByTopic.get(topic0) ?? [];
    scopes.push(set.scopes[i] ?? '');
    scopesByTopic.set(topic0, scopes);
  });
  const distinctScopesByTopic = new Map([...scopesByTopic].map(([topic0, scopes]) => [topic0, [...new Set(scopes)]]));
  return { scopesByTopic, distinctScopesByTopic };
}

/** A routed batch, seen through what the bench may use of it whatever version of src runs. */
interface RoutedBatch {
  readonly byTopic: ReadonlyMap<string, readonly RpcLog[]>;
  /** The client's per-scope index of a topic's logs, when src has one (the live path then reads it). */
  readonly inScope?: (topic0: string, word: number, hex40: string) => readonly RpcLog[];
}

/**
 * How the (a) pass hands logs to stream pipelines.
 * - `per-topic` (the measured rows): one pipeline per event, each log matched against its
 *   own scope address, so that the cost is per delivered event. When routeLogBatch builds
 *   a per-scope index (`inScope`, which the client's live path reads), it is built too,
 *   once per topic, as the live path does for its first stream.
 * - `per-scope`: one stream per distinct scope address, each fed from that index — a client
 *   with a subscriber for every address; dominated by per-subscription set-up when
 *   addresses have few logs each. Reported as a note.
 */
export type RoutingMode = 'per-scope' | 'per-topic';

/**
 * The per-subscription part of `nexusEventStream` after its batches: scope match on the
 * raw word, dedupe, decode into the frozen event class (a log that does not decode is
 * reported and skipped).
 */
function streamPipeline(
  batch$: Observable<LogBatch>,
  descriptor: NexusEventDescriptor<NexusEvent>,
  scopeOf: (log: RpcLog, i: number) => string,
  report: (diagnostic: NexusDiagnostic) => void,
): Observable<NexusEvent> {
  return batch$.pipe(
    map((b) => ({ logs: b.logs.filter((log, i) => isInScope(log, descriptor.scope.word, scopeOf(log, i))) })),
    decodeBatches(
      DEDUPE_WINDOW_BLOCKS,
      streamDecoder.make(descriptor, (log, reason) =>
        report({ kind: 'undecodable-log', event: descriptor.name, reason, log }),
      ),
    ),
  );
}

/**
 * ogpu-events (a): every log becomes a frozen event. The logs arrive as ONE eth_getLogs
 * answer through `logPoller$` (which validates them at the boundary), the batch is
 * routed once (`routeLogBatch`, as the client does), and every log goes through the
 * stream pipeline of `nexusEventStream` — scope match on the raw word, dedupe, decode,
 * event class — in a stream of its own scope (see {@link RoutingMode}), so that all are
 * delivered.
 */
export async function ogpuEveryLog(
  node: InMemoryNode,
  fixture: ScopeFixture,
  mode: RoutingMode = 'per-topic',
): Promise<Pass<OgpuOutput>> {
  const { set } = node;
  const diagnostics: NexusDiagnostic[] = [];
  const report = (diagnostic: NexusDiagnostic): void => {
    diagnostics.push(diagnostic);
  };
  const events: NexusEvent[] = [];
  const deliver = (event: NexusEvent): void => {
    events.push(event);
  };
  let streams = 0;
  let lastRouted: RoutedBatch | undefined;
  const start = performance.now();
  const batches = await lastValueFrom(
    logPoller$({
      rpc: node.rpc(),
      address: set.address,
      fromBlock: set.fromBlock,
      pollInterval: IDLE_POLL_INTERVAL,
      maxBlockRange: set.toBlock - set.fromBlock + 1,
      onDiagnostic: report,
    }).pipe(
      takeWhile((batch) => batch.toBlock < set.toBlock, true),
      toArray(),
    ),
  );
  for (const batch of batches) {
    const routed: RoutedBatch = routeLogBatch(batch, report);
    const hasIndex = typeof routed.inScope === 'function';
    for (const [topic0, descriptor] of DESCRIPTORS_BY_TOPIC) {
      const word = descriptor.scope.word;
      const distinctScopes = fixture.distinctScopesByTopic.get(topic0) ?? [];
      if (mode === 'per-scope' && hasIndex) {
        for (const hex40 of distinctScopes) {
          const logs = routed.inScope?.(topic0, word, hex40) ?? [];
          const batch$ = from([{ fromBlock: batch.fromBlock, toBlock: batch.toBlock, logs }]);
          streamPipeline(batch$, descriptor, () => hex40, report).subscribe(deliver);
          streams += 1;
        }
      } else {
        // The live path asks the routed batch for a scope once per stream: the first time per
        // topic it scans the topic (the index is built from the second ask).
        if (hasIndex && distinctScopes[0] !== undefined) routed.inScope?.(topic0, word, distinctScopes[0]);
        const logs = routed.byTopic.get(topic0);
        if (logs === undefined) continue;
        const scopes = fixture.scopesByTopic.get(topic0) ?? [];
        const batch$ = from([{ fromBlock: batch.fromBlock, toBlock: batch.toBlock, logs }]);
        streamPipeline(batch$, descriptor, (_, i) => scopes[i] ?? '', report).subscribe(deliver);
        streams += 1;
      }
    }
    if (hasIndex) lastRouted = routed;
  }
  const ms = performance.now() - start;
  // Untimed: the index (when there is one) must hand every log of a topic to exactly one scope.
  if (lastRouted !== undefined) {
    const routed = lastRouted;
    for (const [topic0, descriptor] of DESCRIPTORS_BY_TOPIC) {
      const scopes = fixture.distinctScopesByTopic.get(topic0) ?? [];
      let covered = 0;
      for (const hex40 of scopes) covered += routed.inScope?.(topic0, descriptor.scope.word, hex40).length ?? 0;
      if (covered !== (routed.byTopic.get(topic0)?.length ?? 0)) {
        throw new Error(`the scope index of ${descriptor.name} covers ${covered} logs`);
      }
    }
  }
  return {
    ms,
    output: { events, diagnostics, batches: batches.length, mode, streams, indexed: lastRouted !== undefined },
  };
}

export interface OgpuOutput {
  readonly events: readonly NexusEvent[];
  readonly diagnostics: readonly NexusDiagnostic[];
  readonly batches: number;
  /** How logs were handed to stream pipelines, and how many pipelines ran. */
  readonly mode: RoutingMode;
  readonly streams: number;
  /** Whether routeLogBatch's per-scope index was built (src has one). */
  readonly indexed: boolean;
}

/**
 * ogpu-events (b): the public API as an application uses it — one client, one stream
 * scoped to the busiest task, backfilling the whole range from `fromBlock` in one
 * eth_getLogs (the node filters by topic0, the client by scope before decoding). Timed
 * from subscribe to the last expected event.
 */
export async function ogpuOneSubscriber(
  node: InMemoryNode,
  scope: { readonly address: string; readonly count: number },
): Promise<Pass<readonly NexusEvent[]>> {
  const { set } = node;
  const nexus = createNexusEvents({
    rpc: node.rpc(),
    address: set.address,
    pollInterval: IDLE_POLL_INTERVAL,
    maxBlockRange: set.toBlock - set.fromBlock + 1,
  });
  const diagnostics: NexusDiagnostic[] = [];
  const watch = nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
  const start = performance.now();
  const events = await lastValueFrom(
    nexus.taskStatusChanged$(scope.address, { fromBlock: set.fromBlock }).pipe(take(scope.count), toArray()),
  );
  const ms = performance.now() - start;
  watch.unsubscribe();
  if (diagnostics.length > 0) throw new Error(`one-subscriber pass reported ${diagnostics.length} diagnostics`);
  return { ms, output: events };
}

/** ethers v6: `Interface.parseLog` on each raw log; the LogDescription (name, args) is what a user gets. */
function ethersParse(set: SyntheticLogSet, limit = set.logs.length): Pass<readonly LogDescription[]> {
  const logs = set.logs.slice(0, limit);
  const out = new Array<LogDescription>(logs.length);
  const start = performance.now();
  for (let i = 0; i < logs.length; i++) {
    const parsed = nexusInterface.parseLog(logs[i] as RawNexusLog);
    if (parsed === null) throw new Error(`ethers did not recognise log ${i}`);
    out[i] = parsed;
  }
  return { ms: performance.now() - start, output: out };
}

type ViemLog = ReturnType<typeof decodeEventLog<Abi>>;

/** viem: `decodeEventLog({ abi, data, topics })` on each raw log. */
function viemDecode(set: SyntheticLogSet): Pass<readonly ViemLog[]> {
  const { logs } = set;
  const abi = NEXUS_ABI as unknown as Abi;
  const out = new Array<ViemLog>(logs.length);
  const start = performance.now();
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i] as RawNexusLog;
    out[i] = decodeEventLog({ abi, data: log.data as Hex, topics: log.topics as [Hex, ...Hex[]] });
  }
  return { ms: performance.now() - start, output: out };
}

const positionKey = (transactionHash: string, logIndex: number): string => `${transactionHash}:${logIndex}`;

/** A field value as ethers gives it, in the form ogpu-events gives it (uint8 enums as numbers). */
function expectedField(type: string, value: unknown): unknown {
  return type === 'uint8' ? Number(value as bigint) : value;
}

/** Sample log indexes for spot checks, the same every run. */
function sampleIndexes(n: number, count: number): number[] {
  const random = createPrng(0x5eed);
  return Array.from({ length: Math.min(n, count) }, () => Math.floor(random() * n));
}

/** Fails loudly unless the (a) pass delivered every log, as frozen events equal to ethers' parse. */
function verifyEveryLog(set: SyntheticLogSet, output: OgpuOutput): void {
  const { events, diagnostics } = output;
  if (output.batches !== 1) throw new Error(`the logs came in ${output.batches} batches, not one eth_getLogs answer`);
  if (diagnostics.length > 0) {
    throw new Error(`ogpu-events reported ${diagnostics.length} diagnostics, e.g. ${JSON.stringify(diagnostics[0])}`);
  }
  if (events.length !== set.logs.length) {
    throw new Error(`ogpu-events delivered ${events.length} events for ${set.logs.length} logs`);
  }
  const byName = new Map<string, number>();
  for (const e of events) byName.set(e.eventName, (byName.get(e.eventName) ?? 0) + 1);
  for (const [name, count] of Object.entries(set.countsByEvent)) {
    if ((byName.get(name) ?? 0) !== count) {
      throw new Error(`ogpu-events delivered ${byName.get(name) ?? 0} ${name} events, expected ${count}`);
    }
  }
  const byPosition = new Map(events.map((e) => [positionKey(e.transactionHash, e.logIndex), e]));
  for (const i of sampleIndexes(set.logs.length, SPOT_CHECKS)) {
    const log = set.logs[i] as RawNexusLog;
    const event = byPosition.get(positionKey(log.transactionHash, Number.parseInt(log.logIndex, 16)));
    const parsed = nexusInterface.parseLog(log);
    if (event === undefined || parsed === null) throw new Error(`log ${i}: no event delivered`);
    const fields = event as unknown as Record<string, unknown>;
    const problems: string[] = [];
    if (!Object.isFrozen(event)) problems.push('not frozen');
    if (event.eventName !== parsed.name) problems.push(`eventName ${event.eventName} ≠ ${parsed.name}`);
    if (event.blockNumber !== Number.parseInt(log.blockNumber, 16)) problems.push('blockNumber');
    if (event.blockHash !== log.blockHash) problems.push('blockHash');
    for (const input of parsed.fragment.inputs) {
      const expected = expectedField(input.type, parsed.args.getValue(input.name));
      if (fields[input.name] !== expected) {
        problems.push(`${input.name}: ${String(fields[input.name])} ≠ ethers ${String(expected)}`);
      }
    }
    if (problems.length > 0) throw new Error(`log ${i} (${parsed.name}) decoded wrong: ${problems.join('; ')}`);
  }
}

function verifyOneSubscriber(events: readonly NexusEvent[], scope: { address: string; count: number }): void {
  if (events.length !== scope.count) {
    throw new Error(`one subscriber got ${events.length} events, expected ${scope.count}`);
  }
  for (const e of events) {
    const task = (e as unknown as { task?: string }).task;
    if (e.eventName !== SUBSCRIBER_EVENT || task?.toLowerCase() !== scope.address) {
      throw new Error(`one subscriber got an event outside its scope: ${JSON.stringify(e)}`);
    }
  }
}

/**
 * ethers and viem must have decoded every log they were given (ethers: the first
 * `ethersLogs`), and agree on the sampled ones.
 */
function verifyReference(
  set: SyntheticLogSet,
  ethers: readonly LogDescription[],
  viem: readonly ViemLog[],
  ethersLogs = set.logs.length,
): void {
  if (ethers.length !== ethersLogs || viem.length !== set.logs.length) {
    throw new Error('a reference decoder skipped logs');
  }
  for (const i of sampleIndexes(ethersLogs, SPOT_CHECKS)) {
    const e = ethers[i] as LogDescription;
    const v = viem[i] as ViemLog;
    const args = v.args as unknown as Record<string, unknown>;
    for (const input of e.fragment.inputs) {
      const expected: unknown = e.args.getValue(input.name);
      const actual = args[input.name];
      const same = input.type === 'uint8' ? Number(expected as bigint) === Number(actual) : expected === actual;
      if (v.eventName !== e.name || !same) throw new Error(`viem and ethers disagree on log ${i} (${input.name})`);
    }
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const formatRatio = (r: number): string => `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;

/** Target on both mixes: ogpu-events (a) at least this many times viem decodeEventLog. */
const VIEM_TARGET = 3;
/** Target on the warm mix: ogpu-events (a) at least this many times ethers parseLog. */
const ETHERS_TARGET = 20;

/** The timed passes of one address mix, and what the report says of them. */
interface MixResult {
  readonly mix: AddressMix;
  readonly set: SyntheticLogSet;
  readonly times: {
    readonly every: readonly number[];
    readonly one: readonly number[];
    readonly ethers: readonly number[];
    readonly viem: readonly number[];
  };
  /** Logs ethers decodes per pass (a tenth, see {@link measureMix}). */
  readonly ethersLogs: number;
  /** The first (a) pass over this mix: untimed warm-up and check; the cold-cache pass for the first mix. */
  readonly cold: Pass<OgpuOutput>;
  /** One pass with a stream per scope address (warm mix, when src has the index). */
  readonly perScope: Pass<OgpuOutput> | undefined;
  /** The (b) row's stream scope (warm mix only). */
  readonly scope: { readonly address: string; readonly count: number } | undefined;
  /**
   * Logs the node answered the (b) stream's reads with: its topic's logs when the client
   * asks for the stream's topic alone, every Nexus log when it reads all six topics at once.
   */
  readonly oneAnswered: number;
  /** Never-seen addresses pushed through each cache before each timed pass (0 for the warm mix). */
  readonly flushed: { readonly ogpu: number; readonly viem: number };
}

/**
 * One address mix: an untimed warm-up pass of each decoder, then `repeats` timed passes,
 * interleaved. On the warm mix the warm-up leaves the checksum caches of ogpu-events and
 * viem holding every address (a long-running process on a pool of addresses). On the
 * fresh mix, each cache is filled with never-seen addresses right before its decoder's
 * timed pass (untimed), so that the pass finds it as a long-running process on the real
 * chain does — full, evicting, never holding a task before its TaskPublished — rather
 * than holding what the previous pass over the same logs left. ethers decodes the first
 * tenth of the logs per pass (a full pass takes half a minute or more, which three passes
 * on two mixes would make minutes): it has no address cache, so its cost per log does not
 * depend on which logs, and a tenth gives its rate.
 */
async function measureMix(mix: AddressMix, n: number, repeats: number): Promise<MixResult> {
  const set = syntheticNexusLogs(n, undefined, mix);
  const node = new InMemoryNode(set);
  const fixture = scopeFixture(set);
  const fresh = mix === 'fresh';
  const scope = fresh ? undefined : mostFrequentScope(set, SUBSCRIBER_EVENT);
  const ethersLogs = Math.ceil(n / 10);

  // Untimed warm-up pass of each (JIT; the in-memory node's memoised answers; on the warm
  // mix the checksum caches too).
  const cold = await ogpuEveryLog(node, fixture);
  verifyEveryLog(set, cold.output);
  if (scope !== undefined) verifyOneSubscriber((await ogpuOneSubscriber(node, scope)).output, scope);
  ethersParse(set, ethersLogs);
  viemDecode(set);

  const times = { every: [] as number[], one: [] as number[], ethers: [] as number[], viem: [] as number[] };
  const flushed = { ogpu: 0, viem: 0 };
  let oneAnswered = 0;
  for (let r = 0; r < repeats; r++) {
    if (fresh) flushed.ogpu = flushOgpuChecksumCache();
    const every = await ogpuEveryLog(node, fixture);
    verifyEveryLog(set, every.output);
    times.every.push(every.ms);
    if (scope !== undefined) {
      const served = node.logsServed;
      const one = await ogpuOneSubscriber(node, scope);
      oneAnswered = node.logsServed - served;
      verifyOneSubscriber(one.output, scope);
      times.one.push(one.ms);
    }
    const ethers = ethersParse(set, ethersLogs);
    times.ethers.push(ethers.ms);
    if (fresh) flushed.viem = flushViemChecksumCache();
    const viem = viemDecode(set);
    times.viem.push(viem.ms);
    verifyReference(set, ethers.output, viem.output, ethersLogs);
  }

  // For reference, once: a client with one stream per distinct scope address, fed from the index.
  const perScope = !fresh && cold.output.indexed ? await ogpuEveryLog(node, fixture, 'per-scope') : undefined;
  if (perScope !== undefined) verifyEveryLog(set, perScope.output);
  return { mix, set, times, ethersLogs, cold, perScope, scope, flushed, oneAnswered };
}

const rate = (logs: number, ms: number): number => (logs / ms) * 1000;

/** Throughputs (logs/s, from the median pass) of a mix. */
function ratesOf(m: MixResult) {
  const n = m.set.logs.length;
  return {
    every: rate(n, median(m.times.every)),
    one: m.times.one.length > 0 ? rate(m.oneAnswered, median(m.times.one)) : Number.NaN,
    ethers: rate(m.ethersLogs, median(m.times.ethers)),
    viem: rate(n, median(m.times.viem)),
  };
}

function describeSet(m: MixResult): string {
  const { set } = m;
  const counts = Object.entries(set.countsByEvent)
    .map(([name, count]) => `${name} ${formatInt(count)}`)
    .join(', ');
  const addresses =
    m.mix === 'warm'
      ? `${formatInt(set.distinctAddresses)} distinct addresses drawn with a skew from fixed pools`
      : `${formatInt(set.distinctAddresses)} distinct addresses: every TaskPublished names a new task and every ` +
        `ResponseSubmitted a new response, the other events one of the last ${formatInt(RECENT_WINDOW)} tasks or ` +
        `responses (the newest more likely), sources and providers from the pools`;
  return `**${m.mix} mix** (${counts}; ${addresses}; blocks ${set.fromBlock}–${set.toBlock})`;
}

export async function run(options: BenchOptions): Promise<BenchSection> {
  const n = options.quick ? QUICK_LOGS : FULL_LOGS;
  const repeats = Math.max(1, Math.floor(options.repeats));
  // Warm first: its first pass is the process's cold-cache pass, reported as such.
  const mixes = [await measureMix('warm', n, repeats), await measureMix('fresh', n, repeats)];

  const rows: string[][] = [];
  for (const m of mixes) {
    const r = ratesOf(m);
    const row = (name: string, logs: number, events: number, times: readonly number[], perSecond: number) => [
      m.mix,
      name,
      formatInt(logs),
      formatInt(events),
      median(times).toFixed(1),
      formatInt(perSecond),
      formatRatio(perSecond / r.ethers),
      formatRatio(perSecond / r.viem),
    ];
    rows.push(row('ogpu-events (a) every log decoded', n, n, m.times.every, r.every));
    if (m.scope !== undefined) {
      const answer = m.oneAnswered;
      rows.push(
        row(
          'ogpu-events (b) one subscriber: taskStatusChanged$(busiest task)',
          answer,
          m.scope.count,
          m.times.one,
          r.one,
        ),
      );
    }
    rows.push(
      row(
        m.ethersLogs === n
          ? 'ethers Interface.parseLog'
          : `ethers Interface.parseLog (first ${formatInt(m.ethersLogs)} logs)`,
        m.ethersLogs,
        m.ethersLogs,
        m.times.ethers,
        r.ethers,
      ),
      row('viem decodeEventLog', n, n, m.times.viem, r.viem),
    );
  }

  const targets: { target: string; measured: string; met: boolean }[] = [];
  for (const m of mixes) {
    const r = ratesOf(m);
    if (m.mix === 'warm') {
      const vsEthers = r.every / r.ethers;
      targets.push({
        target: `warm mix: ogpu-events (a) ≥ ${ETHERS_TARGET}× ethers parseLog`,
        measured: `${formatRatio(vsEthers)} (${formatInt(r.every)} vs ${formatInt(r.ethers)} logs/s)`,
        met: vsEthers >= ETHERS_TARGET,
      });
    }
    const vsViem = r.every / r.viem;
    targets.push({
      target: `${m.mix} mix: ogpu-events (a) ≥ ${VIEM_TARGET}× viem decodeEventLog`,
      measured: `${formatRatio(vsViem)} (${formatInt(r.every)} vs ${formatInt(r.viem)} logs/s)`,
      met: vsViem >= VIEM_TARGET,
    });
  }

  const warm = mixes[0] as MixResult;
  const fresh = mixes[1] as MixResult;
  const warmCold = rate(n, warm.cold.ms);
  const passes = (m: MixResult): string =>
    `${m.mix} — (a) ${m.times.every.map((t) => t.toFixed(0)).join(', ')}` +
    (m.times.one.length > 0 ? `; (b) ${m.times.one.map((t) => t.toFixed(0)).join(', ')}` : '') +
    `; ethers ${m.times.ethers.map((t) => t.toFixed(0)).join(', ')}; viem ${m.times.viem.map((t) => t.toFixed(0)).join(', ')}`;
  const freshRates = ratesOf(fresh);
  const warmRates = ratesOf(warm);

  return {
    title: `Decode throughput on ${formatInt(n)} synthetic Nexus logs, warm and fresh address mixes`,
    method:
      `Two sets of ${formatInt(n)} raw \`eth_getLogs\` logs (JSON-RPC shape, lower-case hex, encoded with ethers from the ` +
      `Nexus ABI; seeded, mixed over the six events; sent once through JSON.stringify and JSON.parse, so that their ` +
      `strings are flat, as those of a node's answer are): ${mixes.map(describeSet).join('; ')}. ` +
      `Every decoder gets the same log objects; per mix, one untimed warm-up pass each, then ${repeats} timed ` +
      `pass${repeats === 1 ? '' : 'es'}, interleaved; the median is reported. ` +
      `**ogpu-events (a) every log decoded**: the logs are ONE \`eth_getLogs\` answer of an in-memory \`rpc\`, read ` +
      `by \`logPoller$\` (\`validateRpcLogs\`: every raw log checked at the boundary), routed by topic0 (\`routeLogBatch\`), then ` +
      `run through the stream pipeline of \`nexusEventStream\` (scope match on the raw word, \`decodeBatches\`: ` +
      `dedupe, \`${streamDecoder.name}\`, frozen event class) ${
        warm.cold.output.indexed
          ? "in one pipeline per event, each log matched against its own scope address (the routed batch's " +
            '`inScope`, which the live path reads, is asked once per event too: a scan of the topic, as for a ' +
            "client's first stream; the index is built from the second), "
          : 'in one pipeline per event, each log matched against its own scope address, '
      }so every log is delivered; timed from subscribe to the last event, and checked afterwards (event count per type, ` +
      `${SPOT_CHECKS} logs compared field by field with ethers' parse, frozen). **ogpu-events (b) one subscriber** ` +
      `(warm mix): \`createNexusEvents({ rpc })\` and \`taskStatusChanged$(busiest task, { fromBlock })\`, timed from ` +
      `subscribe until the ${formatInt(warm.scope?.count ?? 0)} expected events arrived; the node answers the stream's ` +
      `reads with ${formatInt(warm.oneAnswered)} logs (${formatInt(warm.set.countsByEvent[SUBSCRIBER_EVENT])} of its ` +
      `topic; its logs/s counts all the answers held, which the client validates and routes), the ` +
      `stream decodes only the in-scope ones. **ethers** ${ethersVersion}: \`Interface.parseLog(log)\` per log, keeping ` +
      `the LogDescription (name, args), on the first tenth of the logs per pass (a full pass takes half a minute or ` +
      `more; without an address cache its cost per log does not depend on which logs). **viem** ${viemVersion()}: \`decodeEventLog({ abi, data, topics })\` ` +
      `per log. Both get the full Nexus ABI. Address caches: on the warm mix the warm-up leaves those of ogpu-events ` +
      `(a table of 65,536 slots indexed by an address's first four digits, which holds nearly every address: few share ` +
      `a slot) and viem (an LRU of 8k) holding every address, as in a long-running process; on the fresh mix, right before ` +
      `each timed pass, ${formatInt(fresh.flushed.ogpu)} (ogpu-events) and ${formatInt(fresh.flushed.viem)} (viem) ` +
      `never-seen addresses go through its decoder's cache, untimed (for ogpu-events one per slot), so that the pass finds it full and evicting, ` +
      `holding no task before its TaskPublished (as on the real chain), not warm from the previous pass over the same logs.`,
    headers: ['mix', 'decoder', 'logs in', 'events out', 'median ms', 'logs/s', 'vs ethers', 'vs viem'],
    rows,
    targets,
    notes: [
      'The comparison favours ethers and viem: their decoders mask dirty high bits of address and uint8 words, ' +
        'while ogpu-events checks that every word is canonical (rejecting, and reporting, a log that is not); ' +
        'ogpu-events (a) also validates each raw log (hex shapes, quantities, address) and dedupes, which the ' +
        'others do not do at all, and turns block number and log index into numbers.',
      `Fresh vs warm, same decoder: ogpu-events (a) ${formatRatio(freshRates.every / warmRates.every)}, viem ` +
        `${formatRatio(freshRates.viem / warmRates.viem)}, ethers ${formatRatio(freshRates.ethers / warmRates.ethers)} ` +
        `of its warm-mix throughput. The fresh mix has ${formatInt(fresh.set.distinctAddresses)} distinct addresses ` +
        `(${formatInt(fresh.set.countsByEvent.TaskPublished + fresh.set.countsByEvent.ResponseSubmitted)} of them first ` +
        `seen in a TaskPublished or ResponseSubmitted) where the warm one has ${formatInt(warm.set.distinctAddresses)}.`,
      `The first ogpu-events (a) pass in this process (warm mix, cold cache) ran at ${formatInt(warmCold)} logs/s.`,
      ...(warm.perScope === undefined
        ? []
        : [
            `For reference (one pass, not a target): the warm mix delivered to a client with one stream per ` +
              `distinct scope address (${formatInt(warm.perScope.output.streams)} streams, each fed from the routed ` +
              `batch's \`inScope\` index, ${(n / warm.perScope.output.streams).toFixed(1)} logs per stream): ` +
              `${formatInt(rate(n, warm.perScope.ms))} logs/s; per-subscription set-up weighs in when streams get few logs each.`,
          ]),
      `(b) shows the scope-first saving: ${formatInt(warm.oneAnswered)} logs in the answers, ` +
        `${formatInt(warm.scope?.count ?? 0)} decoded. Its time includes the client's start-up requests (head, code ` +
        `check, the block below fromBlock).`,
      `All timed passes (ms): ${mixes.map(passes).join('. ')}.`,
      `Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, load average ` +
        `${loadavg()
          .map((l) => l.toFixed(2))
          .join(' / ')} at the end of the section.`,
    ],
  };
}
