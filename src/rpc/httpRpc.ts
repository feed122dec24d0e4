import { Observable } from 'rxjs';
import { readLogsAnswer } from '../codecs/readLogsAnswer.js';
import type { NexusRpc } from './NexusRpc.js';
import { jsonRpcCalls } from './jsonRpcCalls.js';

/**
 * A failed JSON-RPC exchange over HTTP, shaped so that the error classification reads it
 * like any transport's: the node's JSON-RPC `code` (and `data`) when it sent an error
 * object, the HTTP `response` (status and headers, for `Retry-After`) when the status was
 * not 2xx, and the body in `info.responseBody`.
 */
export class HttpRpcError extends Error {
  override name = 'HttpRpcError';
  constructor(
    message: string,
    /** The JSON-RPC error code, when the node sent an error object. */
    readonly code: number | undefined,
    readonly data: unknown,
    /** The HTTP answer, when its status was not 2xx. */
    readonly response: { readonly status: number; readonly headers: Headers } | undefined,
    readonly info: { readonly responseBody: string } | undefined,
  ) {
    super(message);
  }
}

interface JsonRpcAnswer {
  readonly result?: unknown;
  readonly error?: { readonly code?: unknown; readonly message?: unknown; readonly data?: unknown };
}

/**
 * The transport the library builds for an `rpcUrl`: JSON-RPC over the platform's
 * `fetch` (Node.js ≥ 18, browsers), one call per HTTP request. Compared with an ethers
 * `JsonRpcProvider` it decodes answers with the platform's native UTF-8 and JSON
 * parsers (ethers decodes UTF-8 in JavaScript, which dominates the cost of a large
 * `eth_getLogs`), reads the usual `eth_getLogs` answer straight from its bytes into
 * checked logs (readLogsAnswer: no JSON tree to build and validate again), has no retry or batching of its own to hide failures from the
 * library's, and aborts the HTTP request when its subscriber unsubscribes or after
 * `timeout` ms.
 */
export function httpRpc(url: string, timeout: number): NexusRpc {
  let nextId = 1;
  const call = (method: string, params: readonly unknown[]): Observable<unknown> =>
    new Observable<unknown>((subscriber) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeout);
      const id = nextId;
      nextId += 1;
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: controller.signal,
      })
        .then(async (response) => {
          const bytes = new Uint8Array(await response.arrayBuffer());
          const logs = response.ok ? readGetLogsAnswer(method, params, bytes) : undefined;
          if (logs !== undefined) return logs;
          const body = UTF8.decode(bytes);
          let answer: JsonRpcAnswer | undefined;
          try {
            const parsed: unknown = JSON.parse(body);
            answer = (Array.isArray(parsed) ? parsed[0] : parsed) as JsonRpcAnswer | undefined;
          } catch {
            answer = undefined;
          }
          const error = answer?.error;
          if (
            response.ok &&
            typeof answer === 'object' &&
            answer !== null &&
            error === undefined &&
            'result' in answer
          ) {
            return answer.result;
          }
          const code = typeof error?.code === 'number' ? error.code : undefined;
          const message =
            typeof error?.message === 'string'
              ? error.message
              : response.ok
                ? 'the answer is not a JSON-RPC response'
                : `server response ${response.status} ${response.statusText}`.trim();
          throw new HttpRpcError(
            message,
            code,
            error?.data,
            response.ok ? undefined : { status: response.status, headers: response.headers },
            { responseBody: body },
          );
        })
        .then(
          (result) => {
            subscriber.next(result);
            subscriber.complete();
          },
          (error: unknown) => subscriber.error(controller.signal.aborted ? abortReason(timeout) : error),
        )
        .finally(() => clearTimeout(timer));
      return () => {
        clearTimeout(timer);
        controller.abort();
      };
    });

  return jsonRpcCalls(call);
}

const UTF8 = new TextDecoder();

/**
 * The logs of an `eth_getLogs` answer read straight from its bytes (readLogsAnswer), or
 * undefined for another method or an answer that is not the usual case: then the body is
 * decoded and parsed as any other.
 */
function readGetLogsAnswer(method: string, params: readonly unknown[], bytes: Uint8Array): unknown[] | undefined {
  if (method !== 'eth_getLogs') return undefined;
  const address = (params[0] as { readonly address?: unknown } | undefined)?.address;
  return typeof address === 'string' && /^0x[0-9a-f]{40}$/.test(address) ? readLogsAnswer(bytes, address) : undefined;
}

/**
 * An aborted request (the timer fired): a timeout, as the classification knows it. The
 * platform's AbortError is left out: its numeric DOMException `code` would read as a
 * JSON-RPC code.
 */
function abortReason(timeout: number): Error {
  return Object.assign(new Error(`no answer within ${timeout} ms`), { code: 'TIMEOUT' });
}
