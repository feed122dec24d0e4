import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback';
import { createPrng } from './prng';

/**
 * A fault a public RPC endpoint produces, injected instead of the node's answer.
 *
 * - `http-429`: HTTP 429 with `Retry-After: <retryAfterSeconds>` and an Infura-like JSON-RPC
 *   error body (-32005 "exceeded project rate limit").
 * - `http-500`: HTTP 500 with a JSON-RPC -32603 body; `http-502`: an nginx HTML page;
 *   `http-503`: a one-line text/plain body (an envoy-style upstream message).
 * - `reset`: the socket is destroyed without an answer (the client sees ECONNRESET / socket hang up).
 * - `slow`: answered normally (caps included) but held for `slowMs` first.
 * - `rpc-internal`: HTTP 200, JSON-RPC error -32603 "internal error".
 * - `rpc-server`: HTTP 200, JSON-RPC error -32000 "header not found".
 * - `rpc-limit`: HTTP 200, JSON-RPC error -32005 "project ID request rate exceeded".
 */
export type FaultKind =
  'http-429' | 'http-500' | 'http-502' | 'http-503' | 'reset' | 'slow' | 'rpc-internal' | 'rpc-server' | 'rpc-limit';

/** Every fault kind, in a fixed order (the default `kinds`). */
export const FAULT_KINDS: readonly FaultKind[] = [
  'http-429',
  'http-500',
  'http-502',
  'http-503',
  'reset',
  'slow',
  'rpc-internal',
  'rpc-server',
  'rpc-limit',
];

/** Answers to an `eth_getLogs` wider than `maxBlockRange` blocks, as real providers/nodes word them. */
export type RangeCapStyle =
  /** HTTP 200, -32602 `range <blocks> exceeds limit of <cap>` (Infura). */
  | 'infura-range'
  /** HTTP 200, -32600 `block range is too wide` (no number). */
  | 'too-wide'
  /** HTTP 200, -32000 `query exceeds max block range <cap>` (node-side limit). */
  | 'max-block-range'
  /** HTTP 413, -32614 `eth_getLogs is limited to a <cap, en-US digits grouping> range` (QuickNode). */
  | 'quicknode-range'
  /** HTTP 400, -32600 `You can make eth_getLogs requests with up to a <cap> block range. Based on your parameters, this block range should work: [0x<from>, 0x<from+cap-1>]` (Alchemy). */
  | 'alchemy-range';

/** Answers to an `eth_getLogs` whose answer has more than `maxResults` logs. */
export type ResultCapStyle =
  /** HTTP 200, -32005 `query returned more than <cap> results. Try with this block range [0x<from>, 0x<to>].`, data `{ from, to, limit }` (Infura). */
  | 'infura-results'
  /** HTTP 400, -32602 `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x<from>, 0x<to>]` (Alchemy). */
  | 'alchemy-results'
  /** HTTP 200, -32005 `query returned more than <cap> results` (no suggestion). */
  | 'too-many-results'
  /** HTTP 200, -32005 `Query timeout exceeded. Consider reducing your block range.` (no suggestion). */
  | 'query-timeout';

export type CapStyle = RangeCapStyle | ResultCapStyle;

export const RANGE_CAP_STYLES: readonly RangeCapStyle[] = [
  'infura-range',
  'too-wide',
  'max-block-range',
  'quicknode-range',
  'alchemy-range',
];
export const RESULT_CAP_STYLES: readonly ResultCapStyle[] = [
  'infura-results',
  'alchemy-results',
  'too-many-results',
  'query-timeout',
];

/**
 * How a node behind the head answers an `eth_getLogs` whose numeric `toBlock` is past its head.
 *
 * - `silent`: as legacy nodes do, with the logs of the blocks it has and nothing said about
 *   the others (a range entirely above its head: `[]`).
 * - `error`: as modern nodes do (geth, Nethermind, Besu, Erigon, reth; execution-apis #875):
 *   HTTP 200, -32602 `block range extends beyond current head block` (geth's wording).
 */
export type LaggingStyle = 'silent' | 'error';

/**
 * A load balancer in front of nodes not in step: some requests are answered by a node
 * `blocks` behind the real head (which the proxy asks the upstream node for, per request).
 * The lagging node's head stands in for `latest`; what is above it is unknown to it.
 */
export interface LaggingOptions {
  /** Probability (0..1) that a request calling one of `methods` is answered by the lagging node. */
  readonly rate: number;
  /** How many blocks the lagging node is behind the real head. Default 1. */
  readonly blocks?: number | undefined;
  /** How it answers an `eth_getLogs` range past its head. Default `'silent'`. */
  readonly style?: LaggingStyle | undefined;
  /**
   * Methods the lagging node may answer. Default: `eth_getLogs` only. Treated: `eth_getLogs`,
   * `eth_getBlockByNumber`, `eth_getBlockByHash`, `eth_blockNumber`; any other listed method is
   * forwarded as it is (the lagging node's state is not rewound), but counted as lagged.
   */
  readonly methods?: readonly string[] | undefined;
}

/** {@link LaggingOptions} with the defaults filled in. */
export interface ResolvedLaggingOptions {
  readonly rate: number;
  readonly blocks: number;
  readonly style: LaggingStyle;
  readonly methods: readonly string[];
}

/**
 * What answering from the lagging node changed, against the real head's answer.
 *
 * - `logs-dropped`: `eth_getLogs`: the logs of blocks above the lagging head were left out (at
 *   least one). In the `error` style only a `toBlock` tag other than `latest` (e.g. `pending`) gets this.
 * - `range-error`: `eth_getLogs` (`error`) with a numeric `toBlock` above the lagging head:
 *   -32602 `block range extends beyond current head block`.
 * - `unknown-block`: `eth_getLogs({ blockHash })` of a block above the lagging head:
 *   -32000 `unknown block` (geth's and anvil's answer for a hash they do not know).
 * - `no-block`: `eth_getBlockByNumber`/`eth_getBlockByHash` of a block above the lagging head: `null`.
 * - `lagging-head`: the lagging head stood in for `latest`: `eth_blockNumber`,
 *   `eth_getBlockByNumber('latest')`, an `eth_getLogs` bound that is `latest` or absent.
 * - `same`: nothing asked was above the lagging head; the real node's answer, unchanged.
 */
export type LaggingEffect = 'logs-dropped' | 'range-error' | 'unknown-block' | 'no-block' | 'lagging-head' | 'same';

export const LAGGING_EFFECTS: readonly LaggingEffect[] = [
  'logs-dropped',
  'range-error',
  'unknown-block',
  'no-block',
  'lagging-head',
  'same',
];

/** How the lagging node answered one call. */
export interface LaggingAnswer {
  /** The lagging node's head: the real head (asked for this request) minus `blocks`, at least 0. */
  readonly head: number;
  readonly effect: LaggingEffect;
  /** Logs left out of an `eth_getLogs` answer (0 unless `logs-dropped`). */
  readonly droppedLogs: number;
}

/** Calls answered by the lagging node so far. */
export interface LaggingAnswers {
  readonly total: number;
  /** Per JSON-RPC method (methods not seen are absent). */
  readonly byMethod: Readonly<Record<string, number>>;
  /** Per effect (zero for effects not seen). */
  readonly byEffect: Readonly<Record<LaggingEffect, number>>;
  /** Logs left out of `eth_getLogs` answers, in all. */
  readonly droppedLogs: number;
}

export interface FaultyRpcProxyOptions {
  /** Probability (0..1) that a request gets a fault instead of a normal answer. Default 0. */
  readonly rate?: number | undefined;
  /** Faults to pick from (uniformly). Default: all kinds. */
  readonly kinds?: readonly FaultKind[] | undefined;
  /** Only requests calling one of these JSON-RPC methods are faulted (default: all). */
  readonly methods?: readonly string[] | undefined;
  /**
   * Seed of the PRNG (mulberry32) that draws faults, so that a run is reproducible. Default 1.
   * Lagging draws come from a second PRNG seeded from it, so that turning lagging on or off
   * does not change which requests get faults, nor the reverse.
   */
  readonly seed?: number | undefined;
  /** How long a `slow` answer is held, in ms. Default 2000. */
  readonly slowMs?: number | undefined;
  /** `Retry-After` of a `http-429`, in seconds (the header is always sent). Default 0. */
  readonly retryAfterSeconds?: number | undefined;
  /** `eth_getLogs` with numeric bounds is rejected when `toBlock - fromBlock + 1 > maxBlockRange`. Default: no cap. */
  readonly maxBlockRange?: number | undefined;
  /** `eth_getLogs` with numeric bounds is forwarded, then rejected when the node's answer has more logs. Default: no cap. */
  readonly maxResults?: number | undefined;
  /**
   * How cap violations are answered: one style, a list to cycle through, or `'rotate'` (cycle through
   * all styles). Only the styles of the violated cap apply (range styles for `maxBlockRange`, result
   * styles for `maxResults`); when none of the given ones applies, all styles of that cap rotate.
   * Default `'rotate'`.
   */
  readonly capStyle?: CapStyle | readonly CapStyle[] | 'rotate' | undefined;
  /**
   * Some single calls are answered as by a node behind the head; see {@link LaggingOptions}.
   * Default: none. {@link FaultyRpcProxy.configure} replaces the whole object (`undefined`: off).
   */
  readonly lagging?: LaggingOptions | undefined;
}

/**
 * What the proxy did with a call. `lagging`: answered by the lagging node (see
 * {@link FaultyRpcCall.lagging}). `upstream-down`: the node could not be reached (answered 502).
 */
export type CallOutcome = 'ok' | FaultKind | 'cap-range' | 'cap-results' | 'lagging' | 'upstream-down';

/** One JSON-RPC call seen by the proxy (a batch gives one per element, all with the same outcome). */
export interface FaultyRpcCall {
  readonly method: string;
  readonly params: unknown;
  readonly id: unknown;
  /** Part of a JSON-RPC batch. */
  readonly batch: boolean;
  /** `'pending'` while the answer is being prepared. */
  readonly outcome: CallOutcome | 'pending';
  /** The style of a cap rejection (also set for a `slow` call that a cap rejected). */
  readonly capStyle?: CapStyle;
  /** How the lagging node answered (also set for a `slow` call it answered). */
  readonly lagging?: LaggingAnswer;
}

export interface CapRejections {
  readonly range: number;
  readonly results: number;
  readonly byStyle: Readonly<Partial<Record<CapStyle, number>>>;
}

/** {@link FaultyRpcProxyOptions} with the defaults filled in. */
export interface ResolvedFaultyRpcProxyOptions {
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  readonly methods: readonly string[] | undefined;
  readonly seed: number;
  readonly slowMs: number;
  readonly retryAfterSeconds: number;
  readonly maxBlockRange: number | undefined;
  readonly maxResults: number | undefined;
  readonly capStyle: readonly CapStyle[] | 'rotate';
  readonly lagging: ResolvedLaggingOptions | undefined;
}

interface JsonRpcRequest {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly params?: unknown;
}

interface MutableCall {
  method: string;
  params: unknown;
  id: unknown;
  batch: boolean;
  outcome: CallOutcome | 'pending';
  capStyle?: CapStyle;
  lagging?: LaggingAnswer;
}

/** What a call's outcome comes with. */
interface OutcomeDetail {
  readonly capStyle?: CapStyle;
  readonly lagging?: LaggingAnswer;
}

type Settle = (outcome: CallOutcome, detail?: OutcomeDetail) => void;

/** An answer to write: status, headers, body. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * CORS headers on every answer, faults included, as public endpoints send them, so that a
 * page in a browser can use the proxy (and read a 429's `Retry-After`).
 */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-expose-headers': 'retry-after',
  'access-control-max-age': '600',
};

function resolveOptions(options: FaultyRpcProxyOptions): ResolvedFaultyRpcProxyOptions {
  const rate = options.rate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate must be within 0..1, got ${rate}`);
  const kinds = options.kinds ?? FAULT_KINDS;
  if (kinds.length === 0) throw new RangeError('kinds must not be empty');
  const positive = (name: string, value: number | undefined): number | undefined => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1))
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    return value;
  };
  const nonNegative = (name: string, value: number): number => {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be >= 0, got ${value}`);
    return value;
  };
  const style = options.capStyle ?? 'rotate';
  return {
    rate,
    kinds,
    methods: options.methods,
    seed: options.seed ?? 1,
    slowMs: nonNegative('slowMs', options.slowMs ?? 2000),
    retryAfterSeconds: nonNegative('retryAfterSeconds', options.retryAfterSeconds ?? 0),
    maxBlockRange: positive('maxBlockRange', options.maxBlockRange),
    maxResults: positive('maxResults', options.maxResults),
    capStyle: style === 'rotate' ? 'rotate' : typeof style === 'string' ? [style as CapStyle] : style,
    lagging: resolveLagging(options.lagging),
  };
}

function resolveLagging(lagging: LaggingOptions | undefined): ResolvedLaggingOptions | undefined {
  if (lagging === undefined) return undefined;
  const { rate } = lagging;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`lagging.rate must be within 0..1, got ${rate}`);
  const blocks = lagging.blocks ?? 1;
  if (!(Number.isInteger(blocks) && blocks >= 1))
    throw new RangeError(`lagging.blocks must be a positive integer, got ${blocks}`);
  const style = lagging.style ?? 'silent';
  if (style !== 'silent' && style !== 'error')
    throw new RangeError(`lagging.style must be 'silent' or 'error', got ${String(style)}`);
  const methods = lagging.methods ?? ['eth_getLogs'];
  if (methods.length === 0) throw new RangeError('lagging.methods must not be empty');
  return { rate, blocks, style, methods };
}

/** The lagging draws' PRNG is seeded with `seed ^ LAGGING_SEED_MASK`: a stream apart from the fault draws'. */
const LAGGING_SEED_MASK = 0x4c414747;
const laggingPrng = (seed: number): (() => number) => createPrng(seed ^ LAGGING_SEED_MASK);

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A block number given as a hex quantity (or a JSON number); undefined for tags and anything else. */
function blockNumberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value)) return Number.parseInt(value, 16);
  return undefined;
}

const rpcError = (id: unknown, code: number, message: string, data?: unknown): string =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: id ?? null,
    error: data === undefined ? { code, message } : { code, message, data },
  });

const rpcResult = (id: unknown, result: unknown): string => JSON.stringify({ jsonrpc: '2.0', id: id ?? null, result });

/** A JSON-RPC answer body, parsed; undefined when it is not a JSON object. */
function parseAnswer(text: string): { result?: unknown; error?: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The number of a block header (a JSON-RPC block object); undefined for `null` and anything else. */
function headerNumber(header: unknown): number | undefined {
  return typeof header === 'object' && header !== null
    ? blockNumberOf((header as Record<string, unknown>)['number'])
    : undefined;
}

/** What the lagging node answers, and how that differs from the real head's answer. */
interface LaggedAnswer {
  readonly answer: Answer;
  readonly effect: LaggingEffect;
  readonly droppedLogs?: number;
}

/**
 * A loopback HTTP JSON-RPC proxy in front of a node that injects the faults public RPC
 * endpoints produce (HTTP 429/5xx, resets, slow answers, transient JSON-RPC errors),
 * enforces `eth_getLogs` caps with the error wording of real providers, and can answer some
 * calls as a node behind the head would (a load balancer over nodes not in step), so that
 * retry, range-splitting and head-tracking logic can be tested against a real node.
 *
 * Faults are drawn per HTTP request (a batch is one request) by a seeded PRNG, for requests
 * calling one of `methods`; {@link failNext} queues faults that take precedence. Caps apply to
 * single `eth_getLogs` calls whose `fromBlock`/`toBlock` are both numbers. Lagging answers are
 * drawn by a second seeded PRNG for single calls of one of `lagging.methods`; like the caps,
 * lagging leaves batches alone (forwarded as they are; the library sends none).
 *
 * A call gets at most one treatment, the first that applies of:
 * 1. a fault other than `slow` (queued or drawn);
 * 2. the block-range cap;
 * 3. the lagging node (its answer is final: the result cap does not look at it);
 * 4. the result cap.
 *
 * `slow` only delays: the answer it holds gets treatments 2–4. Every eligible request draws
 * from the lagging PRNG, even one that a fault or the range cap then takes, so that which
 * requests lag does not depend on the faults.
 */
export class FaultyRpcProxy {
  readonly #calls: MutableCall[] = [];
  readonly #target: string;
  #raw: FaultyRpcProxyOptions;
  #options: ResolvedFaultyRpcProxyOptions;
  #random: () => number;
  #laggingRandom: () => number;
  #forced: FaultKind[] = [];
  #rangeTurn = 0;
  #resultTurn = 0;
  #server: Server | undefined;
  #url = '';
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #upstream = new Set<AbortController>();

  constructor(target: string, options: FaultyRpcProxyOptions = {}) {
    this.#target = target;
    this.#raw = { ...options };
    this.#options = resolveOptions(this.#raw);
    this.#random = createPrng(this.#options.seed);
    this.#laggingRandom = laggingPrng(this.#options.seed);
  }

  /** Every JSON-RPC call seen so far, in arrival order. */
  get calls(): readonly FaultyRpcCall[] {
    return this.#calls;
  }

  get url(): string {
    return this.#url;
  }

  /** The options in effect (defaults filled in). */
  get options(): ResolvedFaultyRpcProxyOptions {
    return this.#options;
  }

  /** Calls of `method` seen so far. */
  count(method: string): number {
    return this.#calls.filter((call) => call.method === method).length;
  }

  /** Faulted calls per kind (zero for kinds not seen). */
  faults(): Record<FaultKind, number> {
    const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
    for (const call of this.#calls)
      if ((FAULT_KINDS as readonly string[]).includes(call.outcome)) counts[call.outcome as FaultKind]++;
    return counts;
  }

  /** Cap rejections so far, per cap and per style. */
  capRejections(): CapRejections {
    const byStyle: Partial<Record<CapStyle, number>> = {};
    let range = 0;
    let results = 0;
    for (const call of this.#calls) {
      if (call.capStyle === undefined) continue;
      byStyle[call.capStyle] = (byStyle[call.capStyle] ?? 0) + 1;
      if ((RANGE_CAP_STYLES as readonly string[]).includes(call.capStyle)) range++;
      else results++;
    }
    return { range, results, byStyle };
  }

  /** Calls answered by the lagging node so far, per method and per effect. */
  laggingAnswers(): LaggingAnswers {
    const byEffect = Object.fromEntries(LAGGING_EFFECTS.map((effect) => [effect, 0])) as Record<LaggingEffect, number>;
    const byMethod: Record<string, number> = {};
    let total = 0;
    let droppedLogs = 0;
    for (const call of this.#calls) {
      if (call.lagging === undefined) continue;
      total++;
      byEffect[call.lagging.effect]++;
      byMethod[call.method] = (byMethod[call.method] ?? 0) + 1;
      droppedLogs += call.lagging.droppedLogs;
    }
    return { total, byMethod, byEffect, droppedLogs };
  }

  /**
   * Forgets the calls seen, drops queued {@link failNext} faults, restarts the PRNGs from the
   * seed and the cap-style rotation from its first style. Options stay.
   */
  reset(): void {
    this.#calls.length = 0;
    this.#forced = [];
    this.#random = createPrng(this.#options.seed);
    this.#laggingRandom = laggingPrng(this.#options.seed);
    this.#rangeTurn = 0;
    this.#resultTurn = 0;
  }

  /**
   * Changes options at runtime; keys absent keep their value, keys set to `undefined` go back
   * to their default (no cap for `maxBlockRange`/`maxResults`, no lagging for `lagging`). A given
   * `seed` restarts both PRNGs.
   */
  configure(options: FaultyRpcProxyOptions): this {
    const raw = { ...this.#raw, ...options };
    this.#options = resolveOptions(raw);
    this.#raw = raw;
    if ('seed' in options) {
      this.#random = createPrng(this.#options.seed);
      this.#laggingRandom = laggingPrng(this.#options.seed);
    }
    return this;
  }

  /** The next requests that call one of `methods` get these faults, in order, whatever `rate`. */
  failNext(...kinds: FaultKind[]): this {
    this.#forced.push(...kinds);
    return this;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => void this.#handle(request, response));
    this.#url = await listenOnLoopback(server);
    this.#server = server;
    return this;
  }

  /** Closes the server and every socket, held `slow` answers and upstream requests included. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const controller of this.#upstream) controller.abort();
    if (server !== undefined) await closeServer(server);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === 'OPTIONS') {
      // A browser's CORS preflight: answered, never faulted nor counted as a call.
      this.#write(response, { status: 204, headers: {}, body: '' });
      return;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');

      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        payload = undefined;
      }
      const batch = Array.isArray(payload);
      const list: unknown[] = Array.isArray(payload) ? payload : payload === undefined ? [] : [payload];
      const items = list.map((item): JsonRpcRequest => (typeof item === 'object' && item !== null ? item : {}));
      const records: MutableCall[] = items.map((item) => ({
        method: typeof item.method === 'string' ? item.method : '',
        params: item.params,
        id: item.id,
        batch,
        outcome: 'pending',
      }));
      this.#calls.push(...records);
      const settle: Settle = (outcome, detail = {}) => {
        for (const record of records) {
          record.outcome = outcome;
          if (detail.capStyle !== undefined) record.capStyle = detail.capStyle;
          if (detail.lagging !== undefined) record.lagging = detail.lagging;
        }
      };

      const single = !batch && items.length === 1 ? items[0] : undefined;
      const fault = records.length === 0 ? undefined : this.#drawFault(records.map((r) => r.method));
      // Drawn before a fault may take the request, so that the lagging draws do not depend on faults.
      const lagging = single === undefined ? undefined : this.#drawLagging(records[0]!.method);
      if (fault !== undefined && fault !== 'slow') {
        settle(fault);
        if (fault === 'reset') request.socket.destroy();
        else this.#write(response, this.#faultAnswer(fault, items, batch));
        return;
      }

      const answer = await this.#forward(body, single, lagging, settle);
      if (fault === 'slow') {
        settle('slow');
        await this.#hold(this.#options.slowMs);
      }
      this.#write(response, answer);
    } catch (error) {
      if (!response.headersSent && !response.destroyed)
        this.#write(response, { status: 500, headers: {}, body: String(error) });
    }
  }

  #write(response: ServerResponse, answer: Answer): void {
    if (response.destroyed || response.writableEnded) return;
    response.writeHead(answer.status, { ...CORS_HEADERS, ...answer.headers });
    response.end(answer.body);
  }

  #hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  /** A fault for a request calling `methods`, or undefined. */
  #drawFault(methods: readonly string[]): FaultKind | undefined {
    const { rate, kinds, methods: only } = this.#options;
    if (only !== undefined && !methods.some((method) => only.includes(method))) return undefined;
    const forced = this.#forced.shift();
    if (forced !== undefined) return forced;
    if (rate === 0) return undefined;
    const hit = this.#random() < rate;
    const kind = kinds[Math.floor(this.#random() * kinds.length)];
    return hit ? kind : undefined;
  }

  /** The lagging options when a single call of `method` is to be answered by the lagging node. */
  #drawLagging(method: string): ResolvedLaggingOptions | undefined {
    const lagging = this.#options.lagging;
    if (lagging === undefined || lagging.rate === 0 || !lagging.methods.includes(method)) return undefined;
    return this.#laggingRandom() < lagging.rate ? lagging : undefined;
  }

  #faultAnswer(kind: Exclude<FaultKind, 'reset' | 'slow'>, items: readonly JsonRpcRequest[], batch: boolean): Answer {
    const first = items[0]?.id;
    const perCall = (code: number, message: string): Answer => {
      const bodies = items.map((item) => rpcError(item.id, code, message));
      return { status: 200, headers: JSON_TYPE, body: batch ? `[${bodies.join(',')}]` : (bodies[0] ?? '') };
    };
    switch (kind) {
      case 'http-429': {
        const seconds = this.#options.retryAfterSeconds;
        return {
          status: 429,
          headers: { ...JSON_TYPE, 'retry-after': String(seconds) },
          body: rpcError(first, -32005, 'exceeded project rate limit', {
            rate: { allowed_rps: 10, backoff_seconds: seconds, current_rps: 13.4 },
          }),
        };
      }
      case 'http-500':
        return { status: 500, headers: JSON_TYPE, body: rpcError(first, -32603, 'Internal server error') };
      case 'http-502':
        return {
          status: 502,
          headers: { 'content-type': 'text/html' },
          body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
        };
      case 'http-503':
        return {
          status: 503,
          headers: { 'content-type': 'text/plain' },
          body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
        };
      case 'rpc-internal':
        return perCall(-32603, 'internal error');
      case 'rpc-server':
        return perCall(-32000, 'header not found');
      case 'rpc-limit':
        return perCall(-32005, 'project ID request rate exceeded');
    }
  }

  /**
   * Forwards `body` to the node, applying the `eth_getLogs` caps to a single call, or has the
   * lagging node answer it when `lagging` was drawn (after the range cap, before the result cap).
   */
  async #forward(
    body: string,
    single: JsonRpcRequest | undefined,
    lagging: ResolvedLaggingOptions | undefined,
    settle: Settle,
  ): Promise<Answer> {
    const range = single?.method === 'eth_getLogs' ? logRangeOf(single.params) : undefined;
    const { maxBlockRange, maxResults } = this.#options;
    if (range !== undefined && maxBlockRange !== undefined && range.to - range.from + 1 > maxBlockRange) {
      const style = this.#pickStyle('range', RANGE_CAP_STYLES);
      settle('cap-range', { capStyle: style });
      return rangeCapAnswer(style, single?.id, range, maxBlockRange);
    }

    let upstream: Answer;
    try {
      if (single !== undefined && lagging !== undefined) {
        const { head, answer, effect, droppedLogs } = await this.#answerLagging(single, lagging);
        settle('lagging', { lagging: { head, effect, droppedLogs: droppedLogs ?? 0 } });
        return answer;
      }
      upstream = await this.#post(body);
    } catch (error) {
      settle('upstream-down');
      return { status: 502, headers: { 'content-type': 'text/plain' }, body: `upstream unreachable: ${String(error)}` };
    }

    if (range !== undefined && maxResults !== undefined) {
      const logs = resultOf(upstream.body);
      if (logs !== undefined && logs.length > maxResults) {
        const style = this.#pickStyle('results', RESULT_CAP_STYLES);
        settle('cap-results', { capStyle: style });
        const suggestedTo = largestPrefixWithin(logs, range.from, maxResults);
        return resultCapAnswer(style, single?.id, { from: range.from, to: suggestedTo }, maxResults);
      }
    }
    settle('ok');
    return upstream;
  }

  /** Sends `body` to the node; its answer (any status). Throws when the node cannot be reached. */
  async #post(body: string): Promise<Answer> {
    const controller = new AbortController();
    this.#upstream.add(controller);
    try {
      const upstream = await fetch(this.#target, {
        method: 'POST',
        headers: JSON_TYPE,
        body,
        signal: controller.signal,
      });
      return { status: upstream.status, headers: JSON_TYPE, body: await upstream.text() };
    } finally {
      this.#upstream.delete(controller);
    }
  }

  /** The `result` of a call the proxy makes itself. Throws when the node is unreachable or answers no result. */
  async #ask(method: string, params: readonly unknown[]): Promise<unknown> {
    const { body } = await this.#post(JSON.stringify({ jsonrpc: '2.0', id: 'faulty-rpc-proxy', method, params }));
    const answer = parseAnswer(body);
    if (answer === undefined || !('result' in answer)) throw new Error(`${method} got no result: ${body}`);
    return answer.result;
  }

  /**
   * `call` answered as by a node `lagging.blocks` behind the real head, which is asked of the
   * node first: see {@link LaggingEffect} for what that changes, method by method.
   */
  async #answerLagging(
    call: JsonRpcRequest,
    lagging: ResolvedLaggingOptions,
  ): Promise<LaggedAnswer & { head: number }> {
    const realHead = blockNumberOf(await this.#ask('eth_blockNumber', []));
    if (realHead === undefined) throw new Error('eth_blockNumber did not answer a block number');
    const head = Math.max(0, realHead - lagging.blocks);
    return { head, ...(await this.#lagged(call, head, lagging.style)) };
  }

  async #lagged(call: JsonRpcRequest, head: number, style: LaggingStyle): Promise<LaggedAnswer> {
    const params: readonly unknown[] = Array.isArray(call.params) ? call.params : [];
    const answer = (body: string): Answer => ({ status: 200, headers: JSON_TYPE, body });
    const forward = (rewritten?: readonly unknown[]): Promise<Answer> =>
      this.#post(JSON.stringify(rewritten === undefined ? call : { ...call, params: rewritten }));

    switch (call.method) {
      case 'eth_blockNumber':
        return { answer: answer(rpcResult(call.id, hex(head))), effect: 'lagging-head' };
      case 'eth_getBlockByNumber': {
        const [block, ...rest] = params;
        if (block === 'latest') return { answer: await forward([hex(head), ...rest]), effect: 'lagging-head' };
        const number = blockNumberOf(block);
        if (number !== undefined && number > head)
          return { answer: answer(rpcResult(call.id, null)), effect: 'no-block' };
        return { answer: await forward(), effect: 'same' };
      }
      case 'eth_getBlockByHash': {
        const real = await forward();
        const number = headerNumber(parseAnswer(real.body)?.result);
        if (number !== undefined && number > head)
          return { answer: answer(rpcResult(call.id, null)), effect: 'no-block' };
        return { answer: real, effect: 'same' };
      }
      case 'eth_getLogs':
        return this.#laggedLogs(call, params, head, style, forward);
      default:
        return { answer: await forward(), effect: 'same' };
    }
  }

  async #laggedLogs(
    call: JsonRpcRequest,
    params: readonly unknown[],
    head: number,
    style: LaggingStyle,
    forward: (rewritten?: readonly unknown[]) => Promise<Answer>,
  ): Promise<LaggedAnswer> {
    const [filter, ...rest] = params;
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
      return { answer: await forward(), effect: 'same' };
    const fields = filter as Record<string, unknown>;

    if (fields['blockHash'] !== undefined) {
      // EIP-234: a block the node has not seen yet is unknown to it.
      const number = headerNumber(await this.#ask('eth_getBlockByHash', [fields['blockHash'], false]));
      if (number !== undefined && number > head)
        return {
          answer: { status: 200, headers: JSON_TYPE, body: rpcError(call.id, -32000, 'unknown block') },
          effect: 'unknown-block',
        };
      return { answer: await forward(), effect: 'same' };
    }

    // The node reads `latest` (and an absent bound, which means `latest`) as its own head.
    const bound = (value: unknown): unknown => (value === undefined || value === 'latest' ? hex(head) : value);
    const fromBlock = bound(fields['fromBlock']);
    const toBlock = bound(fields['toBlock']);
    const atItsHead = fromBlock !== fields['fromBlock'] || toBlock !== fields['toBlock'];
    const to = blockNumberOf(toBlock);
    if (style === 'error' && to !== undefined && to > head)
      return {
        answer: {
          status: 200,
          headers: JSON_TYPE,
          body: rpcError(call.id, -32602, 'block range extends beyond current head block'),
        },
        effect: 'range-error',
      };

    const real = await forward(atItsHead ? [{ ...fields, fromBlock, toBlock }, ...rest] : undefined);
    const parsed = parseAnswer(real.body);
    const logs = parsed?.result;
    if (!Array.isArray(logs)) return { answer: real, effect: atItsHead ? 'lagging-head' : 'same' };
    // The node has no log of a block above its head, whatever the range asked.
    const kept = logs.filter((log: { blockNumber?: unknown } | null) => {
      const block = blockNumberOf(log?.blockNumber);
      return block === undefined || block <= head;
    });
    const droppedLogs = logs.length - kept.length;
    if (droppedLogs === 0) return { answer: real, effect: atItsHead ? 'lagging-head' : 'same' };
    return {
      answer: { ...real, body: JSON.stringify({ ...parsed, result: kept }) },
      effect: 'logs-dropped',
      droppedLogs,
    };
  }

  /** The next style for a violation of the range cap or the result cap. */
  #pickStyle<S extends CapStyle>(cap: 'range' | 'results', all: readonly S[]): S {
    const configured = this.#options.capStyle;
    const given =
      configured === 'rotate' ? [] : configured.filter((s): s is S => (all as readonly CapStyle[]).includes(s));
    const pool = given.length > 0 ? given : all;
    const turn = cap === 'range' ? this.#rangeTurn++ : this.#resultTurn++;
    return pool[turn % pool.length]!;
  }
}

/** `fromBlock`/`toBlock` of `eth_getLogs` params when both are numbers (tags and block hashes: undefined). */
function logRangeOf(params: unknown): { from: number; to: number } | undefined {
  if (!Array.isArray(params)) return undefined;
  const filter: unknown = params[0];
  if (typeof filter !== 'object' || filter === null) return undefined;
  const from = blockNumberOf((filter as Record<string, unknown>)['fromBlock']);
  const to = blockNumberOf((filter as Record<string, unknown>)['toBlock']);
  return from === undefined || to === undefined || to < from ? undefined : { from, to };
}

/** The `result` array of a JSON-RPC answer, when it is one. */
function resultOf(text: string): { blockNumber?: unknown }[] | undefined {
  try {
    const parsed = JSON.parse(text) as { result?: unknown };
    return Array.isArray(parsed.result) ? (parsed.result as { blockNumber?: unknown }[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The last block of the longest range starting at `from` whose logs number at most `cap`
 * (at least `from` itself, even when that block alone has more).
 */
export function largestPrefixWithin(logs: readonly { blockNumber?: unknown }[], from: number, cap: number): number {
  const perBlock = new Map<number, number>();
  for (const log of logs) {
    const block = blockNumberOf(log.blockNumber);
    if (block !== undefined) perBlock.set(block, (perBlock.get(block) ?? 0) + 1);
  }
  let total = 0;
  for (const block of [...perBlock.keys()].sort((a, b) => a - b)) {
    total += perBlock.get(block)!;
    if (total > cap) return Math.max(from, block - 1);
  }
  return Math.max(from, ...perBlock.keys());
}

function rangeCapAnswer(style: RangeCapStyle, id: unknown, range: { from: number; to: number }, cap: number): Answer {
  const blocks = range.to - range.from + 1;
  switch (style) {
    case 'infura-range':
      return { status: 200, headers: JSON_TYPE, body: rpcError(id, -32602, `range ${blocks} exceeds limit of ${cap}`) };
    case 'too-wide':
      return { status: 200, headers: JSON_TYPE, body: rpcError(id, -32600, 'block range is too wide') };
    case 'max-block-range':
      return { status: 200, headers: JSON_TYPE, body: rpcError(id, -32000, `query exceeds max block range ${cap}`) };
    case 'quicknode-range':
      return {
        status: 413,
        headers: JSON_TYPE,
        body: rpcError(id, -32614, `eth_getLogs is limited to a ${cap.toLocaleString('en-US')} range`),
      };
    case 'alchemy-range':
      return {
        status: 400,
        headers: JSON_TYPE,
        body: rpcError(
          id,
          -32600,
          `You can make eth_getLogs requests with up to a ${cap} block range. Based on your parameters, this block range should work: [${hex(range.from)}, ${hex(range.from + cap - 1)}]`,
        ),
      };
  }
}

function resultCapAnswer(
  style: ResultCapStyle,
  id: unknown,
  suggested: { from: number; to: number },
  cap: number,
): Answer {
  const [from, to] = [hex(suggested.from), hex(suggested.to)];
  switch (style) {
    case 'infura-results':
      return {
        status: 200,
        headers: JSON_TYPE,
        body: rpcError(
          id,
          -32005,
          `query returned more than ${cap} results. Try with this block range [${from}, ${to}].`,
          {
            from,
            to,
            limit: cap,
          },
        ),
      };
    case 'alchemy-results':
      return {
        status: 400,
        headers: JSON_TYPE,
        body: rpcError(
          id,
          -32602,
          'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. ' +
            `Based on your parameters, this block range should work: [${from}, ${to}]`,
        ),
      };
    case 'too-many-results':
      return { status: 200, headers: JSON_TYPE, body: rpcError(id, -32005, `query returned more than ${cap} results`) };
    case 'query-timeout':
      return {
        status: 200,
        headers: JSON_TYPE,
        body: rpcError(id, -32005, 'Query timeout exceeded. Consider reducing your block range.'),
      };
  }
}
