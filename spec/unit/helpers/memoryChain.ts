import { getBytes, keccak256 } from 'ethers';
import { type Observable, throwError, timer, map, concatMap } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { type GetLogsFilter, NEXUS_EVENT_TOPICS, type NexusRpc } from 'ogpu-events';
import { NEXUS_ADDRESS, addressWord, hash32, quantity } from './logs';

/** A TaskPublished log of the in-memory chain, before it is placed in a block. */
export interface ChainTx {
  /** Same hash when the transaction is mined again after a reorg. */
  readonly hash: string;
  readonly task: string;
  readonly source: string;
}

/** A block of the in-memory chain. */
export interface ChainBlock {
  readonly number: number;
  readonly hash: string;
  readonly parentHash: string;
  /** One TaskPublished log per transaction, log index = position. */
  readonly txs: readonly ChainTx[];
}

/** A log as the in-memory node answers `eth_getLogs`. */
export interface ChainLogFields {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logIndex: number;
  readonly task: string;
  readonly source: string;
}

const TOPIC0 = NEXUS_EVENT_TOPICS.TaskPublished;

/** The 256-byte logs bloom of a block holding `items` (addresses and topics), as 0x hex: yellow paper M3:2048. */
export function logsBloomOf(items: readonly string[]): string {
  const bloom = new Uint8Array(256);
  for (const item of items) {
    const hash = getBytes(keccak256(item));
    for (let i = 0; i < 6; i += 2) {
      const bit = (((hash[i] ?? 0) << 8) | (hash[i + 1] ?? 0)) & 2047;
      bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
    }
  }
  return `0x${Buffer.from(bloom).toString('hex')}`;
}

/**
 * A chain held in memory and served as a {@link NexusRpc} on the virtual clock: every
 * answer takes one frame, and is computed when it is delivered, so the chain can change
 * between the requests of one poll (as a real node's can). Blocks carry a real logs bloom.
 * `eth_getLogs` by block hash answers "unknown block" for a block not on the chain.
 */
export class MemoryChain {
  readonly blocks: ChainBlock[] = [];
  #forks = 0;
  requests = 0;

  constructor(private readonly scheduler: TestScheduler) {
    this.blocks.push({ number: 0, hash: hash32(0xfeed_0000_0000n), parentHash: hash32(0), txs: [] });
  }

  get head(): ChainBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  /** Mines one block holding `txs`. */
  mine(txs: readonly ChainTx[] = []): ChainBlock {
    const number = this.head.number + 1;
    const block = {
      number,
      hash: hash32((BigInt(this.#forks) << 40n) + BigInt(number) + 0xb10c_0000_0000_0000n),
      parentHash: this.head.hash,
      txs,
    };
    this.blocks.push(block);
    return block;
  }

  /** Drops the newest `depth` blocks (never the genesis); returns their transactions. */
  reorg(depth: number): ChainTx[] {
    this.#forks += 1;
    const dropped = this.blocks.splice(Math.max(1, this.blocks.length - depth));
    return dropped.flatMap((block) => block.txs);
  }

  /** Every TaskPublished log of the chain as it is now, in chain order. */
  logs(): ChainLogFields[] {
    return this.blocks.flatMap((block) =>
      block.txs.map((tx, logIndex) => ({
        blockNumber: block.number,
        blockHash: block.hash,
        transactionHash: tx.hash,
        logIndex,
        task: tx.task,
        source: tx.source,
      })),
    );
  }

  readonly rpc: NexusRpc = {
    getBlock: (block) => this.#later(() => this.#header(block === 'latest' ? this.head.number : block)),
    getCode: () => this.#later(() => '0x6080'),
    getLogs: (filter) => this.#later(() => this.#logs(filter)),
  };

  #later<T>(answer: () => T): Observable<T> {
    this.requests += 1;
    return timer(1, this.scheduler).pipe(
      concatMap(() => {
        try {
          return [answer()];
        } catch (error) {
          return throwError(() => error);
        }
      }),
      map((value) => value),
    );
  }

  #header(number: number): Record<string, string> | null {
    const block = this.blocks[number];
    if (block === undefined) return null;
    const items = block.txs.length === 0 ? [] : [NEXUS_ADDRESS, TOPIC0];
    return {
      number: quantity(block.number),
      hash: block.hash,
      parentHash: block.parentHash,
      logsBloom: logsBloomOf(items),
    };
  }

  #logs(filter: GetLogsFilter): unknown[] {
    let blocks: readonly ChainBlock[];
    if (filter.blockHash !== undefined) {
      const block = this.blocks.find((b) => b.hash === filter.blockHash);
      if (block === undefined) throw { code: -32000, message: 'unknown block' };
      blocks = [block];
    } else {
      blocks = this.blocks.slice(filter.fromBlock, filter.toBlock + 1);
    }
    if (filter.address !== NEXUS_ADDRESS || !(filter.topics[0] ?? []).includes(TOPIC0)) return [];
    return blocks.flatMap((block) =>
      block.txs.map((tx, logIndex) => ({
        address: NEXUS_ADDRESS,
        topics: [TOPIC0],
        data: `0x${addressWord(tx.task)}${addressWord(tx.source)}`,
        blockNumber: quantity(block.number),
        blockHash: block.hash,
        transactionHash: tx.hash,
        logIndex: quantity(logIndex),
      })),
    );
  }
}
