import type { RpcFailure } from './RpcFailure.js';

/**
 * What to do about a failed request:
 * - `range`: the node refuses the size of an `eth_getLogs` (block span or result count);
 *   ask again for less. `suggested` is the range the node proposed, `limit` the block span
 *   it stated, when it said either.
 * - `transient`: the node or the path to it is in trouble; the same request may succeed
 *   later (after `retryAfterMs`, when the node said so).
 * - `fatal`: asking again cannot help (method missing, bad parameters, authentication).
 */
export type RpcFailureClass =
  | {
      readonly kind: 'range';
      readonly suggested?: { readonly fromBlock: number; readonly toBlock: number };
      readonly limit?: number;
    }
  | {
      readonly kind: 'transient';
      readonly retryAfterMs?: number;
      /** The node does not have the block asked for yet: it is behind the one that gave the head. */
      readonly lagging?: true;
    }
  | { readonly kind: 'fatal' };

/**
 * Messages of public endpoints that refuse an `eth_getLogs` for its size. Matched first,
 * because providers reuse generic codes (-32000, -32005, -32600, -32602) for them.
 */
const RANGE_MESSAGES: readonly RegExp[] = [
  /block range/i, // "block range is too wide", "exceed maximum block range: 5000", "up to a 2K block range"
  /blocks? range/i, // "eth_getLogs and eth_newFilter are limited to a 10,000 blocks range"
  /range (?:of )?\d[\d,]* (?:blocks? )?exceeds/i, // "range 5000 exceeds limit of 2000"
  /limited to a [\d,]+k? (?:blocks? )?range/i, // "eth_getLogs is limited to a 10,000 range"
  /(?:more|greater) than [\d,]+ (?:results|logs)/i, // "query returned more than 10000 results"
  /response size (?:exceeded|is larger|should not|too)/i, // "Log response size exceeded"
  /too many (?:results|logs|blocks)/i,
  /max(?:imum)? (?:results|logs)/i, // "query exceeds max results 20000"
  /(?:query|range) (?:is )?too (?:large|wide|big)/i,
  /(?:query|request) timeout exceeded.*(?:range|blocks)/i, // "Query timeout exceeded. Consider reducing your block range."
  /range (?:is )?too (?:large|wide|big)/i,
  /range limit/i, // thirdweb: "range 20000 is bigger than range limit 2000" (in `data`)
  /limit the query to/i, // Base: "please limit the query to at most 1000 blocks"
  /logs matched by query exceeds/i, // Arbitrum: "logs matched by query exceeds limit of 10000"
  /range allowed/i, // Blast: "exceeds the range allowed for your plan (5000 > 3000)"
];

/**
 * What a node says when asked about a block it has not seen yet: the hash of a block it
 * does not know (EIP-234), or a range past its head (current geth, Nethermind, Besu,
 * Erigon and reth refuse those; execution-apis #875). The library only asks for blocks at
 * or below a head it was given, so these mean the answering node is behind: retried.
 * Matched before the range messages, since "invalid block range" would match those.
 */
const LAGGING_MESSAGES: readonly RegExp[] = [
  /unknown block/i, // geth, anvil: eth_getLogs({ blockHash }) of a block it does not know
  /beyond (?:the )?(?:current )?head/i, // geth: "block range extends beyond current head block"
  /invalid block range/i, // reth, nanoreth: toBlock past the head
  /header (?:for hash )?not found/i, // geth: a numbered block it does not have
  /after last accepted block/i, // Avalanche: "requested to block X after last accepted block Y"
];

/** A refusal for the number of logs (not blocks): its numbers are not block limits. */
const RESULT_COUNT = /\b(?:logs|results)\b/i;

/** `[0x1a, 0x2f]` (Infura, Alchemy: "Try with this block range" / "this block range should work"). */
const SUGGESTED_RANGE = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i;

/** Block limits stated in words that only describe blocks. */
const BLOCK_LIMITS: readonly RegExp[] = [
  /max(?:imum)? (?:block )?range(?: is)?\s*[:=]?\s*([\d,]+)(k?)\b/i, // "max block range 5000", "exceed maximum block range: 50000"
  /up to (?:a )?([\d,]+)(k?) block/i, // "up to a 2K block range"
  /at most ([\d,]+)(k?) blocks/i, // "limit the query to at most 1000 blocks"
  /max(?:imum)?(?: allowed)? is ([\d,]+)(k?) blocks/i, // "max is 1k blocks", "maximum allowed is 1000 blocks"
  /([\d,]+)(k?) blocks? (?:max|maximum|limit)/i,
  /block range exceeds ([\d,]+)(k?)\b/i, // "block range exceeds 1000"
  /limited to a ([\d,]+)(k?) (?:blocks? )?range/i, // QuickNode
  /range limit (?:of )?([\d,]+)(k?)\b/i, // thirdweb
  /\(\s*[\d,]+\s*>\s*([\d,]+)(k?)\s*\)/, // Blast: "(5000 > 3000)"
];

/** Limits whose unit is only clear when the message is not about logs or results. */
const AMBIGUOUS_LIMITS: readonly RegExp[] = [
  /limit(?:ed)? (?:of|to)(?: a)? ([\d,]+)(k?)\b/i, // "range 5000 exceeds limit of 2000"
  /maximum is set to ([\d,]+)(k?)\b/i,
  /\(maximum ([\d,]+)(k?)\)/i,
  /greater than ([\d,]+)(k?) max/i,
  /narrow your filter:?\s*([\d,]+)(k?)\b/i,
];

/** JSON-RPC codes that retrying cannot fix (when the message is not a range refusal). */
const FATAL_RPC_CODES: ReadonlySet<number> = new Set([
  -32700, // parse error: the request was not JSON
  -32600, // invalid request
  -32601, // method not found
  -32602, // invalid params
  -32004, // method not supported
  -32006, // JSON-RPC version not supported
]);

/**
 * ethers error codes of a request that could not even be made as asked (bad arguments,
 * an unsupported URL scheme, a destroyed provider): no retry changes that.
 */
const FATAL_TRANSPORT_CODES: ReadonlySet<string> = new Set([
  'INVALID_ARGUMENT',
  'MISSING_ARGUMENT',
  'UNEXPECTED_ARGUMENT',
  'UNSUPPORTED_OPERATION',
  'NOT_IMPLEMENTED',
]);

/** What JavaScript engines say about a bug in code: calling a non-function, reading a property of undefined, … */
const PROGRAMMING_ERROR_MESSAGES =
  /is not a function|is not defined|is not a constructor|is not iterable|cannot read propert|cannot set propert|of undefined|of null|undefined is not an object|null is not an object/i;

/**
 * A programming error thrown by a custom transport (`TypeError: rpc.getBlock is not a
 * function`, a `ReferenceError`). Recognised by name and by the engines' wording rather
 * than by type alone: fetch reports network failures as TypeErrors too (undici's
 * "fetch failed", browsers' "Failed to fetch" / "Load failed"), and those are transient.
 * Errors with a transport code, node code or HTTP status are judged by those instead.
 */
function isProgrammingError(failure: RpcFailure): boolean {
  const { error } = failure;
  if (typeof error !== 'object' || error === null) return false;
  if (failure.transportCode !== undefined || failure.rpcCode !== undefined || failure.httpStatus !== undefined) {
    return false;
  }
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return false;
  return name === 'ReferenceError' || (name === 'TypeError' && PROGRAMMING_ERROR_MESSAGES.test(message));
}

/** HTTP statuses that retrying cannot fix: bad request, authentication, wrong URL. */
const FATAL_HTTP_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 405, 410, 414, 501]);

/**
 * Classifies a failure by message first and code second. Anything not known to be
 * hopeless is transient: the poller waits for a node rather than dying on it.
 */
export function classifyRpcFailure(failure: RpcFailure, method: string): RpcFailureClass {
  if (
    (method === 'eth_getLogs' || method === 'eth_getBlockByNumber') &&
    LAGGING_MESSAGES.some((pattern) => pattern.test(failure.message))
  ) {
    return failure.retryAfterMs === undefined
      ? { kind: 'transient', lagging: true }
      : { kind: 'transient', retryAfterMs: failure.retryAfterMs, lagging: true };
  }
  if (method === 'eth_getLogs' && RANGE_MESSAGES.some((pattern) => pattern.test(failure.message))) {
    return rangeClass(failure.message);
  }
  if (failure.httpStatus === 429) return transient(failure);
  // Authentication and authorisation do not fix themselves, whatever code the body carries
  // (Infura: HTTP 403 with -32002 "rejected due to project ID settings").
  if (failure.httpStatus === 401 || failure.httpStatus === 403) return { kind: 'fatal' };
  if (failure.rpcCode !== undefined && FATAL_RPC_CODES.has(failure.rpcCode)) return { kind: 'fatal' };
  if (
    failure.rpcCode === undefined &&
    failure.httpStatus !== undefined &&
    FATAL_HTTP_STATUSES.has(failure.httpStatus)
  ) {
    return { kind: 'fatal' };
  }
  if (failure.transportCode !== undefined && FATAL_TRANSPORT_CODES.has(failure.transportCode)) return { kind: 'fatal' };
  if (isProgrammingError(failure)) return { kind: 'fatal' };
  return transient(failure);
}

function transient(failure: RpcFailure): RpcFailureClass {
  return failure.retryAfterMs === undefined
    ? { kind: 'transient' }
    : { kind: 'transient', retryAfterMs: failure.retryAfterMs };
}

function rangeClass(message: string): RpcFailureClass {
  const range = SUGGESTED_RANGE.exec(message);
  const suggested =
    range?.[1] !== undefined && range[2] !== undefined
      ? { fromBlock: Number.parseInt(range[1], 16), toBlock: Number.parseInt(range[2], 16) }
      : undefined;
  const limit = statedLimit(message);
  return {
    kind: 'range',
    ...(suggested !== undefined && suggested.toBlock >= suggested.fromBlock ? { suggested } : {}),
    ...(limit === undefined ? {} : { limit }),
  };
}

function statedLimit(message: string): number | undefined {
  const patterns = RESULT_COUNT.test(message) ? BLOCK_LIMITS : [...BLOCK_LIMITS, ...AMBIGUOUS_LIMITS];
  for (const pattern of patterns) {
    const match = pattern.exec(message);
    if (match?.[1] === undefined) continue;
    const value = Number(match[1].replaceAll(',', '')) * (match[2]?.toLowerCase() === 'k' ? 1000 : 1);
    if (Number.isSafeInteger(value) && value > 0) return value;
  }
  return undefined;
}
