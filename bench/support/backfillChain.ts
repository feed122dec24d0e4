import { FetchRequest, JsonRpcProvider, Network, hexlify, randomBytes } from 'ethers';
import { NEXUS_EVENT_TOPICS } from '../../src/index';
import { type TestChain, randomAddress, startTestChain } from '../../spec/support/testChain';
import { deployFreshTaskNexus } from './freshTaskNexus';

/**
 * What the history holds.
 * - `oneTask`: TaskStatusChanged events of one task (MockNexus `emitManyStatuses`): one
 *   address throughout, so a client's checksum cache answers every event but the first.
 * - `freshTasks`: TaskPublished events of one source, each naming a task never seen before
 *   (bench/support/FreshTaskNexus.sol), as on the real chain where every publication is a
 *   newly deployed Task contract: every event costs a checksum.
 */
export type BackfillWorkload = 'oneTask' | 'freshTasks';

/** The size of the history to build. */
export interface BackfillChainSize {
  readonly workload: BackfillWorkload;
  /** Events to emit (all in the scope of one stream). */
  readonly events: number;
  /** Blocks the events are spread over, first event block to last, at least. */
  readonly blocks: number;
  /** Events per transaction (each transaction is mined in its own block). Default 100. */
  readonly eventsPerTx?: number;
}

/** An anvil chain holding a long history of events in the scope of one stream. */
export interface BackfillChain {
  readonly workload: BackfillWorkload;
  readonly chain: TestChain;
  readonly url: string;
  /** The contract that emitted the history (MockNexus, or FreshTaskNexus), EIP-55 checksummed. */
  readonly nexusAddress: string;
  /** topic0 of every event of the history. */
  readonly topic0: string;
  /**
   * The address every event is scoped by, EIP-55 checksummed: the task of `oneTask`'s
   * TaskStatusChanged events, the source of `freshTasks`' TaskPublished events.
   */
  readonly scope: string;
  /** Block of the first event. */
  readonly fromBlock: number;
  /** The head once built (block of the last event, or an empty block above it). */
  readonly head: number;
  /** Events on the chain in `[fromBlock, head]` (checked by reading them back). */
  readonly events: number;
  /** Transactions sent. */
  readonly txs: number;
  /** Blocks of `[fromBlock, head]` holding at least one event. */
  readonly blocksWithEvents: number;
  /** Most events in one block. */
  readonly maxEventsPerBlock: number;
  /** Wall-clock time of the build (anvil start, deployment, transactions, mining, check), ms. */
  readonly setupMs: number;
  stop(): Promise<void>;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * anvil's block mining slows down with the chain's length from Prague on (EIP-2935 keeps
 * block hashes in a contract whose storage trie anvil rebuilds, and its retained
 * historical states grow): 0.3 ms per block at block 500, ~5 ms at block 4 000, so
 * 50 000 blocks would take most of an hour. Cancun without historical states (blocks,
 * receipts and logs are all kept; only old *states* are pruned, which eth_getLogs never
 * reads) mines at a flat ~0.1 ms per block.
 */
export const ANVIL_ARGS: readonly string[] = ['--hardfork', 'cancun', '--prune-history'];

/**
 * A provider for driving the chain fast: one JSON-RPC object per HTTP request, sent at
 * once (ethers' default batching waits 10 ms before every request).
 */
export function unbatchedProvider(url: string): JsonRpcProvider {
  const network = new Network('custom', 0n);
  const request = new FetchRequest(url);
  request.timeout = 60_000;
  return new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
}

/**
 * Starts anvil, deploys MockNexus (and FreshTaskNexus for `freshTasks`) and builds
 * `size.events` events spread over at least `size.blocks` blocks: transactions
 * `emitManyStatuses(task, status, k)`, or `publishMany(source, salt, k)` with a new salt
 * each (each mined in its own block by anvil's automine), alternate with
 * `anvil_mine` gaps of empty blocks. Transactions are sent with `eth_sendTransaction`
 * from anvil's unlocked account with an explicit gas limit, without waiting for
 * receipts: the requests are sequential, so anvil sees them in order; only the last
 * receipt is awaited. The history is then read back to check the count and the spread.
 */
export async function buildBackfillChain(size: BackfillChainSize): Promise<BackfillChain> {
  const started = performance.now();
  const perTx = size.eventsPerTx ?? 100;
  const txs = Math.ceil(size.events / perTx);
  if (txs > size.blocks) throw new RangeError(`${txs} transactions do not fit in ${size.blocks} blocks`);
  const chain = await startTestChain(ANVIL_ARGS);
  const provider = unbatchedProvider(chain.url);
  try {
    const scope = randomAddress();
    const [from] = (await provider.send('eth_accounts', [])) as string[];
    let to = chain.nexusAddress;
    let topic0: string = NEXUS_EVENT_TOPICS.TaskStatusChanged;
    let encode = (i: number, count: number): string =>
      chain.nexus.interface.encodeFunctionData('emitManyStatuses', [scope, i % 6, count]);
    if (size.workload === 'freshTasks') {
      const fresh = await deployFreshTaskNexus(chain);
      to = fresh.address;
      topic0 = NEXUS_EVENT_TOPICS.TaskPublished;
      // A random salt per transaction: its tasks are keccak256(salt, i), new to every run of the bench.
      encode = (_i, count) => fresh.publishMany(scope, hexlify(randomBytes(32)), count);
    }
    const estimate = BigInt((await provider.send('eth_estimateGas', [{ from, to, data: encode(5, perTx) }])) as string);
    const gas = hex(Number((estimate * 13n) / 10n));

    // txs - 1 gaps sharing the empty blocks, so that the first and last blocks hold events.
    const emptyBlocks = size.blocks - txs;
    const gaps = Math.max(1, txs - 1);
    let remaining = size.events;
    let lastHash = '';
    let fromBlock: number | undefined;
    for (let i = 0; i < txs; i++) {
      const count = Math.min(perTx, remaining);
      remaining -= count;
      lastHash = (await provider.send('eth_sendTransaction', [{ from, to, data: encode(i, count), gas }])) as string;
      if (fromBlock === undefined) {
        fromBlock = await waitForReceiptBlock(provider, lastHash);
      }
      if (i < txs - 1) {
        const gap = Math.floor((emptyBlocks * (i + 1)) / gaps) - Math.floor((emptyBlocks * i) / gaps);
        if (gap > 0) await provider.send('anvil_mine', [hex(gap)]);
      }
    }
    await waitForReceiptBlock(provider, lastHash);
    if (fromBlock === undefined) throw new Error('no transaction sent');
    // A transaction mined by anvil_mine instead of automine saves a block: top up.
    let head = Number.parseInt((await provider.send('eth_blockNumber', [])) as string, 16);
    const missing = fromBlock + size.blocks - 1 - head;
    if (missing > 0) {
      await provider.send('anvil_mine', [hex(missing)]);
      head += missing;
    }

    const perBlock = await countLogsPerBlock(provider, to.toLowerCase(), topic0, fromBlock, head);
    const events = [...perBlock.values()].reduce((a, b) => a + b, 0);
    if (events !== size.events) throw new Error(`built ${events} events, wanted ${size.events}`);
    return {
      workload: size.workload,
      chain,
      url: chain.url,
      nexusAddress: to,
      topic0,
      scope,
      fromBlock,
      head,
      events,
      txs,
      blocksWithEvents: perBlock.size,
      maxEventsPerBlock: Math.max(...perBlock.values()),
      setupMs: performance.now() - started,
      stop: () => chain.stop(),
    };
  } catch (error) {
    await chain.stop();
    throw error;
  } finally {
    provider.destroy();
  }
}

async function waitForReceiptBlock(provider: JsonRpcProvider, hash: string): Promise<number> {
  for (;;) {
    const receipt = (await provider.send('eth_getTransactionReceipt', [hash])) as {
      blockNumber: string;
      status: string;
    } | null;
    if (receipt !== null) {
      if (receipt.status !== '0x1') throw new Error(`transaction ${hash} reverted`);
      return Number.parseInt(receipt.blockNumber, 16);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Logs of `topic0` per block of `[fromBlock, toBlock]`, read in chunks of 5000 blocks. */
async function countLogsPerBlock(
  provider: JsonRpcProvider,
  address: string,
  topic0: string,
  fromBlock: number,
  toBlock: number,
): Promise<Map<number, number>> {
  const perBlock = new Map<number, number>();
  for (let start = fromBlock; start <= toBlock; start += 5_000) {
    const end = Math.min(toBlock, start + 4_999);
    const logs = (await provider.send('eth_getLogs', [
      { address, topics: [[topic0]], fromBlock: hex(start), toBlock: hex(end) },
    ])) as { blockNumber: string }[];
    for (const log of logs) {
      const block = Number.parseInt(log.blockNumber, 16);
      perBlock.set(block, (perBlock.get(block) ?? 0) + 1);
    }
  }
  return perBlock;
}
