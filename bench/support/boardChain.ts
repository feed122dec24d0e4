import { NEXUS_EVENT_TOPICS } from '../../src/index';
import { type TestChain, startTestChain } from '../../spec/support/testChain';
import { ANVIL_ARGS, unbatchedProvider } from './backfillChain';
import { createPrng, randomHex } from './syntheticLogs';

/** One task's lifecycle on the chain: the block of each of its four transactions. */
export interface BoardTask {
  /** Lower case, 0x-prefixed: a fresh address, as a newly deployed Task contract's. */
  readonly task: string;
  /** Lower case, 0x-prefixed: a fresh address, as a newly deployed Response contract's. */
  readonly response: string;
  readonly provider: string;
  /** publishTask: TaskPublished + TaskStatusChanged(NEW). */
  readonly publishedIn: number;
  /** attempt: Attempted + TaskStatusChanged(ATTEMPTED). */
  readonly attemptedIn: number;
  /** submitResponse: ResponseSubmitted + ResponseStatusChanged(SUBMITTED) + TaskStatusChanged(RESPONDED). */
  readonly submittedIn: number;
  /** confirmResponse: ResponseStatusChanged(CONFIRMED) + TaskStatusChanged(FINALIZED). */
  readonly confirmedIn: number;
}

/** The logs one task leaves: 2 + 2 + 3 + 2 (see {@link BoardTask}). */
export const LOGS_PER_TASK = 9;
/** Providers registered to each source, in the history's first block. */
export const PROVIDERS_PER_SOURCE = 5;

/** A source and the tasks published to it. */
export interface BoardSource {
  /** Lower case, 0x-prefixed. */
  readonly source: string;
  readonly providers: readonly string[];
  readonly tasks: readonly BoardTask[];
}

/** An anvil chain holding the history of one source's task board. */
export interface BoardChain {
  readonly chain: TestChain;
  readonly url: string;
  /** EIP-55 checksummed. */
  readonly nexusAddress: string;
  /** First block of the history (the providers' registrations). */
  readonly fromBlock: number;
  /** The head: an empty block, above the last event. */
  readonly head: number;
  readonly source: BoardSource;
  /** Nexus logs in `[fromBlock, head]`, checked by reading them back. */
  readonly logs: number;
  readonly txs: number;
  /** Blocks of `[fromBlock, head]` holding at least one transaction. */
  readonly blocksWithTxs: number;
  readonly setupMs: number;
  stop(): Promise<void>;
}

export interface BoardChainSize {
  /** Tasks published to the source. */
  readonly tasks: number;
  /** Blocks of the history, `fromBlock` to `head` inclusive. */
  readonly blocks: number;
  /** Most blocks between two steps of a task's lifecycle (each step comes 1 to this many blocks after the previous). */
  readonly maxStepGap?: number;
  readonly seed?: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A MockNexus call and the number of logs it emits. */
interface Call {
  readonly data: string;
  readonly logs: number;
}

/**
 * Starts anvil, deploys MockNexus and writes the history of one source's task board over
 * `size.blocks` blocks: {@link PROVIDERS_PER_SOURCE} providers registered in the first
 * block, then `size.tasks` tasks published at evenly spread blocks (with jitter) over the
 * first blocks of the history,
 * each followed by an attempt, a response and its confirmation, 1 to `maxStepGap` blocks
 * apart. Every task and response address is new (random), as on the real chain, where
 * each is a freshly deployed contract. The last blocks stay empty, so that the head's
 * bloom rules Nexus logs out (a history read ending there needs no proof request).
 *
 * Automine is switched off while the history is written: a block's transactions are sent
 * (explicit nonce and gas, so anvil neither estimates nor guesses against pending state),
 * then one `evm_mine` puts them in that block; runs of empty blocks are one `anvil_mine`.
 */
export async function buildBoardChain(size: BoardChainSize): Promise<BoardChain> {
  const started = performance.now();
  const maxStepGap = size.maxStepGap ?? 50;
  const random = createPrng(size.seed ?? 0x0b0a_2d11);
  const address = (): string => `0x${randomHex(random, 20)}`;
  const chain = await startTestChain(ANVIL_ARGS);
  const provider = unbatchedProvider(chain.url);
  try {
    const fromBlock = (await chain.head()) + 1;
    const head = fromBlock + size.blocks - 1;
    // Room after the last publication for its three later steps, plus empty blocks on top.
    const lastPublication = head - 3 * maxStepGap - 10;
    if (lastPublication <= fromBlock) throw new RangeError(`${size.blocks} blocks are too few`);

    const interface_ = chain.nexus.interface;
    const byBlock = new Map<number, Call[]>();
    const at = (block: number, logs: number, data: string): void => {
      const list = byBlock.get(block) ?? [];
      list.push({ data, logs });
      byBlock.set(block, list);
    };
    const step = (block: number): number => block + 1 + Math.floor(random() * maxStepGap);

    const sourceAddress = address();
    const providers = Array.from({ length: PROVIDERS_PER_SOURCE }, () => address());
    for (const p of providers) at(fromBlock, 1, interface_.encodeFunctionData('register', [p, sourceAddress, 1]));
    const tasks: BoardTask[] = [];
    const span = lastPublication - fromBlock;
    for (let i = 0; i < size.tasks; i++) {
      const publishedIn = fromBlock + 1 + Math.min(span - 1, Math.floor(((i + random()) * span) / size.tasks));
      const attemptedIn = step(publishedIn);
      const submittedIn = step(attemptedIn);
      const confirmedIn = step(submittedIn);
      const t: BoardTask = {
        task: address(),
        response: address(),
        provider: providers[i % providers.length] ?? sourceAddress,
        publishedIn,
        attemptedIn,
        submittedIn,
        confirmedIn,
      };
      at(publishedIn, 2, interface_.encodeFunctionData('publishTask', [t.task, sourceAddress]));
      at(attemptedIn, 2, interface_.encodeFunctionData('attempt', [t.task, t.provider, 10n ** 15n * BigInt(i + 1)]));
      at(submittedIn, 3, interface_.encodeFunctionData('submitResponse', [t.task, t.response]));
      at(confirmedIn, 2, interface_.encodeFunctionData('confirmResponse', [t.task, t.response]));
      tasks.push(t);
    }
    const source: BoardSource = { source: sourceAddress, providers, tasks };

    const [from] = (await provider.send('eth_accounts', [])) as string[];
    let nonce = Number.parseInt((await provider.send('eth_getTransactionCount', [from, 'latest'])) as string, 16);
    // The heaviest call (submitResponse, three logs) is well under this; a fixed limit skips estimates.
    const gas = hex(200_000);
    await provider.send('evm_setAutomine', [false]);
    let txs = 0;
    let mined = fromBlock - 1;
    for (const block of [...byBlock.keys()].sort((a, b) => a - b)) {
      if (block > mined + 1) await provider.send('anvil_mine', [hex(block - mined - 1)]);
      for (const { data } of byBlock.get(block) ?? []) {
        await provider.send('eth_sendTransaction', [{ from, to: chain.nexusAddress, data, gas, nonce: hex(nonce++) }]);
        txs += 1;
      }
      await provider.send('evm_mine', []);
      mined = block;
    }
    if (head > mined) await provider.send('anvil_mine', [hex(head - mined)]);
    await provider.send('evm_setAutomine', [true]);

    const actualHead = await chain.head();
    if (actualHead !== head) throw new Error(`the history ends at block ${actualHead}, not ${head}`);
    const logs = await checkHistory(chain, fromBlock, head, byBlock, txs);
    return {
      chain,
      url: chain.url,
      nexusAddress: chain.nexusAddress,
      fromBlock,
      head,
      source,
      logs,
      txs,
      blocksWithTxs: byBlock.size,
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

/**
 * Reads the history back (all six topics) and checks that every transaction landed in the
 * block it was meant for and succeeded: the logs per block must be what the calls emit.
 */
async function checkHistory(
  chain: TestChain,
  fromBlock: number,
  head: number,
  byBlock: ReadonlyMap<number, readonly Call[]>,
  txs: number,
): Promise<number> {
  const provider = unbatchedProvider(chain.url);
  try {
    const expected = new Map([...byBlock].map(([block, calls]) => [block, calls.reduce((n, c) => n + c.logs, 0)]));
    const perBlock = new Map<number, number>();
    for (let start = fromBlock; start <= head; start += 5_000) {
      const logs = (await provider.send('eth_getLogs', [
        {
          address: chain.nexusAddress.toLowerCase(),
          topics: [Object.values(NEXUS_EVENT_TOPICS)],
          fromBlock: hex(start),
          toBlock: hex(Math.min(head, start + 4_999)),
        },
      ])) as { blockNumber: string }[];
      for (const log of logs) {
        const block = Number.parseInt(log.blockNumber, 16);
        perBlock.set(block, (perBlock.get(block) ?? 0) + 1);
      }
    }
    for (const [block, n] of expected) {
      if (perBlock.get(block) !== n)
        throw new Error(`block ${block} holds ${perBlock.get(block) ?? 0} Nexus logs, not ${n} (of ${txs} txs)`);
    }
    if (perBlock.size !== expected.size) throw new Error('Nexus logs in blocks that should be empty');
    return [...perBlock.values()].reduce((a, b) => a + b, 0);
  } finally {
    provider.destroy();
  }
}
