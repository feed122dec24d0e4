import {
  type Observable,
  type ObservableInput,
  catchError,
  concatMap,
  defer,
  from,
  map,
  retry,
  take,
  throwIfEmpty,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import { RpcBlockHeader } from '../codecs/RpcBlockHeader.js';
import { Bytes } from '../codecs/hex.js';
import { reportErrors } from '../codecs/reportErrors.js';
import { InvalidRpcResponseError } from '../errors/InvalidRpcResponseError.js';
import { OgpuEventsError } from '../errors/OgpuEventsError.js';
import { RpcRequestError } from '../errors/RpcRequestError.js';
import { RpcUnavailableError } from '../errors/RpcUnavailableError.js';
import type { GetLogsFilter, NexusRpc } from '../rpc/NexusRpc.js';
import { type RpcFailure, unwrapRpcError } from '../rpc/RpcFailure.js';
import { type RpcFailureClass, classifyRpcFailure } from '../rpc/classifyRpcFailure.js';
import type { NexusDiagnostic } from './NexusDiagnostic.js';
import { ChainMoved } from './ChainMoved.js';
import { type RequestPolicy, backoffDelay } from './RequestPolicy.js';

/** What every request needs: the transport, how to time out and retry, where to report. */
export interface RequestContext {
  readonly rpc: NexusRpc;
  readonly policy: RequestPolicy;
  readonly report: (diagnostic: NexusDiagnostic) => void;
}

/** An `eth_getLogs` the node refused for its size. Caught by the range reader, which asks for less. */
export class LogRangeRefusal extends Error {
  override name = 'LogRangeRefusal';
  constructor(
    readonly refusal: Extract<RpcFailureClass, { kind: 'range' }>,
    /** What the node said. */
    readonly failure: RpcFailure,
  ) {
    super(failure.message);
  }
}

/** A failure worth another attempt. Internal: it never leaves {@link request}. */
class TransientFailure extends Error {
  constructor(
    readonly error: OgpuEventsError,
    readonly retryAfterMs: number | undefined,
    /** What gave away a node behind the head, when that is the failure. */
    readonly lagging?: string,
  ) {
    super(error.shortMessage);
  }
}

/**
 * An answer that only a node behind the head gives (no block at a height below the head,
 * logs of another block for a block hash). Thrown by a `parse` function; retried, and
 * reported as `lagging-node`.
 */
export class LaggingNodeAnswer extends InvalidRpcResponseError {
  constructor(
    method: string,
    result: unknown,
    readonly reason: string,
  ) {
    super(method, result, [reason]);
  }
}

/**
 * The one place requests go through. One attempt: call, time out after
 * `policy.timeout`, parse. A failure is classified (message first, then JSON-RPC code,
 * HTTP status, socket error):
 * - transient (and results that fail `parse`): retried with backoff, reported as
 *   `rpc-retry`; when `policy.maxRetries` is spent, fails with {@link RpcUnavailableError};
 * - a size refusal of `eth_getLogs`: fails at once with {@link LogRangeRefusal};
 * - anything else: fails at once with {@link RpcRequestError}.
 */
export function request<T>(
  context: RequestContext,
  method: string,
  call: () => ObservableInput<unknown>,
  parse: (result: unknown) => T,
  options: RequestOptions = {},
): Observable<T> {
  const { splittable = false, stillValid } = options;
  const { policy } = context;
  return defer(() => {
    let attempts = 0;
    let timeouts = 0;
    const attempt$ = defer(() => {
      attempts += 1;
      // The first answer counts; a transport that completes without one answered badly.
      return from(call()).pipe(
        timeout({
          first: policy.timeout,
          with: () => throwError(() => new TimeoutFailure(policy.timeout)),
        }),
        take(1),
        throwIfEmpty(
          () => new InvalidRpcResponseError(method, undefined, ['the transport completed without an answer']),
        ),
        map(parse),
      );
    });
    return attempt$.pipe(
      catchError((error: unknown) => {
        if (error instanceof TimeoutFailure) timeouts += 1;
        // A node that keeps timing out on the same eth_getLogs is likely choking on its
        // size: from the second timeout on, the range reader is asked to split it.
        const heavy = splittable && error instanceof TimeoutFailure && timeouts >= 2;
        return throwError(() => classify(method, error, heavy));
      }),
      retry({
        count: policy.maxRetries,
        delay: (error: unknown, retryNumber: number) => {
          if (!(error instanceof TransientFailure)) return throwError(() => error);
          const retryLater = (): Observable<unknown> => {
            const delayMs = backoffDelay(policy, retryNumber, error.retryAfterMs);
            if (error.lagging !== undefined) context.report({ kind: 'lagging-node', method, reason: error.lagging });
            context.report({
              kind: 'rpc-retry',
              method,
              retry: retryNumber,
              delayMs,
              reason: error.error.shortMessage,
              error: error.error,
            });
            return timer(delayMs);
          };
          if (error.lagging === undefined || stillValid === undefined) return retryLater();
          // "Unknown block" also comes from a node that is right: the block was replaced.
          return stillValid().pipe(concatMap((valid) => (valid ? retryLater() : throwError(() => new ChainMoved()))));
        },
      }),
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof TransientFailure ? new RpcUnavailableError(method, attempts, error.error) : error,
        ),
      ),
    );
  });
}

/** How {@link request} may treat a failed attempt besides retrying it. */
export interface RequestOptions {
  /** Whether repeated timeouts may mean the request is too big (an `eth_getLogs` of several blocks). */
  readonly splittable?: boolean;
  /**
   * Asked before retrying a failure that says the node lacks the block: whether the block
   * asked for is still on the chain. When not, the request fails with {@link ChainMoved}
   * instead of waiting for a block that will never come.
   */
  readonly stillValid?: () => Observable<boolean>;
}

/** An attempt that got no answer in time. */
class TimeoutFailure extends Error {
  override name = 'TimeoutError';
  readonly code = 'TIMEOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

function classify(method: string, error: unknown, heavy: boolean): Error {
  if (error instanceof LaggingNodeAnswer) return new TransientFailure(error, undefined, error.reason);
  if (error instanceof InvalidRpcResponseError) return new TransientFailure(error, undefined);
  if (error instanceof OgpuEventsError || error instanceof LogRangeRefusal) return error;
  const failure = unwrapRpcError(error);
  const kind: RpcFailureClass = heavy ? { kind: 'range' } : classifyRpcFailure(failure, method);
  const typed = new RpcRequestError(method, error, {
    message: failure.message,
    rpcCode: failure.rpcCode,
    httpStatus: failure.httpStatus,
  });
  switch (kind.kind) {
    case 'range':
      return new LogRangeRefusal(kind, failure);
    case 'transient':
      return new TransientFailure(typed, kind.retryAfterMs, kind.lagging === undefined ? undefined : failure.message);
    case 'fatal':
      return typed;
  }
}

const parseHeader =
  (method: string) =>
  (result: unknown): RpcBlockHeader | null => {
    if (result === null) return null;
    const header = RpcBlockHeader.decode(result);
    if (header._tag === 'Left') throw new InvalidRpcResponseError(method, result, reportErrors(header.left));
    return header.right;
  };

/** The head block: `eth_getBlockByNumber('latest')`. A `null` answer is invalid (and retried). */
export function requestLatestBlock(context: RequestContext): Observable<RpcBlockHeader> {
  return request(
    context,
    'eth_getBlockByNumber',
    () => context.rpc.getBlock('latest'),
    (result) => {
      const header = parseHeader('eth_getBlockByNumber')(result);
      if (header === null) throw new InvalidRpcResponseError('eth_getBlockByNumber', result, ['no latest block']);
      return header;
    },
  );
}

/** Block `number`'s header, or `null` when the chain has no such block (now). */
export function requestBlock(context: RequestContext, number: number): Observable<RpcBlockHeader | null> {
  return request(
    context,
    'eth_getBlockByNumber',
    () => context.rpc.getBlock(number),
    parseHeader('eth_getBlockByNumber'),
  );
}

/**
 * Block `number`, which the chain is known to have (it is at or below a head the client
 * was given): a `null` answer comes from a node behind that head, and is retried.
 */
export function requestKnownBlock(context: RequestContext, number: number): Observable<RpcBlockHeader> {
  return request(
    context,
    'eth_getBlockByNumber',
    () => context.rpc.getBlock(number),
    (result) => {
      const header = parseHeader('eth_getBlockByNumber')(result);
      if (header === null) {
        throw new LaggingNodeAnswer('eth_getBlockByNumber', result, `no block ${number} although the head is above it`);
      }
      return header;
    },
  );
}

/** `eth_getLogs`, unvalidated: the range reader validates each log. */
export function requestLogs(context: RequestContext, filter: GetLogsFilter): Observable<unknown> {
  return request(
    context,
    'eth_getLogs',
    () => context.rpc.getLogs(filter),
    (result) => {
      if (!Array.isArray(result))
        throw new InvalidRpcResponseError('eth_getLogs', result, ['expected an array of logs']);
      return result;
    },
    { splittable: filter.blockHash === undefined && filter.toBlock > filter.fromBlock },
  );
}

/** Whether `address` holds contract code: `eth_getCode`. */
export function requestHasCode(context: RequestContext, address: string): Observable<boolean> {
  return request(
    context,
    'eth_getCode',
    () => context.rpc.getCode(address),
    (result) => {
      const code = Bytes.decode(result);
      // Some nodes answer "0x0" for an empty account.
      if (code._tag === 'Left' && result !== '0x0') {
        throw new InvalidRpcResponseError('eth_getCode', result, reportErrors(code.left));
      }
      return code._tag === 'Right' && code.right.length > 2;
    },
  );
}
