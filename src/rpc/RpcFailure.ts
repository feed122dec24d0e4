import { describeValue } from '../internal/describeValue.js';

/**
 * What went wrong with one JSON-RPC request, dug out of whatever the transport threw:
 * the node's own JSON-RPC error (code and message), the HTTP status and `Retry-After`,
 * or a socket error code. The raw error stays in `error`.
 */
export interface RpcFailure {
  /** The most specific message found (the node's, not the transport's wrapper). */
  readonly message: string;
  /** JSON-RPC error code, when the node sent one. */
  readonly rpcCode?: number;
  /** HTTP status, when the transport got a non-2xx answer. */
  readonly httpStatus?: number;
  /** `Retry-After` of the answer, in milliseconds. */
  readonly retryAfterMs?: number;
  /** Socket / transport error code: `ECONNRESET`, `ECONNREFUSED`, ethers' `TIMEOUT`, … */
  readonly transportCode?: string;
  /** The error as thrown. */
  readonly error: unknown;
}

type Bag = Record<string, unknown>;

const isBag = (value: unknown): value is Bag => typeof value === 'object' && value !== null;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const int = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : undefined;

/**
 * A JSON-RPC error object `{ code, message, data? }`. Some providers put the useful part
 * in `data` (thirdweb: "invalid params" + data "range 20000 is bigger than range limit
 * 2000"; Tenderly: `data.payload`), so a textual `data` is appended to the message.
 */
function asJsonRpcError(value: unknown): { code: number; message: string } | undefined {
  if (!isBag(value)) return undefined;
  // A DOMException (AbortError, TimeoutError, …) has a numeric `code` of its own.
  if (typeof DOMException !== 'undefined' && value instanceof DOMException) return undefined;
  const code = int(value['code']);
  const message = str(value['message']);
  if (code === undefined || message === undefined) return undefined;
  const data = value['data'];
  const detail = str(data) ?? (isBag(data) ? (str(data['message']) ?? str(data['payload'])) : undefined);
  return {
    code,
    message: detail === undefined || detail === '' || /^0x/i.test(detail) ? message : `${message}: ${detail}`,
  };
}

/** Wrapper messages that say nothing about the failure itself. */
const GENERIC_MESSAGES: ReadonlySet<string> = new Set(['fetch failed', 'could not coalesce error']);

/** The JSON-RPC error inside an HTTP body (`{"jsonrpc":"2.0","error":{…}}`), if any. */
function errorInBody(body: unknown): { code: number; message: string } | undefined {
  if (typeof body !== 'string' || body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    return isBag(first) ? asJsonRpcError(first['error']) : undefined;
  } catch {
    return undefined;
  }
}

/** An HTTP response's body as text; ethers' `bodyText` getter throws on bytes that are not UTF-8. */
function readBodyText(response: Bag): string | undefined {
  try {
    return str(response['bodyText']) ?? str(response['body']);
  } catch {
    return undefined;
  }
}

/**
 * HTTP dates as RFC 9110 says a recipient reads them: IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
 * and asctime (`Sun Nov  6 08:49:37 1994`) forms.
 */
const HTTP_DATES: readonly RegExp[] = [
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * `Retry-After` as delay-seconds (a fraction is tolerated) or an HTTP date, in ms from
 * `now`; anything else is ignored.
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!HTTP_DATES.some((pattern) => pattern.test(text))) return undefined;
  // asctime carries no zone: it is GMT.
  const date = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function headerOf(response: unknown, name: string): unknown {
  if (!isBag(response)) return undefined;
  const headers = response['headers'];
  // WHATWG Headers (fetch) has no own enumerable entries: ask it.
  if (isBag(headers) && typeof headers['get'] === 'function') {
    return (headers['get'] as (key: string) => unknown).call(headers, name) ?? undefined;
  }
  if (isBag(headers)) {
    for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/**
 * Normalises an error thrown by an RPC call into an {@link RpcFailure}. Understands:
 * - ethers v6: `UNKNOWN_ERROR` "could not coalesce error" (the node's error in `error`),
 *   `SERVER_ERROR` from a non-2xx answer (status, headers and body in `response`/`info`,
 *   where the body may hold the node's JSON-RPC error), `TIMEOUT`;
 * - Node.js socket errors (`code: 'ECONNRESET'`), also when nested in `cause`;
 * - plain JSON-RPC error objects `{ code, message }` thrown by a custom transport.
 */
export function unwrapRpcError(error: unknown): RpcFailure {
  let rpc: { code: number; message: string } | undefined;
  let httpStatus: number | undefined;
  let retryAfterMs: number | undefined;
  let transportCode: string | undefined;
  let outerMessage: string | undefined;
  let genericMessage: string | undefined;

  // Walk the wrappers (error → error.error / info.error / cause), outermost first.
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!isBag(current) || seen.has(current)) continue;
    seen.add(current);
    const ownMessage = str(current['shortMessage']) ?? str(current['message']);
    if (ownMessage !== undefined && !GENERIC_MESSAGES.has(ownMessage)) outerMessage ??= ownMessage;
    genericMessage ??= ownMessage;

    const code = current['code'];
    if (typeof code === 'string' && transportCode === undefined && code !== 'UNKNOWN_ERROR' && code !== 'SERVER_ERROR')
      transportCode = code;
    rpc ??= asJsonRpcError(current);

    const response = current['response'];
    if (isBag(response)) {
      const status = int(response['statusCode']) ?? int(response['status']);
      if (status !== undefined && status !== 0) httpStatus ??= status;
      retryAfterMs ??= parseRetryAfter(headerOf(response, 'retry-after'));
      rpc ??= errorInBody(readBodyText(response));
    }
    const info = current['info'];
    if (isBag(info)) {
      rpc ??= errorInBody(info['responseBody']);
      const status = str(info['responseStatus']);
      if (status !== undefined && httpStatus === undefined) {
        const parsed = Number.parseInt(status, 10);
        if (Number.isInteger(parsed) && parsed > 0) httpStatus = parsed;
      }
      queue.push(info['error']);
    }
    queue.push(current['error'], current['cause']);
  }

  // A JSON-RPC error object is itself `{ code: number }`; a transport code is a string.
  const message = rpc?.message ?? outerMessage ?? genericMessage ?? describeValue(error);
  return {
    message: message.split('\n')[0] ?? message,
    ...(rpc === undefined ? {} : { rpcCode: rpc.code }),
    ...(httpStatus === undefined ? {} : { httpStatus }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(transportCode === undefined ? {} : { transportCode }),
    error,
  };
}
