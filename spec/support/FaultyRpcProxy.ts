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

export interface FaultyRpcProxyOptions {
  /** Probability (0..1) that a request gets a fault instead of a normal answer. Default 0. */
  readonly rate?: number | undefined;
  /** Faults to pick from (uniformly). Default: all kinds. */
  readonly kinds?: readonly FaultKind[] | undefined;
  /** Only requests calling one of these JSON-RPC methods are faulted (default: all). */
  readonly methods?: readonly string[] | undefined;
  /** Seed of the PRNG (mulberry32) that draws faults, so that a run is reproducible. Default 1. */
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
}

/** What the proxy did with a call. `upstream-down`: the node could not be reached (answered 502). */
export type CallOutcome = 'ok' | FaultKind | 'cap-range' | 'cap-results' | 'upstream-down';

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
}

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
  };
}

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

/**
 * A loopback HTTP JSON-RPC proxy in front of a node that injects the faults public RPC
 * endpoints produce (HTTP 429/5xx, resets, slow answers, transient JSON-RPC errors) and
 * enforces `eth_getLogs` caps with the error wording of real providers, so that retry and
 * range-splitting logic can be tested against a real node.
 *
 * Faults are drawn per HTTP request (a batch is one request) by a seeded PRNG, for requests
 * calling one of `methods`; {@link failNext} queues faults that take precedence. Caps apply to
 * single `eth_getLogs` calls whose `fromBlock`/`toBlock` are both numbers.
 */
export class FaultyRpcProxy {
  readonly #calls: MutableCall[] = [];
  readonly #target: string;
  #raw: FaultyRpcProxyOptions;
  #options: ResolvedFaultyRpcProxyOptions;
  #random: () => number;
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

  /**
   * Forgets the calls seen, drops queued {@link failNext} faults, restarts the PRNG from the
   * seed and the cap-style rotation from its first style. Options stay.
   */
  reset(): void {
    this.#calls.length = 0;
    this.#forced = [];
    this.#random = createPrng(this.#options.seed);
    this.#rangeTurn = 0;
    this.#resultTurn = 0;
  }

  /**
   * Changes options at runtime; keys absent keep their value, keys set to `undefined` go back
   * to their default (no cap for `maxBlockRange`/`maxResults`). A given `seed` restarts the PRNG.
   */
  configure(options: FaultyRpcProxyOptions): this {
    const raw = { ...this.#raw, ...options };
    this.#options = resolveOptions(raw);
    this.#raw = raw;
    if ('seed' in options) this.#random = createPrng(this.#options.seed);
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
      const settle = (outcome: CallOutcome, capStyle?: CapStyle) => {
        for (const record of records) {
          record.outcome = outcome;
          if (capStyle !== undefined) record.capStyle = capStyle;
        }
      };

      const fault = records.length === 0 ? undefined : this.#drawFault(records.map((r) => r.method));
      if (fault !== undefined && fault !== 'slow') {
        settle(fault);
        if (fault === 'reset') request.socket.destroy();
        else this.#write(response, this.#faultAnswer(fault, items, batch));
        return;
      }

      const single = !batch && items.length === 1 ? items[0] : undefined;
      const answer = await this.#forward(body, single, settle);
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

  /** Forwards `body` to the node, applying the `eth_getLogs` caps to a single call. */
  async #forward(
    body: string,
    single: JsonRpcRequest | undefined,
    settle: (outcome: CallOutcome, capStyle?: CapStyle) => void,
  ): Promise<Answer> {
    const range = single?.method === 'eth_getLogs' ? logRangeOf(single.params) : undefined;
    const { maxBlockRange, maxResults } = this.#options;
    if (range !== undefined && maxBlockRange !== undefined && range.to - range.from + 1 > maxBlockRange) {
      const style = this.#pickStyle('range', RANGE_CAP_STYLES);
      settle('cap-range', style);
      return rangeCapAnswer(style, single?.id, range, maxBlockRange);
    }

    const controller = new AbortController();
    this.#upstream.add(controller);
    let status: number;
    let text: string;
    try {
      const upstream = await fetch(this.#target, {
        method: 'POST',
        headers: JSON_TYPE,
        body,
        signal: controller.signal,
      });
      status = upstream.status;
      text = await upstream.text();
    } catch (error) {
      settle('upstream-down');
      return { status: 502, headers: { 'content-type': 'text/plain' }, body: `upstream unreachable: ${String(error)}` };
    } finally {
      this.#upstream.delete(controller);
    }

    if (range !== undefined && maxResults !== undefined) {
      const logs = resultOf(text);
      if (logs !== undefined && logs.length > maxResults) {
        const style = this.#pickStyle('results', RESULT_CAP_STYLES);
        settle('cap-results', style);
        const suggestedTo = largestPrefixWithin(logs, range.from, maxResults);
        return resultCapAnswer(style, single?.id, { from: range.from, to: suggestedTo }, maxResults);
      }
    }
    settle('ok');
    return { status, headers: JSON_TYPE, body: text };
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
