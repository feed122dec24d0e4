import * as t from 'io-ts';
import { AddressHex, Bytes, Hash32, Quantity } from './hex.js';

/** The rules of a log, field by field, as a plain io-ts structure: the reference, and the source of error messages. */
const RpcLogStructure = t.intersection(
  [
    t.type({
      address: AddressHex,
      topics: t.array(Hash32),
      data: Bytes,
      blockNumber: Quantity,
      blockHash: Hash32,
      transactionHash: Hash32,
      logIndex: Quantity,
    }),
    t.partial({ removed: t.boolean }),
  ],
  'RpcLog',
);

/**
 * A log that passed {@link RpcLog}: the unit the poller emits and the streams decode.
 *
 * @example
 * ```ts
 * import type { RpcLog } from 'ogpu-events';
 *
 * const key = (log: RpcLog) => `${log.transactionHash}:${log.logIndex}`;
 * ```
 */
export interface RpcLog {
  /** The emitting contract, lower case. */
  readonly address: string;
  /** topic0 (the event signature) and indexed parameters, lower case. */
  readonly topics: readonly string[];
  /** The non-indexed parameters, ABI-encoded, lower case. */
  readonly data: string;
  /** The block that holds the log. */
  readonly blockNumber: number;
  /** That block's hash, lower case. */
  readonly blockHash: string;
  /** The transaction that emitted the log, lower case. */
  readonly transactionHash: string;
  /** The log's position in its block. */
  readonly logIndex: number;
  /** `true` when the node reports the log as removed by a reorg. */
  readonly removed?: boolean;
}

const LOWER_HEX = /^0x[0-9a-f]*$/;
const ANY_HEX = /^0x[0-9a-fA-F]*$/;
const QUANTITY = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/;

/** `u` as lower-case hex of `digits` digits (any even length when undefined), or undefined. */
function hex(u: unknown, digits?: number): string | undefined {
  if (typeof u !== 'string') return undefined;
  if (digits === undefined ? (u.length & 1) !== 0 : u.length !== digits + 2) return undefined;
  if (LOWER_HEX.test(u)) return u;
  return ANY_HEX.test(u) ? u.toLowerCase() : undefined;
}

/** A JSON-RPC quantity as a safe integer, or -1. */
function quantity(u: unknown): number {
  if (typeof u === 'string') {
    if (!QUANTITY.test(u)) return -1;
    const n = Number.parseInt(u, 16);
    return Number.isSafeInteger(n) ? n : -1;
  }
  if (typeof u === 'number') return Number.isSafeInteger(u) && u >= 0 ? u : -1;
  if (typeof u === 'bigint') return u >= 0n && u <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(u) : -1;
  return -1;
}

/**
 * `u` when it equals `known`, a value already checked and normalised (the previous log's):
 * then it is a valid value of its field and needs no check; otherwise `check(u)`.
 */
function sameOr(u: unknown, known: string | undefined, check: (u: unknown) => string | undefined): string | undefined {
  return known !== undefined && u === known ? known : check(u);
}

const hex40 = (u: unknown): string | undefined => hex(u, 40);
const hex64 = (u: unknown): string | undefined => hex(u, 64);

/**
 * The fast path: the same rules as {@link RpcLogStructure}, without io-ts' per-field
 * bookkeeping. A field equal to the same field of `previous` (a log of the same answer that
 * passed: the same block, transaction, topic or Nexus) is taken from it unchecked.
 */
export function parseRpcLog(u: unknown, previous?: RpcLog): RpcLog | undefined {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return undefined;
  const raw = u as Record<string, unknown>;
  const address = sameOr(raw['address'], previous?.address, hex40);
  const data = hex(raw['data']);
  const blockHash = sameOr(raw['blockHash'], previous?.blockHash, hex64);
  const transactionHash = sameOr(raw['transactionHash'], previous?.transactionHash, hex64);
  const blockNumber = quantity(raw['blockNumber']);
  const logIndex = quantity(raw['logIndex']);
  const removed = raw['removed'];
  const rawTopics = raw['topics'];
  if (
    address === undefined ||
    data === undefined ||
    blockHash === undefined ||
    transactionHash === undefined ||
    blockNumber < 0 ||
    logIndex < 0 ||
    (removed !== undefined && typeof removed !== 'boolean') ||
    !Array.isArray(rawTopics)
  ) {
    return undefined;
  }
  // The node's own array is kept when every topic is already lower case (the usual case):
  // one allocation less per log. Otherwise a copy gets the normalised topics.
  let topics = rawTopics as string[];
  const previousTopics = previous?.topics;
  for (let i = 0; i < rawTopics.length; i += 1) {
    const raw: unknown = rawTopics[i];
    const topic = sameOr(raw, previousTopics?.[i], hex64);
    if (topic === undefined) return undefined;
    if (topic !== raw) {
      if (topics === rawTopics) topics = rawTopics.slice() as string[];
      topics[i] = topic;
    }
  }
  return removed === undefined
    ? { address, topics, data, blockNumber, blockHash, transactionHash, logIndex }
    : { address, topics, data, blockNumber, blockHash, transactionHash, logIndex, removed };
}

/**
 * A log as `eth_getLogs` returns it, validated and normalised: hex in lower case,
 * block number and log index as numbers. The library's boundary with the node.
 *
 * An io-ts codec with a hand-written fast path: a well-formed log is checked and
 * normalised in one pass; only a malformed one goes through the field-by-field
 * structure, which names every problem.
 *
 * @example
 * ```ts
 * logPoller$({ network: 'testnet' }).subscribe(({ logs }) => {
 *   for (const log of logs) console.log(log.blockNumber, log.logIndex, log.topics[0]);
 * });
 * ```
 */
export const RpcLog = new t.Type<RpcLog, unknown, unknown>(
  'RpcLog',
  (u): u is RpcLog => RpcLogStructure.is(u),
  (u, c) => {
    const log = parseRpcLog(u);
    if (log !== undefined) return t.success(log);
    const detailed = RpcLogStructure.validate(u, t.appendContext(c, '', RpcLogStructure, u));
    // The two agree by construction (and by test); should they not, the stricter wins.
    return detailed._tag === 'Left' ? detailed : t.failure(u, c, 'RpcLog is malformed');
  },
  t.identity,
);
