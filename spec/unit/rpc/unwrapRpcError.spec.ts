import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import fc from 'fast-check';
import { type RpcFailure, parseRetryAfter, unwrapRpcError } from '../../../src/rpc/RpcFailure';
import { createJsonRpcProvider } from '../../support/ethersProvider';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../../support/loopback';

/** How the scripted node answers one HTTP request; `id` is the JSON-RPC id it was sent. */
type Reply = (response: ServerResponse, request: IncomingMessage, id: unknown) => void;

/** A loopback HTTP server standing in for a JSON-RPC node: every request gets the current `reply`. */
function scriptedNode() {
  let reply: Reply = (response) => response.end();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let id: unknown = null;
      try {
        id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown }).id ?? null;
      } catch {
        // not JSON: answer with id null
      }
      reply(response, request, id);
    });
  });
  let url = '';
  return {
    get url(): string {
      return url;
    },
    answer(next: Reply): void {
      reply = next;
    },
    async start(): Promise<void> {
      url = await listenOnLoopback(server);
    },
    stop: () => closeServer(server),
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** A JSON-RPC error answer. */
const rpcErrorBody = (id: unknown, code: number, message: string, data?: unknown): string =>
  JSON.stringify({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });

const FILTER = {
  address: `0x${'2b'.repeat(20)}`,
  topics: [[`0x${'ab'.repeat(32)}`]],
  fromBlock: '0x10',
  toBlock: '0x80f',
};

/** What the provider the library builds for an `rpcUrl` throws for one `eth_getLogs` to `url`. */
async function thrownByProvider(url: string, timeout = 2_000): Promise<unknown> {
  const provider = createJsonRpcProvider(url, 1n, timeout);
  try {
    await provider.send('eth_getLogs', [FILTER]);
  } catch (error) {
    return error;
  } finally {
    provider.destroy();
  }
  throw new Error('expected eth_getLogs to fail');
}

/** What `fetch` (undici) throws for one JSON-RPC POST to `url`. */
async function thrownByFetch(url: string): Promise<unknown> {
  try {
    await fetch(url, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ id: 1, method: 'eth_getLogs' }) });
  } catch (error) {
    return error;
  }
  throw new Error('expected fetch to fail');
}

/** The failure without the raw error, for exact comparison. */
const fields = ({ error: _error, ...rest }: RpcFailure): Omit<RpcFailure, 'error'> => rest;

describe('unwrapRpcError', () => {
  describe('of errors thrown by the ethers provider built for an rpcUrl', () => {
    const node = scriptedNode();
    beforeAll(() => node.start());
    afterAll(() => node.stop());

    it("takes the node's JSON-RPC error out of an HTTP 200 answer (ethers UNKNOWN_ERROR, 'could not coalesce error')", async () => {
      const message = 'query returned more than 10000 results. Try with this block range [0x10, 0x20].';
      node.answer((response, _request, id) => {
        response.writeHead(200, JSON_TYPE);
        response.end(rpcErrorBody(id, -32005, message, { from: '0x10', to: '0x20', limit: 10000 }));
      });
      const error = await thrownByProvider(node.url);

      expect(error).toMatchObject({ code: 'UNKNOWN_ERROR', shortMessage: 'could not coalesce error' });
      expect(fields(unwrapRpcError(error))).toEqual({ message, rpcCode: -32005 });
    });

    it("keeps only the first line of a node's multi-line message", async () => {
      node.answer((response, _request, id) => {
        response.writeHead(200, JSON_TYPE);
        response.end(rpcErrorBody(id, -32000, 'header not found\n  at eth/filters.go:123'));
      });

      expect(unwrapRpcError(await thrownByProvider(node.url)).message).toBe('header not found');
    });

    it('takes the status and Retry-After (delay-seconds) of an HTTP 429, and the JSON-RPC error of its body', async () => {
      node.answer((response, _request, id) => {
        response.writeHead(429, { ...JSON_TYPE, 'retry-after': '3' });
        response.end(rpcErrorBody(id, -32005, 'exceeded project rate limit', { rate: { backoff_seconds: 3 } }));
      });
      const error = await thrownByProvider(node.url);

      expect(error).toMatchObject({
        code: 'SERVER_ERROR',
        info: { responseStatus: '429 Too Many Requests' },
      });
      expect(fields(unwrapRpcError(error))).toEqual({
        message: 'exceeded project rate limit',
        rpcCode: -32005,
        httpStatus: 429,
        retryAfterMs: 3_000,
      });
    });

    it('takes a Retry-After given as an HTTP date, as the time left until then', async () => {
      const at = new Date(Date.now() + 90_000);
      at.setMilliseconds(0);
      node.answer((response) => {
        response.writeHead(429, { 'retry-after': at.toUTCString() });
        response.end('Too Many Requests');
      });
      const before = Date.now();
      const failure = unwrapRpcError(await thrownByProvider(node.url));

      expect(failure).toMatchObject({ message: 'server response 429 Too Many Requests', httpStatus: 429 });
      expect(failure.rpcCode).toBeUndefined();
      expect(failure.retryAfterMs).toBeGreaterThan(at.getTime() - Date.now() - 1_000);
      expect(failure.retryAfterMs).toBeLessThanOrEqual(at.getTime() - before);
    });

    it('takes the JSON-RPC error of an HTTP 400 body (Alchemy) with the status', async () => {
      const message =
        'You can make eth_getLogs requests with up to a 2K block range. Based on your parameters, this block range should work: [0x10, 0x80f]';
      node.answer((response, _request, id) => {
        response.writeHead(400, JSON_TYPE);
        response.end(rpcErrorBody(id, -32600, message));
      });

      expect(fields(unwrapRpcError(await thrownByProvider(node.url)))).toEqual({
        message,
        rpcCode: -32600,
        httpStatus: 400,
      });
    });

    it('takes the JSON-RPC error of an HTTP 413 body (QuickNode) with the status', async () => {
      node.answer((response, _request, id) => {
        response.writeHead(413, JSON_TYPE);
        response.end(rpcErrorBody(id, -32614, 'eth_getLogs is limited to a 10,000 range'));
      });

      expect(fields(unwrapRpcError(await thrownByProvider(node.url)))).toEqual({
        message: 'eth_getLogs is limited to a 10,000 range',
        rpcCode: -32614,
        httpStatus: 413,
      });
    });

    it("takes the status and JSON-RPC error of an HTTP 403 (Infura's project settings refusal)", async () => {
      node.answer((response) => {
        response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('{"jsonrpc":"2.0","error":{"code":-32002,"message":"rejected due to project ID settings"}}\n');
      });

      expect(fields(unwrapRpcError(await thrownByProvider(node.url)))).toEqual({
        message: 'rejected due to project ID settings',
        rpcCode: -32002,
        httpStatus: 403,
      });
    });

    it("falls back to ethers' status line for an HTTP 5xx whose body is not JSON (an nginx page)", async () => {
      node.answer((response) => {
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
      });

      expect(fields(unwrapRpcError(await thrownByProvider(node.url)))).toEqual({
        message: 'server response 502 Bad Gateway',
        httpStatus: 502,
      });
    });

    it("does not throw on a body that is not UTF-8 (ethers' bodyText getter throws)", async () => {
      node.answer((response) => {
        response.writeHead(500);
        response.end(Buffer.from([0xff, 0xfe, 0xfd]));
      });
      const error = await thrownByProvider(node.url);

      expect(() => (error as { response: { bodyText: string } }).response.bodyText).toThrow();
      expect(fields(unwrapRpcError(error))).toEqual({
        message: 'server response 500 Internal Server Error',
        httpStatus: 500,
      });
    });

    it("takes the method-not-found error that ethers rewrites as UNSUPPORTED_OPERATION (the node's error in info.error)", async () => {
      node.answer((response, _request, id) => {
        response.writeHead(200, JSON_TYPE);
        response.end(rpcErrorBody(id, -32601, 'the method eth_getLogs does not exist/is not available'));
      });
      const error = await thrownByProvider(node.url);

      expect(error).toMatchObject({ code: 'UNSUPPORTED_OPERATION' });
      expect(unwrapRpcError(error)).toMatchObject({
        message: 'the method eth_getLogs does not exist/is not available',
        rpcCode: -32601,
      });
    });

    it('reports a socket the node destroys as ECONNRESET', async () => {
      node.answer((_response, request) => request.socket.destroy());

      expect(fields(unwrapRpcError(await thrownByProvider(node.url)))).toEqual({
        message: 'socket hang up',
        transportCode: 'ECONNRESET',
      });
    });

    it("reports ethers' request timeout as TIMEOUT", async () => {
      node.answer(() => undefined); // never answers

      expect(fields(unwrapRpcError(await thrownByProvider(node.url, 150)))).toEqual({
        message: 'request timeout',
        transportCode: 'TIMEOUT',
      });
    });

    it('reports a refused connection as ECONNREFUSED', async () => {
      const failure = unwrapRpcError(await thrownByProvider(await closedLoopbackUrl()));

      expect(failure.transportCode).toBe('ECONNREFUSED');
      expect(failure.message).toMatch(/ECONNREFUSED/);
      expect(failure.httpStatus).toBeUndefined();
      expect(failure.rpcCode).toBeUndefined();
    });

    it('keeps the error as thrown', async () => {
      node.answer((response) => {
        response.writeHead(503, { 'content-type': 'text/plain' });
        response.end('upstream connect error or disconnect/reset before headers. reset reason: connection failure');
      });
      const error = await thrownByProvider(node.url);

      expect(unwrapRpcError(error).error).toBe(error);
      expect(unwrapRpcError(error)).toMatchObject({
        httpStatus: 503,
        message: 'server response 503 Service Unavailable',
      });
    });
  });

  describe('of errors thrown by fetch (undici), as a custom transport would rethrow them', () => {
    const node = scriptedNode();
    beforeAll(() => node.start());
    afterAll(() => node.stop());

    it("takes the socket error code from the cause of 'fetch failed' (UND_ERR_SOCKET)", async () => {
      node.answer((_response, request) => request.socket.destroy());
      const error = await thrownByFetch(node.url);

      expect(error).toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'UND_ERR_SOCKET' } });
      expect(unwrapRpcError(error)).toMatchObject({ transportCode: 'UND_ERR_SOCKET', error });
    });

    it("takes ECONNREFUSED from the cause of 'fetch failed'", async () => {
      const failure = unwrapRpcError(await thrownByFetch(await closedLoopbackUrl()));

      expect(failure.transportCode).toBe('ECONNREFUSED');
      expect(failure.rpcCode).toBeUndefined();
    });
  });

  describe('of errors of custom transports', () => {
    it('takes a plain JSON-RPC error object { code, message } as thrown', () => {
      const error = { code: -32000, message: 'header not found' };
      expect(unwrapRpcError(error)).toEqual({ message: 'header not found', rpcCode: -32000, error });
    });

    it('takes the JSON-RPC error nested in `error` rather than the wrapper message', () => {
      const error = Object.assign(new Error('request failed'), { error: { code: -32603, message: 'internal error' } });
      expect(fields(unwrapRpcError(error))).toEqual({ message: 'internal error', rpcCode: -32603 });
    });

    it('takes the JSON-RPC error nested in `info.error` (the shape of ethers errors)', () => {
      const error = { code: 'UNSUPPORTED_OPERATION', info: { error: { code: -32601, message: 'method not found' } } };
      expect(unwrapRpcError(error)).toMatchObject({ message: 'method not found', rpcCode: -32601 });
    });

    it('takes a socket error code nested several causes deep', () => {
      const error = new Error('transport failed', {
        cause: new Error('request aborted', {
          cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        }),
      });
      expect(unwrapRpcError(error)).toMatchObject({ transportCode: 'ECONNRESET' });
      expect(unwrapRpcError(error).rpcCode).toBeUndefined();
    });

    it('takes the status and a Retry-After header of any case from a `response` with `status`', () => {
      const error = Object.assign(new Error('HTTP 503'), {
        response: { status: 503, headers: { 'Retry-After': '2' }, body: 'busy' },
      });
      expect(fields(unwrapRpcError(error))).toEqual({ message: 'HTTP 503', httpStatus: 503, retryAfterMs: 2_000 });
    });

    it('takes the JSON-RPC error of a `response` body, and of the first element of a batch body', () => {
      const single = { response: { statusCode: 400, body: rpcErrorBody(1, -32602, 'invalid argument 0') } };
      const batch = {
        message: 'bad response',
        info: { responseStatus: '200 OK', responseBody: `[${rpcErrorBody(1, -32000, 'header not found')}]` },
      };

      expect(unwrapRpcError(single)).toMatchObject({ message: 'invalid argument 0', rpcCode: -32602, httpStatus: 400 });
      expect(unwrapRpcError(batch)).toMatchObject({ message: 'header not found', rpcCode: -32000, httpStatus: 200 });
    });

    it('ignores a status of 0 and a body that is not JSON', () => {
      const error = { message: 'network error', response: { statusCode: 0, body: '<html>oops</html>' } };
      expect(fields(unwrapRpcError(error))).toEqual({ message: 'network error' });
    });

    it('does not take a JSON-RPC error whose code is not an integer', () => {
      expect(unwrapRpcError({ code: '-32000', message: 'header not found' })).toMatchObject({
        message: 'header not found',
        transportCode: '-32000',
      });
      expect(unwrapRpcError({ code: -32000.5, message: 'odd' }).rpcCode).toBeUndefined();
    });

    it('terminates on an error that is its own cause', () => {
      const error: Error & { cause?: unknown } = new Error('loop');
      error.cause = error;
      expect(fields(unwrapRpcError(error))).toEqual({ message: 'loop' });
    });

    it.each([
      ['a string', 'boom', '"boom"'],
      ['undefined', undefined, 'undefined'],
      ['null', null, 'null'],
      ['a number', 42, '42'],
    ])('describes %s thrown as such', (_what, thrown, message) => {
      expect(unwrapRpcError(thrown)).toEqual({ message, error: thrown });
    });
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2024-01-01T00:00:00Z');

  it.each([
    ['0', 0],
    ['3', 3_000],
    ['120', 120_000],
    ['1.5', 1_500],
    [' 7 ', 7_000],
  ])('reads delay-seconds %p as %p ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it('reads any whole number of delay-seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)).toBe(seconds * 1_000);
      }),
    );
  });

  it('reads an HTTP date as the milliseconds left until it', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:01:30 GMT', NOW)).toBe(90_000);
  });

  it.each(['Sun, 31 Dec 2023 23:59:00 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994'])(
    'reads an HTTP date in the past (%p) as 0',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBe(0);
    },
  );

  it.each([undefined, null, 3, '', '   ', 'soon', '5 seconds', '0x10', '1e3', '1,000', '12abc'])(
    'returns undefined for %p',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );

  // Date.parse is lenient: it reads "-1" and "+5" as years and picks a year out of free text
  // ("in 2099" is 75 years away: the longest wait, MAX_RETRY_AFTER, for a header that means nothing).
  it.each(['-1', '+5', 'soon 12', 'in 2099'])(
    'returns undefined for %p, which is neither delay-seconds nor an HTTP date',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});
