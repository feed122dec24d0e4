/**
 * Deterministic synthetic Nexus logs, as `eth_getLogs` returns them (raw JSON-RPC shape),
 * for the decode and memory benchmarks. Everything derives from a seeded PRNG, so a run
 * with the same count and seed sees byte-identical logs. Encoding (with ethers, from the
 * Nexus ABI) happens once per (count, seed) and is cached; it is never part of a measurement.
 */
import { AbiCoder, type EventFragment, Interface, type InterfaceAbi } from 'ethers';
import abi from '../../spec/fixtures/NexusAbi.json';
import { createPrng } from '../../spec/support/prng';

/** The Nexus ABI (spec/fixtures/NexusAbi.json), as viem and ethers take it. */
export const NEXUS_ABI = abi as unknown as InterfaceAbi & readonly Record<string, unknown>[];

/** The Nexus ABI as an ethers Interface: the encoder of the synthetic logs, the reference decoder. */
export const nexusInterface = new Interface(NEXUS_ABI);

/** The mainnet Nexus address, lower case, as nodes return it. */
export const NEXUS_ADDRESS = '0x2b0cc6058313801d5feb184a539e3a0c5a87a6a1';

/** The six streamed events. */
export type SyntheticEventName =
  'TaskPublished' | 'Attempted' | 'ResponseSubmitted' | 'ResponseStatusChanged' | 'TaskStatusChanged' | 'Registered';

/** The parameter each event's stream is scoped by (see the README's stream table). */
export const SCOPE_FIELD: Readonly<Record<SyntheticEventName, string>> = Object.freeze({
  TaskPublished: 'source',
  Attempted: 'task',
  ResponseSubmitted: 'task',
  ResponseStatusChanged: 'response',
  TaskStatusChanged: 'task',
  Registered: 'source',
});

/** A log exactly as a node's `eth_getLogs` answer holds it. */
export interface RawNexusLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: string;
  readonly blockHash: string;
  readonly blockTimestamp: string;
  readonly transactionHash: string;
  readonly transactionIndex: string;
  readonly logIndex: string;
  readonly removed: false;
}

/** `eth_getBlockByNumber(n, false)`, reduced to what a client reads (plus a timestamp). */
export interface RawBlockHeader {
  readonly number: string;
  readonly hash: string;
  readonly parentHash: string;
  readonly timestamp: string;
}

/**
 * How the logs' addresses recur.
 * - `warm`: every address is drawn, with a skew, from fixed pools (a few hundred sources, a
 *   few thousand tasks, providers and responses): after a first pass, every address is one
 *   a checksum cache has seen.
 * - `fresh`: as on the real chain, every TaskPublished names a task never seen before and
 *   every ResponseSubmitted a response never seen before (each a newly deployed contract);
 *   Attempted, TaskStatusChanged and ResponseSubmitted name a recently published task,
 *   ResponseStatusChanged a recently submitted response (among the last
 *   {@link RECENT_WINDOW}, more likely the newest); sources and providers come from the pools.
 */
export type AddressMix = 'warm' | 'fresh';

/** One generated data set. */
export interface SyntheticLogSet {
  readonly seed: number;
  readonly mix: AddressMix;
  /** The Nexus address, lower case. */
  readonly address: string;
  /** The logs, in chain order (blockNumber, logIndex). */
  readonly logs: readonly RawNexusLog[];
  /** Per log: its event. */
  readonly eventNames: readonly SyntheticEventName[];
  /** Per log: the 40 lower-case hex digits of the address its stream is scoped by. */
  readonly scopes: readonly string[];
  /** First and last block of the range the logs were placed in (some blocks hold no Nexus log). */
  readonly fromBlock: number;
  readonly toBlock: number;
  /** Number of logs of each event. */
  readonly countsByEvent: Readonly<Record<SyntheticEventName, number>>;
  /** Distinct addresses appearing in the logs' data. */
  readonly distinctAddresses: number;
}

/** Relative frequency of the six events: a task's lifecycle emits several status changes per publication. */
const EVENT_WEIGHTS: readonly (readonly [SyntheticEventName, number])[] = [
  ['TaskPublished', 0.12],
  ['Attempted', 0.22],
  ['ResponseSubmitted', 0.15],
  ['ResponseStatusChanged', 0.15],
  ['TaskStatusChanged', 0.33],
  ['Registered', 0.03],
];

/** TaskStatus 0..5 (NEW, ATTEMPTED, RESPONDED, CANCELED, EXPIRED, FINALIZED). */
const TASK_STATUS_WEIGHTS: readonly (readonly [number, number])[] = [
  [0, 0.05],
  [1, 0.35],
  [2, 0.25],
  [3, 0.05],
  [4, 0.05],
  [5, 0.25],
];

const POOL_SIZES = { sources: 300, tasks: 4_000, providers: 2_000, responses: 4_000 } as const;

/** The fresh mix's later events name one of this many most recent tasks (or responses). */
export const RECENT_WINDOW = 2_000;

/** First block of the generated range (a plausible mainnet height). */
export const FIRST_BLOCK = 1_200_000;
const GENESIS_TIMESTAMP = 1_700_000_000;
const DEFAULT_SEED = 0x06_9f_00_01;

/** Re-exported for the bench: one seedable PRNG for the whole test and bench code. */
export { createPrng };

/** `bytes` random bytes as lower-case hex digits (no 0x). */
export function randomHex(random: () => number, bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i += 4) {
    hex += Math.floor(random() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0');
  }
  return hex.slice(0, bytes * 2);
}

/** 0x-prefixed JSON-RPC quantity. */
export const quantity = (n: number): string => `0x${n.toString(16)}`;

/** A hash-looking 32-byte value derived from (seed, n) alone: block hashes without storing them. */
export function derivedHash(seed: number, n: number): string {
  let h = (seed ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  let hex = '0x';
  for (let i = 0; i < 8; i++) {
    h = (h + 0x6d2b79f5 + i) >>> 0;
    let t = Math.imul(h ^ (h >>> 15), h | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    hex += t.toString(16).padStart(8, '0');
    h ^= Math.imul(n + i, 0x85ebca6b);
  }
  return hex;
}

/** The canonical header of block `n` of the synthetic chain with `seed`. */
export function syntheticBlockHeader(seed: number, n: number): RawBlockHeader {
  return {
    number: quantity(n),
    hash: derivedHash(seed, n),
    parentHash: n === 0 ? `0x${'0'.repeat(64)}` : derivedHash(seed, n - 1),
    timestamp: quantity(GENESIS_TIMESTAMP + 2 * n),
  };
}

function weighted<T>(random: () => number, table: readonly (readonly [T, number])[]): T {
  let u = random() * table.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, weight] of table) {
    u -= weight;
    if (u < 0) return value;
  }
  return at(table, table.length - 1)[0];
}

/** `array[i]`, which must exist. */
function at<T>(array: readonly T[], i: number): T {
  const value = array[i];
  if (value === undefined) throw new RangeError(`index ${i} out of ${array.length}`);
  return value;
}

/** An index into a pool of `size`, skewed towards the start (a few busy tasks, a long tail). */
function skewed(random: () => number, size: number): number {
  const u = random();
  return Math.floor(size * u * u);
}

const fragments = new Map<SyntheticEventName, { readonly fragment: EventFragment; readonly topic0: string }>();

/** The event's fragment and topic0 (ethers computes `topicHash` anew, with keccak, at every read). */
function fragmentOf(name: SyntheticEventName): { readonly fragment: EventFragment; readonly topic0: string } {
  let entry = fragments.get(name);
  if (entry === undefined) {
    const fragment = nexusInterface.getEvent(name);
    if (fragment === null) throw new Error(`${name} is not in NexusAbi.json`);
    entry = { fragment, topic0: fragment.topicHash };
    fragments.set(name, entry);
  }
  return entry;
}

const abiCoder = AbiCoder.defaultAbiCoder();
const words = new Map<string, string>();

/**
 * One ABI word, encoded by ethers and memoised: encoding every log from scratch with
 * `encodeEventLog` takes ~100 µs a log (it checksums every address), 20 s for 200k logs.
 * Every Nexus event parameter is static and unindexed, so an event's data is its words
 * concatenated; a sample of logs is checked against `encodeEventLog` as they are built.
 */
function encodeWord(type: string, value: unknown): string {
  const key = `${type}:${String(value)}`;
  let word = words.get(key);
  if (word === undefined) {
    word = abiCoder.encode([type], [value]).slice(2);
    words.set(key, word);
  }
  return word;
}

const cache = new Map<string, SyntheticLogSet>();

/** One of the last {@link RECENT_WINDOW} of `list`, the newest more likely; undefined when empty. */
function recent(random: () => number, list: readonly string[]): string | undefined {
  if (list.length === 0) return undefined;
  const window = Math.min(list.length, RECENT_WINDOW);
  return list[list.length - 1 - skewed(random, window)];
}

/**
 * `count` raw Nexus logs, mixed over the six events. With the `warm` mix (the default),
 * addresses recur as in a pool: a few hundred sources and a few thousand tasks, providers
 * and responses, each drawn with a skewed distribution; with `fresh`, tasks and responses
 * are new when published or submitted (see {@link AddressMix}). Blocks hold 0 to 20 Nexus
 * logs (40 % hold none); log indexes and transaction indexes increase within a block with
 * gaps (other contracts' logs), every log has its own transaction. Cached per (count,
 * seed, mix).
 */
export function syntheticNexusLogs(
  count: number,
  seed: number = DEFAULT_SEED,
  mix: AddressMix = 'warm',
): SyntheticLogSet {
  const key = `${count}:${seed}:${mix}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const random = createPrng(seed);
  const pool = (size: number): string[] => Array.from({ length: size }, () => `0x${randomHex(random, 20)}`);
  const sources = pool(POOL_SIZES.sources);
  const tasks = pool(POOL_SIZES.tasks);
  const providers = pool(POOL_SIZES.providers);
  const responses = pool(POOL_SIZES.responses);
  let registrantId = 1n;
  // The fresh mix's tasks and responses, in the order they appeared.
  const publishedTasks: string[] = [];
  const submittedResponses: string[] = [];

  const logs: RawNexusLog[] = [];
  const eventNames: SyntheticEventName[] = [];
  const scopes: string[] = [];
  const countsByEvent: Record<SyntheticEventName, number> = {
    TaskPublished: 0,
    Attempted: 0,
    ResponseSubmitted: 0,
    ResponseStatusChanged: 0,
    TaskStatusChanged: 0,
    Registered: 0,
  };
  const seen = new Set<string>();

  let block = FIRST_BLOCK - 1;
  while (logs.length < count) {
    block += 1;
    if (random() < 0.4) continue;
    const inBlock = Math.min(count - logs.length, 1 + Math.floor(random() * 20));
    const header = syntheticBlockHeader(seed, block);
    let logIndex = Math.floor(random() * 4);
    let transactionIndex = Math.floor(random() * 3);
    for (let i = 0; i < inBlock; i++) {
      let name = weighted(random, EVENT_WEIGHTS);
      let task = at(tasks, skewed(random, tasks.length));
      const source = at(sources, skewed(random, sources.length));
      const provider = at(providers, skewed(random, providers.length));
      let response = at(responses, skewed(random, responses.length));
      if (mix === 'fresh') {
        // A response's status needs a submitted response, and anything about a task a
        // published task: until there is one, the event that brings it comes instead.
        if (name === 'ResponseStatusChanged' && submittedResponses.length === 0) name = 'ResponseSubmitted';
        if (name !== 'Registered' && name !== 'TaskPublished' && publishedTasks.length === 0) name = 'TaskPublished';
        if (name === 'TaskPublished') {
          task = `0x${randomHex(random, 20)}`;
          publishedTasks.push(task);
        } else {
          task = recent(random, publishedTasks) ?? task;
        }
        if (name === 'ResponseSubmitted') {
          response = `0x${randomHex(random, 20)}`;
          submittedResponses.push(response);
        } else {
          response = recent(random, submittedResponses) ?? response;
        }
      }
      let args: Record<string, unknown>;
      switch (name) {
        case 'TaskPublished':
          args = { task, source };
          break;
        case 'Attempted':
          args = { task, provider, suggestedPayment: BigInt(1 + Math.floor(random() * 5_000)) * 10n ** 15n };
          break;
        case 'ResponseSubmitted':
          args = { response, task };
          break;
        case 'ResponseStatusChanged':
          args = { response, status: random() < 0.5 ? 0 : 1 };
          break;
        case 'TaskStatusChanged':
          args = { task, status: weighted(random, TASK_STATUS_WEIGHTS) };
          break;
        case 'Registered':
          args = {
            provider,
            registrantId: registrantId++,
            source,
            preferredEnvironment: 1 + Math.floor(random() * 7),
          };
          break;
      }
      const { fragment, topic0 } = fragmentOf(name);
      const values = fragment.inputs.map((input) => args[input.name]);
      for (const input of fragment.inputs) {
        if (input.type === 'address') seen.add(args[input.name] as string);
      }
      const topics = [topic0];
      const data = `0x${fragment.inputs.map((input, j) => encodeWord(input.type, values[j])).join('')}`;
      // The word cache must build exactly what ethers' event encoder builds: check a sample.
      if (logs.length % 997 === 0) {
        const reference = nexusInterface.encodeEventLog(fragment, values);
        if (reference.data !== data || reference.topics.join() !== topics.join()) {
          throw new Error(`synthetic ${name} log differs from ethers' encodeEventLog`);
        }
      }
      logs.push({
        address: NEXUS_ADDRESS,
        topics,
        data,
        blockNumber: header.number,
        blockHash: header.hash,
        blockTimestamp: header.timestamp,
        transactionHash: `0x${randomHex(random, 32)}`,
        transactionIndex: quantity(transactionIndex),
        logIndex: quantity(logIndex),
        removed: false,
      });
      eventNames.push(name);
      scopes.push((args[SCOPE_FIELD[name]] as string).slice(2));
      countsByEvent[name] += 1;
      logIndex += 1 + (random() < 0.2 ? 1 + Math.floor(random() * 3) : 0);
      transactionIndex += 1 + (random() < 0.3 ? Math.floor(random() * 4) : 0);
    }
  }

  const set: SyntheticLogSet = {
    seed,
    mix,
    address: NEXUS_ADDRESS,
    logs,
    eventNames,
    scopes,
    fromBlock: FIRST_BLOCK,
    toBlock: block,
    countsByEvent,
    distinctAddresses: seen.size,
  };
  cache.set(key, set);
  return set;
}

/** The scope address (0x, lower case) with the most logs of `event`, and that number of logs. */
export function mostFrequentScope(
  set: SyntheticLogSet,
  event: SyntheticEventName,
): { readonly address: string; readonly count: number } {
  const counts = new Map<string, number>();
  set.eventNames.forEach((name, i) => {
    if (name !== event) return;
    const scope = at(set.scopes, i);
    counts.set(scope, (counts.get(scope) ?? 0) + 1);
  });
  let best = { address: '', count: 0 };
  for (const [hex40, n] of counts) if (n > best.count) best = { address: `0x${hex40}`, count: n };
  return best;
}
