import type { GetLogsFilter, GetLogsRangeFilter, RpcLog } from 'ogpu-events';

/** The Nexus address the unit tests watch, lower case as the library keeps it. */
export const NEXUS_ADDRESS = `0x${'5a'.repeat(20)}`;

/** `0x` and the lower-case hex of a non-negative integer: a JSON-RPC quantity. */
export const quantity = (n: number | bigint): string => `0x${n.toString(16)}`;

/** A 32-byte hash whose last bytes hold `seed`, lower case. */
export const hash32 = (seed: number | bigint): string => `0x${seed.toString(16).padStart(64, '0')}`;

/** A 32-byte ABI word holding `value`, without `0x`. */
export const word = (value: number | bigint): string => value.toString(16).padStart(64, '0');

/** An address word, without `0x`: 12 zero bytes then the 20 address bytes. */
export const addressWord = (address: string): string => address.slice(2).toLowerCase().padStart(64, '0');

/** Where a test log sits and what it holds. */
export interface LogSpec {
  readonly block: number;
  readonly index: number;
  readonly address?: string;
  readonly topics?: readonly string[];
  readonly data?: string;
  readonly transactionHash?: string;
  readonly removed?: boolean;
}

const DEFAULT_TOPIC = hash32(0x70);

/** The default transaction hash of a log: distinct for every (block, index). */
export const txHashOf = (block: number, index: number): string =>
  hash32(0xaa_0000_0000n + BigInt(block) * 1000n + BigInt(index));
/** The default block hash of a block. */
export const blockHashOf = (block: number): string => hash32(0xbb_0000_0000n + BigInt(block));

/** A log as a node returns it from `eth_getLogs`: every field hex, lower case. */
export function rawLog(spec: LogSpec): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    address: spec.address ?? NEXUS_ADDRESS,
    topics: [...(spec.topics ?? [DEFAULT_TOPIC])],
    data: spec.data ?? `0x${word(spec.block)}`,
    blockNumber: quantity(spec.block),
    blockHash: blockHashOf(spec.block),
    transactionHash: spec.transactionHash ?? txHashOf(spec.block, spec.index),
    logIndex: quantity(spec.index),
  };
  if (spec.removed !== undefined) raw['removed'] = spec.removed;
  return raw;
}

/** The same log as the library hands it on after validation: numbers for quantities. */
export function rpcLog(spec: LogSpec): RpcLog {
  return {
    address: spec.address ?? NEXUS_ADDRESS,
    topics: [...(spec.topics ?? [DEFAULT_TOPIC])],
    data: spec.data ?? `0x${word(spec.block)}`,
    blockNumber: spec.block,
    blockHash: blockHashOf(spec.block),
    transactionHash: spec.transactionHash ?? txHashOf(spec.block, spec.index),
    logIndex: spec.index,
    ...(spec.removed === undefined ? {} : { removed: spec.removed }),
  };
}

/** The block range of an `eth_getLogs` filter; fails the test for a block-hash filter, which these fakes do not serve. */
export function rangeOf(filter: GetLogsFilter): GetLogsRangeFilter {
  if (filter.blockHash !== undefined)
    throw new Error(`this fake node serves block ranges, not blockHash ${filter.blockHash}`);
  return filter;
}
