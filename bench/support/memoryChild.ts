/**
 * Child process of bench/memory.ts, run as `node --expose-gc --import tsx
 * bench/support/memoryChild.ts '<config JSON>'`: streams `events` Attempted events through
 * ONE long-lived `attempted$(task)` stream of a client whose in-memory rpc simulates a
 * chain that grows by one block per head request, each block holding `perBlock` Attempted
 * logs of that task (so every log is delivered: the stream dedupes and decodes them all).
 * At each sample point it lets the current poll finish (it samples when the next poll asks
 * for the head), runs the GC twice and records `process.memoryUsage()`. Prints one JSON line ({@link MemoryChildResult}) on stdout.
 *
 * The logs are built per request and never kept: the only memory that can grow is the
 * library's (and the counters here).
 */
import type { Subscription } from 'rxjs';
import { type AttemptedEvent, type GetLogsFilter, type NexusRpc, createNexusEvents } from '../../src/index.js';
import {
  NEXUS_ADDRESS,
  createPrng,
  nexusInterface,
  quantity,
  randomHex,
  syntheticBlockHeader,
} from './syntheticLogs.js';

/** What the parent asks for. */
export interface MemoryChildConfig {
  /** Events to stream before stopping. */
  readonly events: number;
  /** In-scope logs per block (a divisor of every sample point, so samples fall between polls). */
  readonly perBlock: number;
  /** Event counts at which to sample the heap (0: right after subscribing). */
  readonly samples: readonly number[];
  /** The client's pollInterval in ms. */
  readonly pollInterval: number;
}

/** One heap sample. */
export interface MemorySample {
  readonly events: number;
  readonly heapUsed: number;
  readonly rss: number;
  /** Milliseconds since subscribing. */
  readonly elapsedMs: number;
}

/** What the child prints. */
export interface MemoryChildResult {
  readonly samples: readonly MemorySample[];
  /** Heap after unsubscribing (everything the stream held released). */
  readonly afterUnsubscribe: MemorySample;
  readonly blocks: number;
  readonly requests: { readonly getBlock: number; readonly getLogs: number; readonly getCode: number };
  readonly diagnostics: number;
  /** Sum of suggestedPayment / 10^15 over all events: proves each was read. */
  readonly checksum: string;
}

const SEED = 0x3e3_0001;
const START_BLOCK = 5_000_000;
const PROVIDERS = 2_000;

function main(config: MemoryChildConfig): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');

  const random = createPrng(SEED);
  const task = `0x${randomHex(random, 20)}`;
  // Attempted data of the task with a pool of providers (a provider's payment fixed): the
  // events carry a few thousand distinct addresses, as a busy task would see.
  const attempted = nexusInterface.getEvent('Attempted');
  if (attempted === null) throw new Error('Attempted is not in NexusAbi.json');
  const topic0 = attempted.topicHash;
  const datas = Array.from({ length: PROVIDERS }, (_, i) => {
    const provider = `0x${randomHex(random, 20)}`;
    return nexusInterface.encodeEventLog(attempted, [task, provider, BigInt(i + 1) * 10n ** 15n]).data;
  });
  const txSalt = randomHex(random, 20);

  let head = START_BLOCK;
  const requests = { getBlock: 0, getLogs: 0, getCode: 0 };

  const logsOf = (block: number): unknown[] => {
    const header = syntheticBlockHeader(SEED, block);
    const logs: unknown[] = [];
    for (let i = 0; i < config.perBlock; i++) {
      logs.push({
        address: NEXUS_ADDRESS,
        topics: [topic0],
        data: datas[(block * config.perBlock + i) % PROVIDERS],
        blockNumber: header.number,
        blockHash: header.hash,
        blockTimestamp: header.timestamp,
        transactionHash: `0x${block.toString(16).padStart(16, '0')}${i.toString(16).padStart(8, '0')}${txSalt}`,
        transactionIndex: quantity(i),
        logIndex: quantity(i),
        removed: false,
      });
    }
    return logs;
  };

  const rpc: NexusRpc = {
    getBlock: (block) => {
      requests.getBlock += 1;
      if (block === 'latest') {
        // A new poll: the last one's batch is delivered, so a sample due is taken now.
        if (sampleDue) takeSample();
        head += 1; // the chain grows by a block per head request, i.e. per poll
        return Promise.resolve(syntheticBlockHeader(SEED, head));
      }
      return Promise.resolve(block <= head ? syntheticBlockHeader(SEED, block) : null);
    },
    getLogs: (filter: GetLogsFilter) => {
      requests.getLogs += 1;
      // Headers carry no logsBloom here, so the library never asks by block hash.
      if (filter.blockHash !== undefined) throw new Error('memory bench: unexpected blockHash filter');
      const logs: unknown[] = [];
      if (filter.address === NEXUS_ADDRESS && (filter.topics[0] ?? []).includes(topic0)) {
        for (let block = filter.fromBlock; block <= Math.min(filter.toBlock, head); block++)
          logs.push(...logsOf(block));
      }
      return Promise.resolve(logs);
    },
    getCode: () => {
      requests.getCode += 1;
      return Promise.resolve('0x6080604052348015600f57600080fd5b50');
    },
  };

  const nexus = createNexusEvents({ rpc, address: NEXUS_ADDRESS, pollInterval: config.pollInterval });
  let diagnostics = 0;
  nexus.diagnostics$.subscribe(() => {
    diagnostics += 1;
  });

  const samples: MemorySample[] = [];
  const pending = [...config.samples].sort((a, b) => a - b);
  let count = 0;
  let checksum = 0n;
  let started = 0;

  let sampleDue = false;
  const takeSample = (): void => {
    sampleDue = false;
    samples.push(sample());
    if (count >= config.events) finish();
  };

  const sample = (): MemorySample => {
    gc();
    gc();
    const usage = process.memoryUsage();
    return { events: count, heapUsed: usage.heapUsed, rss: usage.rss, elapsedMs: performance.now() - started };
  };

  const finish = (): void => {
    subscription.unsubscribe();
    const result: MemoryChildResult = {
      samples,
      afterUnsubscribe: sample(),
      blocks: head - START_BLOCK,
      requests,
      diagnostics,
      checksum: checksum.toString(),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };

  const onEvent = (event: AttemptedEvent): void => {
    count += 1;
    checksum += event.suggestedPayment / 10n ** 15n;
    if (count === pending[0]) {
      pending.shift();
      // Sampled once the current poll is over (at the next head request), so that the batch
      // in flight is not counted as retained. (A setImmediate here could wait hundreds of
      // polls: with a 1 ms interval, timers kept the event loop from reaching it.)
      sampleDue = true;
    }
  };

  started = performance.now();
  const subscription: Subscription = nexus.attempted$(task).subscribe({
    next: onEvent,
    error: (error: unknown) => {
      process.stderr.write(`stream failed: ${String(error)}\n`);
      process.exit(1);
    },
  });
  if (pending[0] === 0) {
    pending.shift();
    samples.push(sample());
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as MemoryChildConfig);
