import { EMPTY, NEVER, type Observable, type ObservableInput, map, of, tap, throwError, timer } from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import {
  InvalidRpcResponseError,
  type LogBatch,
  type NexusDiagnostic,
  type NexusRpc,
  RpcRequestError,
  RpcUnavailableError,
} from 'ogpu-events';
import { BlockSpan } from '../../../src/source/BlockSpan';
import { type LogRangeReader, readLogRange } from '../../../src/source/readLogRange';
import { MAX_RETRY_AFTER, type RequestPolicy, backoffDelay } from '../../../src/source/RequestPolicy';
import {
  type RequestContext,
  request,
  requestBlock,
  requestHasCode,
  requestLatestBlock,
  requestLogs,
} from '../../../src/source/rpcRequests';
import { NEXUS_ADDRESS, rangeOf } from '../helpers/logs';
import { blockHash, runMarbles } from '../helpers/marbles';

/** Backoff 10 → 20 → 40 (capped), jitter at its lowest (half the step), a timeout of 1000 frames, no retry bound. */
function policy(overrides: Partial<RequestPolicy> = {}): RequestPolicy {
  return { timeout: 1_000, maxRetries: Infinity, initialDelay: 10, maxDelay: 40, random: () => 0, ...overrides };
}

/** What one call of the fake transport does. */
type Answer =
  /** Answers `value` one frame after the call. */
  | { readonly value: unknown }
  /** Fails with `error` one frame after the call (an observable error). */
  | { readonly error: unknown }
  /** Throws `error` synchronously from the call. */
  | { readonly throws: unknown }
  /** Never answers. */
  | 'silence'
  /** Completes without an answer. */
  | 'nothing';

/** A transport call that follows a script, recording the virtual time of each call. */
interface ScriptedCall {
  readonly call: () => ObservableInput<unknown>;
  /** Virtual time of every call. */
  readonly at: number[];
  /** As a NexusRpc whose three methods all follow the script. */
  readonly rpc: NexusRpc;
}

function scriptedCall(
  { cold }: RunHelpers,
  scheduler: TestScheduler,
  script: readonly Answer[] | ((call: number) => Answer),
): ScriptedCall {
  const at: number[] = [];
  const call = (): Observable<unknown> => {
    const n = at.length;
    at.push(scheduler.now());
    const answer = typeof script === 'function' ? script(n) : script[Math.min(n, script.length - 1)];
    if (answer === undefined) throw new Error('the script needs at least one answer');
    if (answer === 'silence') return NEVER;
    if (answer === 'nothing') return EMPTY;
    if ('throws' in answer) throw answer.throws;
    if ('error' in answer) return cold('-#', undefined, answer.error);
    return cold('-(a|)', { a: answer.value });
  };
  return { call, at, rpc: { getBlock: call, getLogs: call, getCode: call } };
}

/** A context whose reports are collected in `reports`. */
function context(rpc: NexusRpc, reports: NexusDiagnostic[], overrides: Partial<RequestPolicy> = {}): RequestContext {
  return { rpc, policy: policy(overrides), report: (diagnostic) => reports.push(diagnostic) };
}

/** Matches an error of class `type` having `fields`. */
function anError(type: abstract new (...args: never[]) => Error, fields: Record<string, unknown> = {}): unknown {
  const fieldsMatcher: { asymmetricMatch(actual: unknown): boolean } = expect.objectContaining(fields);
  return {
    asymmetricMatch: (actual: unknown) => actual instanceof type && fieldsMatcher.asymmetricMatch(actual),
    toAsymmetricMatcher: () => `${type.name} with ${JSON.stringify(fields)}`,
  };
}

/** Virtual times of the attempts when each failure takes `failLatency` frames and retry n waits `delay(n)`. */
function attemptTimes(attempts: number, failLatency: number, delay: (retry: number) => number): number[] {
  const times = [0];
  for (let retry = 1; retry < attempts; retry += 1) times.push(times[retry - 1]! + failLatency + delay(retry));
  return times;
}

const rawHeader = (n: number): Record<string, string> => ({
  number: `0x${n.toString(16)}`,
  hash: blockHash(n),
  parentHash: blockHash(n - 1),
});
const header = (n: number) => ({ number: n, hash: blockHash(n), parentHash: blockHash(n - 1) });

const internalError = { code: -32603, message: 'internal error' };

describe('request: retrying transient failures', () => {
  describe('the backoff delays', () => {
    it.each([
      { random: 0, delays: [5, 10, 20, 20, 20] },
      { random: 0.5, delays: [8, 15, 30, 30, 30] },
      { random: 0.999_999, delays: [10, 20, 40, 40, 40] },
    ])(
      'with initialDelay 10, maxDelay 40 and random() = $random are $delays: half the step plus random() of the other half',
      ({ random, delays }) => {
        const p = policy({ random: () => random });
        expect(delays.map((_, i) => backoffDelay(p, i + 1))).toEqual(delays);
      },
    );

    it('never overflow, however many retries came before', () => {
      const p = policy({ random: () => 0.999_999 });
      expect(backoffDelay(p, 1_000_000)).toBe(40);
    });

    it('are at least a Retry-After, but never wait more than MAX_RETRY_AFTER for it', () => {
      expect(backoffDelay(policy(), 1, 3_000)).toBe(3_000);
      expect(backoffDelay(policy(), 1, 1)).toBe(5);
      expect(backoffDelay(policy(), 1, 3_600_000)).toBe(MAX_RETRY_AFTER);
    });
  });

  describe.each([
    { name: 'a JSON-RPC internal error, emitted', answer: { error: internalError }, failLatency: 1 },
    { name: 'a JSON-RPC internal error, thrown by the call', answer: { throws: internalError }, failLatency: 0 },
    {
      name: 'an HTTP 503 (ethers SERVER_ERROR), thrown',
      answer: { throws: { code: 'SERVER_ERROR', info: { responseStatus: '503 Service Unavailable' } } },
      failLatency: 0,
    },
    {
      name: 'a socket reset, emitted',
      answer: { error: { code: 'ECONNRESET', message: 'socket hang up' } },
      failLatency: 1,
    },
    {
      name: 'a socket reset as the cause of a fetch failure, emitted',
      answer: { error: new Error('fetch failed', { cause: { code: 'ECONNRESET', message: 'socket hang up' } }) },
      failLatency: 1,
    },
    {
      name: 'a "header not found" (-32000) of a node behind its load balancer',
      answer: { error: { code: -32000, message: 'header not found' } },
      failLatency: 1,
    },
  ])('$name', ({ name, answer, failLatency }) => {
    it('is sent again after exactly backoffDelay(policy, n), and the answer that finally comes is delivered', () => {
      const reports: NexusDiagnostic[] = [];
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [answer, answer, answer, answer, { value: rawHeader(16) }]);
        // attempts at 0, 5, 15, 35, 55 when failing at once; 0, 6, 17, 38, 59 when failing a frame later
        const last = attemptTimes(5, failLatency, (n) => backoffDelay(policy(), n))[4]!;
        helpers
          .expectObservable(requestLatestBlock(context(transport.rpc, reports)))
          .toBe(`${last + 1}ms (a|)`, { a: header(16) });
        return transport;
      });

      expect(transport.at).toEqual(attemptTimes(5, failLatency, (n) => [5, 10, 20, 20][n - 1]!));
      // "header not found" gives away a node behind the head: each retry is also reported as such.
      const lagging = name.includes('header not found');
      expect(reports).toEqual(
        [5, 10, 20, 20].flatMap((delayMs, i) => [
          ...(lagging ? [{ kind: 'lagging-node', method: 'eth_getBlockByNumber', reason: 'header not found' }] : []),
          {
            kind: 'rpc-retry',
            method: 'eth_getBlockByNumber',
            retry: i + 1,
            delayMs,
            reason: expect.stringMatching(/^JSON-RPC request eth_getBlockByNumber failed: /),
            error: anError(RpcRequestError, { method: 'eth_getBlockByNumber' }),
          },
        ]),
      );
    });
  });

  it('reports what the node said: the JSON-RPC code and message, or the HTTP status', () => {
    const reports: NexusDiagnostic[] = [];
    runMarbles((helpers, scheduler) => {
      const transport = scriptedCall(helpers, scheduler, [
        { error: internalError },
        { throws: { code: 'SERVER_ERROR', info: { responseStatus: '503 Service Unavailable' } } },
        { value: '0x6080' },
      ]);
      helpers.expectObservable(requestHasCode(context(transport.rpc, reports), NEXUS_ADDRESS)).toBe('17ms (a|)', {
        a: true,
      });
    });

    expect(reports).toEqual([
      expect.objectContaining({
        method: 'eth_getCode',
        reason: 'JSON-RPC request eth_getCode failed: internal error (code -32603)',
        error: anError(RpcRequestError, { rpcCode: -32603, httpStatus: undefined }),
      }),
      expect.objectContaining({
        method: 'eth_getCode',
        reason: expect.stringContaining('(HTTP 503)'),
        error: anError(RpcRequestError, { rpcCode: undefined, httpStatus: 503 }),
      }),
    ]);
  });

  it('waits the full step when random() is close to 1: 10, 20, 40, 40', () => {
    const reports: NexusDiagnostic[] = [];
    const transport = runMarbles((helpers, scheduler) => {
      const transport = scriptedCall(helpers, scheduler, (n) => (n < 4 ? { error: internalError } : { value: [] }));
      helpers
        .expectObservable(requestLogs(context(transport.rpc, reports, { random: () => 0.999_999 }), filter(0, 9)))
        .toBe('115ms (a|)', { a: [] });
      return transport;
    });

    expect(transport.at).toEqual([0, 11, 32, 73, 114]);
    expect(reports.map((d) => d.kind === 'rpc-retry' && d.delayMs)).toEqual([10, 20, 40, 40]);
  });

  it('shows each attempt as a subscription to the transport, from the call to the failure', () => {
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-#', undefined, internalError);
      const answering = cold('-(a|)', { a: rawHeader(7) });
      let calls = 0;
      const rpc: NexusRpc = {
        getBlock: () => (++calls <= 3 ? failing : answering),
        getLogs: () => NEVER,
        getCode: () => NEVER,
      };
      expectObservable(requestBlock(context(rpc, []), 7)).toBe('39ms (a|)', { a: header(7) });
      expectSubscriptions(failing.subscriptions).toBe(['^!', '6ms ^!', '17ms ^!']);
      expectSubscriptions(answering.subscriptions).toBe('38ms ^!');
    });
  });

  describe('a 429 with Retry-After', () => {
    const tooManyRequests = (seconds: string) => ({
      code: 'SERVER_ERROR',
      response: { statusCode: 429, headers: { 'retry-after': seconds } },
    });

    it('is retried no sooner than Retry-After (3 s → 3000 ms), reported with that delay', () => {
      const reports: NexusDiagnostic[] = [];
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [
          { throws: tooManyRequests('3') },
          { value: rawHeader(20) },
        ]);
        helpers
          .expectObservable(requestLatestBlock(context(transport.rpc, reports)))
          .toBe('3001ms (a|)', { a: header(20) });
        return transport;
      });

      expect(transport.at).toEqual([0, 3_000]);
      expect(reports).toEqual([
        expect.objectContaining({
          kind: 'rpc-retry',
          retry: 1,
          delayMs: 3_000,
          error: anError(RpcRequestError, { httpStatus: 429 }),
        }),
      ]);
    });

    it('honours a Retry-After header spelt in any case, and emitted rather than thrown', () => {
      const transport = runMarbles((helpers, scheduler) => {
        const error = { code: 'SERVER_ERROR', response: { statusCode: 429, headers: { 'Retry-After': '2' } } };
        const transport = scriptedCall(helpers, scheduler, [{ error }, { value: rawHeader(20) }]);
        helpers.expectObservable(requestLatestBlock(context(transport.rpc, []))).toBe('2002ms (a|)', {
          a: header(20),
        });
        return transport;
      });

      expect(transport.at).toEqual([0, 2_001]);
    });

    it('waits at most MAX_RETRY_AFTER (5 minutes) for an absurd Retry-After', () => {
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [
          { throws: tooManyRequests('86400') },
          { value: rawHeader(20) },
        ]);
        helpers
          .expectObservable(requestLatestBlock(context(transport.rpc, [])))
          .toBe(`${MAX_RETRY_AFTER + 1}ms (a|)`, { a: header(20) });
        return transport;
      }, MAX_RETRY_AFTER * 2);

      expect(transport.at).toEqual([0, MAX_RETRY_AFTER]);
    });

    it('without Retry-After is retried after the plain backoff', () => {
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [
          { throws: { code: 'SERVER_ERROR', response: { statusCode: 429, headers: {} } } },
          { value: rawHeader(20) },
        ]);
        helpers.expectObservable(requestLatestBlock(context(transport.rpc, []))).toBe('6ms (a|)', { a: header(20) });
        return transport;
      });

      expect(transport.at).toEqual([0, 5]);
    });
  });

  describe('the retry budget', () => {
    it('with maxRetries N, the (N+1)-th failure ends the stream with RpcUnavailableError(method, attempts N+1, cause)', () => {
      const reports: NexusDiagnostic[] = [];
      let caught: unknown;
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ error: internalError }]);
        helpers
          .expectObservable(
            requestLatestBlock(context(transport.rpc, reports, { maxRetries: 3 })).pipe(
              tap({ error: (error: unknown) => (caught = error) }),
            ),
          )
          .toBe('39ms #', undefined, anError(RpcUnavailableError, { method: 'eth_getBlockByNumber', attempts: 4 }));
        return transport;
      });

      expect(transport.at).toEqual([0, 6, 17, 38]);
      expect(reports.map((d) => d.kind === 'rpc-retry' && d.retry)).toEqual([1, 2, 3]);
      const error = caught as RpcUnavailableError;
      expect(error.code).toBe('RPC_UNAVAILABLE');
      expect(error.message).toContain('eth_getBlockByNumber still failing after 4 attempts');
      expect(error.cause).toBeInstanceOf(RpcRequestError);
      expect(error.cause).toMatchObject({ method: 'eth_getBlockByNumber', rpcCode: -32603, httpStatus: undefined });
    });

    it('keeps the HTTP status of the last failure in the cause', () => {
      runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [
          { throws: { code: 'SERVER_ERROR', info: { responseStatus: '502 Bad Gateway' } } },
        ]);
        helpers.expectObservable(requestLogs(context(transport.rpc, [], { maxRetries: 1 }), filter(0, 1))).toBe(
          '5ms #',
          undefined,
          anError(RpcUnavailableError, {
            method: 'eth_getLogs',
            attempts: 2,
            cause: anError(RpcRequestError, { method: 'eth_getLogs', httpStatus: 502, rpcCode: undefined }),
          }),
        );
      });
    });

    it('with maxRetries 0, the first transient failure ends the stream, unreported', () => {
      const reports: NexusDiagnostic[] = [];
      runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [
          { error: { code: 'ECONNRESET', message: 'socket hang up' } },
        ]);
        helpers
          .expectObservable(requestLatestBlock(context(transport.rpc, reports, { maxRetries: 0 })))
          .toBe('-#', undefined, anError(RpcUnavailableError, { attempts: 1 }));
      });

      expect(reports).toEqual([]);
    });

    it('with maxRetries Infinity, keeps going: 50 failures, then the answer is delivered', () => {
      const reports: NexusDiagnostic[] = [];
      const p = { initialDelay: 100, maxDelay: 1_000, random: () => 0.25 };
      const expected = attemptTimes(51, 1, (n) => backoffDelay(policy(p), n));
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, (n) =>
          n < 50 ? { error: internalError } : { value: rawHeader(9) },
        );
        helpers
          .expectObservable(requestLatestBlock(context(transport.rpc, reports, p)))
          .toBe(`${expected[50]! + 1}ms (a|)`, { a: header(9) });
        return transport;
      }, 100_000);

      expect(transport.at).toEqual(expected);
      expect(reports).toHaveLength(50);
      expect(reports[49]).toMatchObject({ kind: 'rpc-retry', retry: 50, delayMs: backoffDelay(policy(p), 50) });
    });
  });

  describe('fatal failures', () => {
    it.each([
      {
        name: 'method not found (-32601)',
        error: { code: -32601, message: 'the method eth_getLogs does not exist/is not available' },
        fields: { rpcCode: -32601 },
      },
      {
        name: "invalid params (-32602: 'invalid argument 0: hex string has length 3')",
        error: { code: -32602, message: 'invalid argument 0: hex string has length 3' },
        fields: { rpcCode: -32602 },
      },
      {
        name: 'HTTP 401 (bad API key)',
        error: { code: 'SERVER_ERROR', info: { responseStatus: '401 Unauthorized' } },
        fields: { httpStatus: 401 },
      },
    ])('$name fails at once with RpcRequestError, without a retry', ({ error, fields }) => {
      const reports: NexusDiagnostic[] = [];
      let caught: unknown;
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ error }, { value: [] }]);
        helpers
          .expectObservable(
            requestLogs(context(transport.rpc, reports), filter(0, 9)).pipe(
              tap({ error: (e: unknown) => (caught = e) }),
            ),
          )
          .toBe('-#', undefined, anError(RpcRequestError, { method: 'eth_getLogs', ...fields }));
        return transport;
      });

      expect(transport.at).toEqual([0]);
      expect(reports).toEqual([]);
      expect((caught as RpcRequestError).cause).toBe(error);
    });

    it('the message of a fatal failure is the node’s, with its code', () => {
      let caught: unknown;
      runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [
          { throws: { code: -32602, message: 'invalid argument 0: hex string has length 3' } },
        ]);
        requestBlock(context(transport.rpc, []), 5)
          .pipe(tap({ error: (e: unknown) => (caught = e) }))
          .subscribe({ error: () => undefined });
      });

      expect((caught as RpcRequestError).shortMessage).toBe(
        'JSON-RPC request eth_getBlockByNumber failed: invalid argument 0: hex string has length 3 (code -32602)',
      );
    });

    it('a programming error of a custom transport (a TypeError thrown synchronously by getLogs) fails at once with RpcRequestError, without a retry', () => {
      const boom = new TypeError("Cannot read properties of undefined (reading 'boom')");
      const reports: NexusDiagnostic[] = [];
      let caught: unknown;
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ throws: boom }, { value: [] }]);
        helpers
          .expectObservable(
            requestLogs(context(transport.rpc, reports), filter(0, 9)).pipe(
              tap({ error: (e: unknown) => (caught = e) }),
            ),
          )
          .toBe('#', undefined, anError(RpcRequestError, { method: 'eth_getLogs' }));
        return transport;
      });

      expect(transport.at).toEqual([0]);
      expect(reports).toEqual([]);
      expect((caught as RpcRequestError).cause).toBe(boom);
      expect((caught as RpcRequestError).shortMessage).toContain('boom');
    });

    it("undici's network failure (TypeError 'fetch failed' caused by UND_ERR_SOCKET), thrown synchronously, is retried", () => {
      const fetchFailed = new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } });
      const reports: NexusDiagnostic[] = [];
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ throws: fetchFailed }, { value: [] }]);
        // fails at 0, sent again after 5 frames, answered at 6
        helpers.expectObservable(requestLogs(context(transport.rpc, reports), filter(0, 9))).toBe('6ms (a|)', {
          a: [],
        });
        return transport;
      });

      expect(transport.at).toEqual([0, 5]);
      expect(reports).toEqual([
        expect.objectContaining({
          kind: 'rpc-retry',
          method: 'eth_getLogs',
          retry: 1,
          delayMs: 5,
          error: anError(RpcRequestError, { cause: fetchFailed }),
        }),
      ]);
    });

    it.each([
      ['thrown synchronously', { throws: { code: 'INVALID_ARGUMENT', message: 'invalid BytesLike value' } }, '#'],
      ['as an observable error', { error: { code: 'INVALID_ARGUMENT', message: 'invalid BytesLike value' } }, '-#'],
    ] as const)(
      "an ethers argument error (code 'INVALID_ARGUMENT') %s fails at once with RpcRequestError, without a retry",
      (_how, answer, marble) => {
        const reports: NexusDiagnostic[] = [];
        let caught: unknown;
        const transport = runMarbles((helpers, scheduler) => {
          const transport = scriptedCall(helpers, scheduler, [answer, { value: [] }]);
          helpers
            .expectObservable(
              requestLogs(context(transport.rpc, reports), filter(0, 9)).pipe(
                tap({ error: (e: unknown) => (caught = e) }),
              ),
            )
            .toBe(marble, undefined, anError(RpcRequestError, { method: 'eth_getLogs' }));
          return transport;
        });

        expect(transport.at).toEqual([0]);
        expect(reports).toEqual([]);
        expect((caught as RpcRequestError).shortMessage).toContain('invalid BytesLike value');
      },
    );
  });

  describe('timeouts', () => {
    it('a call that never answers is abandoned after policy.timeout and sent again', () => {
      const reports: NexusDiagnostic[] = [];
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const silent = cold('-');
        const answering = cold('-(a|)', { a: rawHeader(3) });
        let calls = 0;
        const rpc: NexusRpc = {
          getBlock: () => (++calls === 1 ? silent : answering),
          getLogs: () => NEVER,
          getCode: () => NEVER,
        };
        expectObservable(requestLatestBlock(context(rpc, reports, { timeout: 100 }))).toBe('106ms (a|)', {
          a: header(3),
        });
        expectSubscriptions(silent.subscriptions).toBe('^ 99ms !');
        expectSubscriptions(answering.subscriptions).toBe('105ms ^!');
      });

      expect(reports).toEqual([
        {
          kind: 'rpc-retry',
          method: 'eth_getBlockByNumber',
          retry: 1,
          delayMs: 5,
          reason: 'JSON-RPC request eth_getBlockByNumber failed: no answer within 100 ms',
          error: anError(RpcRequestError),
        },
      ]);
    });

    it('a header request that keeps timing out is only ever retried (never treated as a range refusal)', () => {
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, (n) => (n < 3 ? 'silence' : { value: rawHeader(3) }));
        // 0 → 100, +5 → 105 → 205, +10 → 215 → 315, +20 → 335 → 336
        helpers
          .expectObservable(requestBlock(context(transport.rpc, [], { timeout: 100 }), 3))
          .toBe('336ms (a|)', { a: header(3) });
        return transport;
      });

      expect(transport.at).toEqual([0, 105, 215, 335]);
    });

    it('an answer just within the timeout is taken', () => {
      runMarbles(({ cold, expectObservable }) => {
        const rpc: NexusRpc = {
          getBlock: () => cold('99ms (a|)', { a: rawHeader(3) }),
          getLogs: () => NEVER,
          getCode: () => NEVER,
        };
        expectObservable(requestLatestBlock(context(rpc, [], { timeout: 100 }))).toBe('99ms (a|)', { a: header(3) });
      });
    });

    it('with the retry budget spent, a timeout ends in RpcUnavailableError', () => {
      runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, ['silence']);
        helpers.expectObservable(requestLatestBlock(context(transport.rpc, [], { timeout: 100, maxRetries: 1 }))).toBe(
          '205ms #',
          undefined,
          anError(RpcUnavailableError, {
            attempts: 2,
            cause: anError(RpcRequestError, { method: 'eth_getBlockByNumber' }),
          }),
        );
      });
    });
  });

  describe('timeouts of eth_getLogs, through readLogRange', () => {
    /** A node that never answers an eth_getLogs of more than `maxAnswered` blocks, or any before `upAt`. */
    function chokingNode(scheduler: TestScheduler, maxAnswered: number, upAt = 0) {
      const calls: [number, number, number][] = [];
      const rpc: NexusRpc = {
        getBlock: () => NEVER,
        getCode: () => NEVER,
        getLogs: (fFilter) => {
          const f = rangeOf(fFilter);
          calls.push([scheduler.now(), f.fromBlock, f.toBlock]);
          return scheduler.now() < upAt || f.toBlock - f.fromBlock + 1 > maxAnswered
            ? NEVER
            : timer(1).pipe(map(() => []));
        },
      };
      return { rpc, calls };
    }

    const rangeReader = (rpc: NexusRpc, reports: NexusDiagnostic[], span: number): LogRangeReader => ({
      ...context(rpc, reports, { timeout: 100 }),
      address: NEXUS_ADDRESS,
      topics: [],
      span: new BlockSpan(span),
    });

    it('the first timeout is retried; the second timeout of the same eth_getLogs asks for half the range', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        const node = chokingNode(scheduler, 2);
        // [0,7]: 0 → timeout 100, +5 → 105 → timeout 205: split; [0,3]: 205 → 305, +5 → 310 → 410: split;
        // [0,1] answers at 411, then [2,3], [4,5], [6,7] one frame each
        helpers.expectObservable(readLogRange(rangeReader(node.rpc, reports, 8), 0, 7)).toBe('411ms abc(d|)', {
          a: { fromBlock: 0, toBlock: 1, logs: [] },
          b: { fromBlock: 2, toBlock: 3, logs: [] },
          c: { fromBlock: 4, toBlock: 5, logs: [] },
          d: { fromBlock: 6, toBlock: 7, logs: [] },
        });
        return node;
      });

      expect(node.calls).toEqual([
        [0, 0, 7],
        [105, 0, 7],
        [205, 0, 3],
        [310, 0, 3],
        [410, 0, 1],
        [411, 2, 3],
        [412, 4, 5],
        [413, 6, 7],
      ]);
      const timedOut = 'JSON-RPC request eth_getLogs failed: no answer within 100 ms';
      expect(reports).toEqual([
        expect.objectContaining({ kind: 'rpc-retry', method: 'eth_getLogs', retry: 1, delayMs: 5, reason: timedOut }),
        {
          kind: 'range-split',
          fromBlock: 0,
          toBlock: 7,
          nextSpan: 4,
          basis: 'halved',
          reason: 'no answer within 100 ms',
        },
        expect.objectContaining({ kind: 'rpc-retry', method: 'eth_getLogs', retry: 1, delayMs: 5, reason: timedOut }),
        {
          kind: 'range-split',
          fromBlock: 0,
          toBlock: 3,
          nextSpan: 2,
          basis: 'halved',
          reason: 'no answer within 100 ms',
        },
      ]);
    });

    it('a timeout separated from the first by another transient failure still counts as the second', () => {
      const node = runMarbles((helpers, scheduler) => {
        let n = 0;
        const calls: [number, number, number][] = [];
        const rpc: NexusRpc = {
          getBlock: () => NEVER,
          getCode: () => NEVER,
          getLogs: (fFilter) => {
            const f = rangeOf(fFilter);
            calls.push([scheduler.now(), f.fromBlock, f.toBlock]);
            n += 1;
            if (n === 2) return throwError(() => internalError);
            return f.toBlock - f.fromBlock + 1 > 2 ? NEVER : timer(1).pipe(map(() => []));
          },
        };
        // [0,3]: 0 → 100, +5 → 105 fails at once, +10 → 115 → 215: split into [0,1], [2,3]
        helpers.expectObservable(readLogRange(rangeReader(rpc, [], 4), 0, 3)).toBe('216ms a(b|)', {
          a: { fromBlock: 0, toBlock: 1, logs: [] },
          b: { fromBlock: 2, toBlock: 3, logs: [] },
        });
        return { calls };
      });

      expect(node.calls.map(([at]) => at)).toEqual([0, 105, 115, 215, 216]);
    });

    it('a single-block eth_getLogs that keeps timing out is only retried (a block cannot be split), and read once the node answers', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        // the node answers nothing before 300
        const node = chokingNode(scheduler, Infinity, 300);
        // [5,5]: 0 → 100, +5 → 105 → 205, +10 → 215 → 315, +20 → 335 → 336
        helpers
          .expectObservable(readLogRange(rangeReader(node.rpc, reports, 8), 5, 5))
          .toBe('336ms (a|)', { a: { fromBlock: 5, toBlock: 5, logs: [] } });
        return node;
      });

      expect(node.calls).toEqual([
        [0, 5, 5],
        [105, 5, 5],
        [215, 5, 5],
        [335, 5, 5],
      ]);
      expect(reports.map((r) => r.kind)).toEqual(['rpc-retry', 'rpc-retry', 'rpc-retry']);
    });

    it('a range split down to one block by timeouts: the block that still times out is retried, not refused', () => {
      const reports: NexusDiagnostic[] = [];
      const node = runMarbles((helpers, scheduler) => {
        // the node answers only one-block ranges, and only from 500 on
        const node = chokingNode(scheduler, 1, 500);
        // [0,1]: 0 → 100, +5 → 105 → 205: split; [0,0]: 205 → 305, +5 → 310 → 410, +10 → 420 → 520,
        // +20 → 540 → 541; [1,1]: 541 → 542
        helpers.expectObservable(readLogRange(rangeReader(node.rpc, reports, 2), 0, 1)).toBe('541ms a(b|)', {
          a: { fromBlock: 0, toBlock: 0, logs: [] },
          b: { fromBlock: 1, toBlock: 1, logs: [] },
        });
        return node;
      });

      expect(node.calls).toEqual([
        [0, 0, 1],
        [105, 0, 1],
        [205, 0, 0],
        [310, 0, 0],
        [420, 0, 0],
        [540, 0, 0],
        [541, 1, 1],
      ]);
      expect(reports.map((r) => r.kind)).toEqual(['rpc-retry', 'range-split', 'rpc-retry', 'rpc-retry', 'rpc-retry']);
    });

    it('with maxRetries Infinity, a node whose eth_getLogs hangs for a while is waited for: the range is read whole once it is back', () => {
      // The node answers no eth_getLogs at all during its first 5 s, then every one.
      const reports: NexusDiagnostic[] = [];
      const delivered: LogBatch[] = [];
      let failure: unknown;
      runMarbles((_, scheduler) => {
        const node = chokingNode(scheduler, Infinity, 5_000);
        readLogRange(rangeReader(node.rpc, reports, 8), 0, 7).subscribe({
          next: (batch) => delivered.push(batch),
          error: (error: unknown) => (failure = error),
        });
      }, 60_000);

      expect(failure).toBeUndefined();
      expect(delivered.flatMap((b) => range(b.fromBlock, b.toBlock))).toEqual(range(0, 7));
    });
  });

  describe('invalid results', () => {
    it('an eth_getLogs result that is not an array is retried and reported as InvalidRpcResponseError', () => {
      const reports: NexusDiagnostic[] = [];
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ value: { logs: [] } }, { value: [] }]);
        helpers.expectObservable(requestLogs(context(transport.rpc, reports), filter(0, 9))).toBe('7ms (a|)', {
          a: [],
        });
        return transport;
      });

      expect(transport.at).toEqual([0, 6]);
      expect(reports).toEqual([
        {
          kind: 'rpc-retry',
          method: 'eth_getLogs',
          retry: 1,
          delayMs: 5,
          reason: 'Unexpected result from eth_getLogs: {"logs":[]}',
          error: anError(InvalidRpcResponseError, { method: 'eth_getLogs' }),
        },
      ]);
    });

    it('when retries run out, fails with RpcUnavailableError whose cause is the InvalidRpcResponseError', () => {
      runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ value: '0x' }]);
        helpers.expectObservable(requestLogs(context(transport.rpc, [], { maxRetries: 2 }), filter(0, 9))).toBe(
          '18ms #',
          undefined,
          anError(RpcUnavailableError, {
            method: 'eth_getLogs',
            attempts: 3,
            cause: anError(InvalidRpcResponseError, { method: 'eth_getLogs' }),
          }),
        );
      });
    });

    it('a null latest block is invalid (and retried); a null numbered block is an answer: no such block', () => {
      runMarbles((helpers, scheduler) => {
        const latest = scriptedCall(helpers, scheduler, [{ value: null }, { value: rawHeader(4) }]);
        helpers.expectObservable(requestLatestBlock(context(latest.rpc, []))).toBe('7ms (a|)', { a: header(4) });
        const numbered = scriptedCall(helpers, scheduler, [{ value: null }]);
        helpers.expectObservable(requestBlock(context(numbered.rpc, []), 5)).toBe('-(a|)', { a: null });
      });
    });

    it.each([
      { code: '0x', hasCode: false },
      { code: '0x0', hasCode: false },
      { code: '0x6080604052', hasCode: true },
    ])('eth_getCode answering $code means hasCode $hasCode', ({ code, hasCode }) => {
      runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ value: code }]);
        helpers
          .expectObservable(requestHasCode(context(transport.rpc, []), NEXUS_ADDRESS))
          .toBe('-(a|)', { a: hasCode });
      });
    });
  });

  describe('cancellation', () => {
    it('unsubscribing during a backoff wait cancels it: the call is not sent again', () => {
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ error: internalError }, { value: rawHeader(1) }]);
        // fails at 1, would be sent again at 6
        helpers.expectObservable(requestLatestBlock(context(transport.rpc, [])), '^ 3ms !').toBe('');
        return transport;
      });

      expect(transport.at).toEqual([0]);
    });

    it('unsubscribing while a call is in flight cancels the call', () => {
      runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
        const slow = cold('50ms (a|)', { a: rawHeader(1) });
        const rpc: NexusRpc = { getBlock: () => slow, getLogs: () => NEVER, getCode: () => NEVER };
        expectObservable(requestLatestBlock(context(rpc, [])), '^ 9ms !').toBe('');
        expectSubscriptions(slow.subscriptions).toBe('^ 9ms !');
      });
    });
  });

  describe('request() itself', () => {
    it('parses the result with the given parser, and retries when the parser throws InvalidRpcResponseError', () => {
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, [{ value: 'nope' }, { value: 42 }]);
        const parse = (result: unknown): number => {
          if (typeof result !== 'number') throw new InvalidRpcResponseError('eth_custom', result, ['not a number']);
          return result;
        };
        helpers
          .expectObservable(request(context(transport.rpc, []), 'eth_custom', transport.call, parse))
          .toBe('7ms (a|)', { a: 42 });
        return transport;
      });

      expect(transport.at).toEqual([0, 6]);
    });

    it('is cold: nothing is sent before subscription, and each subscription sends its own request', () => {
      const calls: number[] = [];
      const rpc: NexusRpc = {
        getBlock: () => {
          calls.push(1);
          return of(rawHeader(2));
        },
        getLogs: () => NEVER,
        getCode: () => NEVER,
      };
      const head$ = requestLatestBlock(context(rpc, []));
      expect(calls).toEqual([]);
      head$.subscribe();
      head$.subscribe();
      expect(calls).toEqual([1, 1]);
    });

    it('takes the first answer of a transport observable that never completes (e.g. built on a Subject)', () => {
      runMarbles(({ cold, expectObservable }) => {
        const rpc: NexusRpc = {
          getBlock: () => cold('-a', { a: rawHeader(5) }),
          getLogs: () => NEVER,
          getCode: () => NEVER,
        };
        expectObservable(requestLatestBlock(context(rpc, []))).toBe('-(a|)', { a: header(5) });
      });
    });

    it('takes only the first answer of a transport observable that emits twice', () => {
      runMarbles(({ cold, expectObservable }) => {
        const rpc: NexusRpc = {
          getBlock: () => NEVER,
          getLogs: () => cold('-ab|', { a: [], b: [] }),
          getCode: () => NEVER,
        };
        expectObservable(requestLogs(context(rpc, []), filter(0, 1))).toBe('-(a|)', { a: [] });
      });
    });

    it('treats a transport observable that completes without an answer as an invalid response, and retries it', () => {
      const reports: NexusDiagnostic[] = [];
      const transport = runMarbles((helpers, scheduler) => {
        const transport = scriptedCall(helpers, scheduler, ['nothing', { value: [] }]);
        helpers.expectObservable(requestLogs(context(transport.rpc, reports), filter(0, 9))).toBe('6ms (a|)', {
          a: [],
        });
        return transport;
      });

      expect(transport.at).toEqual([0, 5]);
      expect(reports).toEqual([expect.objectContaining({ kind: 'rpc-retry', method: 'eth_getLogs', retry: 1 })]);
    });

    it('passes an error that is already typed (OgpuEventsError) through unchanged, without retrying', () => {
      const typed = new RpcRequestError('eth_getLogs', new Error('custom transport gave up'));
      runMarbles(({ expectObservable }) => {
        const rpc: NexusRpc = { getBlock: () => NEVER, getLogs: () => throwError(() => typed), getCode: () => NEVER };
        expectObservable(requestLogs(context(rpc, []), filter(0, 1))).toBe('#', undefined, typed);
      });
    });
  });
});

function filter(fromBlock: number, toBlock: number) {
  return { address: NEXUS_ADDRESS, topics: [[]], fromBlock, toBlock };
}

/** `[from, …, to]`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
