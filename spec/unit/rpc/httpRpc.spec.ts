import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type ObservableInput, from } from 'rxjs';
import { classifyRpcFailure } from '../../../src/rpc/classifyRpcFailure';
import { HttpRpcError, httpRpc } from '../../../src/rpc/httpRpc';
import { unwrapRpcError } from '../../../src/rpc/RpcFailure';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../../support/loopback';

/** One HTTP request the scripted node received. */
interface Received {
  readonly method: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The body, parsed as JSON. */
  readonly body: {
    readonly jsonrpc?: unknown;
    readonly id?: unknown;
    readonly method?: unknown;
    readonly params?: unknown;
  };
  /** Settles when the connection the request came on closes. */
  readonly connectionClosed: Promise<void>;
  readonly response: ServerResponse;
}

/** How the scripted node answers one request. */
type Reply = (response: ServerResponse, request: IncomingMessage, received: Received) => void;

/** A loopback HTTP server standing in for a JSON-RPC node: every request gets the current `reply`. */
function scriptedNode() {
  let reply: Reply = (response, _request, { body }) =>
    answerJson(response, 200, { jsonrpc: '2.0', id: body.id, result: null });
  const received: Received[] = [];
  const waiting: ((request: Received) => void)[] = [];
  const server = createServer((request, response) => {
    const connectionClosed = new Promise<void>((resolve) => request.socket.once('close', () => resolve()));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'];
      const one: Received = { method: request.method, headers: request.headers, body, connectionClosed, response };
      received.push(one);
      waiting.splice(0).forEach((resolve) => resolve(one));
      reply(response, request, one);
    });
  });
  let url = '';
  return {
    get url(): string {
      return url;
    },
    /** The requests received so far, in order. */
    received,
    answer(next: Reply): void {
      reply = next;
    },
    /** The next request to arrive. */
    nextRequest(): Promise<Received> {
      return new Promise((resolve) => waiting.push(resolve));
    },
    async start(): Promise<void> {
      url = await listenOnLoopback(server);
    },
    stop: () => closeServer(server),
  };
}

function answerJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Answers every request with this HTTP status, headers and raw body. */
const answerRaw =
  (status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Reply =>
  (response) => {
    response.writeHead(status, headers);
    response.end(body);
  };

/** Answers every request with this JSON-RPC result. */
const answerResult =
  (result: unknown): Reply =>
  (response, _request, { body }) =>
    answerJson(response, 200, { jsonrpc: '2.0', id: body.id, result });

/** Answers every request with this JSON-RPC error, under this HTTP status. */
const answerError =
  (
    error: { code: number; message: string; data?: unknown },
    status = 200,
    headers: Record<string, string> = {},
  ): Reply =>
  (response, _request, { body }) =>
    answerJson(response, status, { jsonrpc: '2.0', id: body.id, error }, headers);

type Notification = ['next', unknown] | ['error', unknown] | ['complete'];

/** Everything one subscription is told, once it ends. */
function notifications(input: ObservableInput<unknown>): Promise<Notification[]> {
  return new Promise((resolve) => {
    const seen: Notification[] = [];
    from(input).subscribe({
      next: (value) => seen.push(['next', value]),
      error: (error: unknown) => resolve([...seen, ['error', error]]),
      complete: () => resolve([...seen, ['complete']]),
    });
  });
}

/** The error a subscription ends with (failing the test if it emits or completes instead). */
async function errorOf(input: ObservableInput<unknown>): Promise<unknown> {
  const seen = await notifications(input);
  expect(seen).toEqual([['error', expect.anything()]]);
  return (seen[0] as ['error', unknown])[1];
}

/** `promise`, or a rejection naming `what` after `ms`: a missing event fails fast instead of hanging. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ADDRESS = `0x${'2b'.repeat(20)}`;
const TOPICS = [[`0x${'ab'.repeat(32)}`, `0x${'cd'.repeat(32)}`]];
const FILTER = { address: ADDRESS, topics: TOPICS, fromBlock: 16, toBlock: 2_063 };
const BLOCK = { number: '0xff', hash: `0x${'11'.repeat(32)}`, parentHash: `0x${'10'.repeat(32)}` };
const TIMEOUT = 2_000;

describe('httpRpc', () => {
  const node = scriptedNode();
  // A fresh server (and port) per test: no kept-alive connection outlives the test that opened it.
  beforeEach(() => node.start());
  afterEach(async () => {
    await node.stop();
    node.received.length = 0;
  });

  describe('requests', () => {
    it('POSTs a JSON-RPC 2.0 request with a JSON content type', async () => {
      await notifications(httpRpc(node.url, TIMEOUT).getBlock('latest'));

      const [request] = node.received;
      expect(request?.method).toBe('POST');
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.body).toEqual({
        jsonrpc: '2.0',
        id: expect.any(Number),
        method: expect.any(String),
        params: expect.any(Array),
      });
    });

    it("asks for the head with eth_getBlockByNumber('latest', false)", async () => {
      await notifications(httpRpc(node.url, TIMEOUT).getBlock('latest'));

      expect(node.received.map(({ body }) => [body.method, body.params])).toEqual([
        ['eth_getBlockByNumber', ['latest', false]],
      ]);
    });

    it.each([
      [0, '0x0'],
      [255, '0xff'],
      [4_096, '0x1000'],
    ])('asks for block %p with eth_getBlockByNumber(%p, false), without transactions', async (block, quantity) => {
      await notifications(httpRpc(node.url, TIMEOUT).getBlock(block));

      expect(node.received.map(({ body }) => [body.method, body.params])).toEqual([
        ['eth_getBlockByNumber', [quantity, false]],
      ]);
    });

    it('sends eth_getLogs with the block range as hex quantities, the address and topics as given', async () => {
      await notifications(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(node.received.map(({ body }) => [body.method, body.params])).toEqual([
        ['eth_getLogs', [{ address: ADDRESS, topics: TOPICS, fromBlock: '0x10', toBlock: '0x80f' }]],
      ]);
    });

    it("asks for the code with eth_getCode(address, 'latest')", async () => {
      await notifications(httpRpc(node.url, TIMEOUT).getCode(ADDRESS));

      expect(node.received.map(({ body }) => [body.method, body.params])).toEqual([
        ['eth_getCode', [ADDRESS, 'latest']],
      ]);
    });

    it('gives each request a greater id than the one before', async () => {
      const rpc = httpRpc(node.url, TIMEOUT);
      await notifications(rpc.getBlock('latest'));
      await notifications(rpc.getLogs(FILTER));
      await notifications(rpc.getCode(ADDRESS));
      await notifications(rpc.getBlock(1));

      const ids = node.received.map(({ body }) => body.id as number);
      expect(ids).toHaveLength(4);
      ids.slice(1).forEach((id, i) => expect(id).toBeGreaterThan(ids[i]!));
    });

    it('sends nothing before it is subscribed to (cold)', async () => {
      const rpc = httpRpc(node.url, TIMEOUT);
      rpc.getBlock(255);
      rpc.getLogs(FILTER);
      // A request subscribed to later makes it through; the unsubscribed ones never do.
      await notifications(rpc.getCode(ADDRESS));
      await delay(50);

      expect(node.received.map(({ body }) => body.method)).toEqual(['eth_getCode']);
    });

    it('sends one request per subscription, each with its own id', async () => {
      const block = httpRpc(node.url, TIMEOUT).getBlock(255);

      await Promise.all([notifications(block), notifications(block)]);
      await notifications(block);

      expect(node.received.map(({ body }) => [body.method, body.params])).toEqual([
        ['eth_getBlockByNumber', ['0xff', false]],
        ['eth_getBlockByNumber', ['0xff', false]],
        ['eth_getBlockByNumber', ['0xff', false]],
      ]);
      expect(new Set(node.received.map(({ body }) => body.id)).size).toBe(3);
    });
  });

  describe('answers', () => {
    it('emits the result, then completes', async () => {
      node.answer(answerResult(BLOCK));

      expect(await notifications(httpRpc(node.url, TIMEOUT).getBlock(255))).toEqual([['next', BLOCK], ['complete']]);
    });

    it('emits the logs of eth_getLogs as the node sent them', async () => {
      const logs = [{ any: 'thing', blockNumber: '0x10' }, { other: ['thing'] }];
      node.answer(answerResult(logs));

      expect(await notifications(httpRpc(node.url, TIMEOUT).getLogs(FILTER))).toEqual([['next', logs], ['complete']]);
    });

    it('emits the code of eth_getCode', async () => {
      node.answer(answerResult('0x6080'));

      expect(await notifications(httpRpc(node.url, TIMEOUT).getCode(ADDRESS))).toEqual([
        ['next', '0x6080'],
        ['complete'],
      ]);
    });

    it('emits null for a block the chain does not have (result: null)', async () => {
      node.answer(answerResult(null));

      expect(await notifications(httpRpc(node.url, TIMEOUT).getBlock(1_000_000))).toEqual([
        ['next', null],
        ['complete'],
      ]);
    });
  });

  describe('JSON-RPC errors (HTTP 200)', () => {
    const INFURA = {
      code: -32005,
      message: 'query returned more than 10000 results. Try with this block range [0x1, 0x2].',
    };

    it("errors with an HttpRpcError carrying the node's code, message and the body", async () => {
      node.answer(answerError(INFURA));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(error).toBeInstanceOf(HttpRpcError);
      expect(error).toMatchObject({ name: 'HttpRpcError', code: -32005, message: INFURA.message, response: undefined });
      expect(JSON.parse((error as HttpRpcError).info!.responseBody)).toMatchObject({ error: INFURA });
    });

    it("is classified as a range refusal with the node's suggested range (Infura -32005)", async () => {
      node.answer(answerError(INFURA));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(unwrapRpcError(error)).toMatchObject({ rpcCode: -32005, message: INFURA.message });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({
        kind: 'range',
        suggested: { fromBlock: 1, toBlock: 2 },
      });
    });

    it("keeps a textual `data`, which the classification appends to the message (thirdweb's range limit)", async () => {
      const data = 'range 20000 is bigger than range limit 2000';
      node.answer(answerError({ code: -32602, message: 'invalid params', data }));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(error).toMatchObject({ code: -32602, message: 'invalid params', data });
      expect(unwrapRpcError(error).message).toBe(`invalid params: ${data}`);
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'range', limit: 2000 });
    });

    it('is fatal for a method the node does not have (-32601)', async () => {
      node.answer(answerError({ code: -32601, message: 'the method eth_getLogs does not exist/is not available' }));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'fatal' });
    });
  });

  describe('HTTP errors', () => {
    it('takes the status, Retry-After and JSON-RPC error of an HTTP 429: transient, after the delay asked', async () => {
      const error429 = { code: 429, message: 'Your app has exceeded its compute units per second capacity.' };
      node.answer(answerError(error429, 429, { 'retry-after': '3' }));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(error).toBeInstanceOf(HttpRpcError);
      expect((error as HttpRpcError).response?.status).toBe(429);
      expect(unwrapRpcError(error)).toMatchObject({
        httpStatus: 429,
        retryAfterMs: 3_000,
        rpcCode: 429,
        message: error429.message,
      });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({
        kind: 'transient',
        retryAfterMs: 3_000,
      });
    });

    it('reports an HTTP 503 with a text body by its status line: transient', async () => {
      const body = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure';
      node.answer(answerRaw(503, body, { 'content-type': 'text/plain' }));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getBlock('latest'));

      expect(error).toMatchObject({
        message: 'server response 503 Service Unavailable',
        code: undefined,
        response: { status: 503 },
        info: { responseBody: body },
      });
      expect(unwrapRpcError(error)).toMatchObject({ httpStatus: 503 });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getBlockByNumber')).toEqual({ kind: 'transient' });
    });

    it('takes the JSON-RPC range refusal out of an HTTP 400 body (Alchemy): range', async () => {
      const message =
        'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x10, 0x4a3f]';
      node.answer(answerError({ code: -32602, message }, 400));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(unwrapRpcError(error)).toMatchObject({ httpStatus: 400, rpcCode: -32602, message });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({
        kind: 'range',
        suggested: { fromBlock: 0x10, toBlock: 0x4a3f },
        limit: 2_000,
      });
    });

    it('is fatal on HTTP 401 (a text body)', async () => {
      node.answer(answerRaw(401, 'Unauthorized', { 'content-type': 'text/plain' }));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getBlock('latest'));

      expect(unwrapRpcError(error)).toMatchObject({ httpStatus: 401, message: 'server response 401 Unauthorized' });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getBlockByNumber')).toEqual({ kind: 'fatal' });
    });

    it("is fatal on HTTP 403, whatever JSON-RPC code the body carries (Infura's project settings)", async () => {
      node.answer(answerError({ code: -32002, message: 'rejected due to project ID settings' }, 403));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(unwrapRpcError(error)).toMatchObject({ httpStatus: 403, rpcCode: -32002 });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'fatal' });
    });
  });

  describe('answers that are not JSON-RPC', () => {
    it('errors on an HTTP 200 HTML page, classified transient (a proxy in trouble, not a refusal)', async () => {
      const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
      node.answer(answerRaw(200, page, { 'content-type': 'text/html' }));

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getBlock('latest'));

      expect(error).toBeInstanceOf(HttpRpcError);
      expect(error).toMatchObject({ code: undefined, response: undefined, info: { responseBody: page } });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getBlockByNumber')).toEqual({ kind: 'transient' });
    });

    it.each([['"ok"'], ['42'], ['null'], ['[]'], ['true'], ['{}'], ['{"status":"ok"}'], ['{"jsonrpc":"2.0","id":1}']])(
      'errors on a JSON body that is not a JSON-RPC object (%s), classified transient',
      async (body) => {
        node.answer(answerRaw(200, body));

        const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

        expect(error).toBeInstanceOf(HttpRpcError);
        expect(error).toMatchObject({ message: 'the answer is not a JSON-RPC response', info: { responseBody: body } });
        expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'transient' });
      },
    );
  });

  describe('transport failures', () => {
    it('errors when the node destroys the socket, classified transient', async () => {
      node.answer((_response, request) => request.socket.destroy());

      const error = await errorOf(httpRpc(node.url, TIMEOUT).getLogs(FILTER));

      expect(unwrapRpcError(error).transportCode).toEqual(expect.any(String));
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'transient' });
    });

    it('errors on a refused connection, classified transient', async () => {
      const error = await errorOf(httpRpc(await closedLoopbackUrl(), TIMEOUT).getLogs(FILTER));

      expect(unwrapRpcError(error).transportCode).toBe('ECONNREFUSED');
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'transient' });
    });
  });

  describe('timeout and cancellation', () => {
    it("errors with code 'TIMEOUT' when the node does not answer within `timeout` ms, and aborts the request", async () => {
      node.answer(() => undefined); // never answers
      const arrived = node.nextRequest();
      const started = Date.now();

      const error = await within(errorOf(httpRpc(node.url, 150).getLogs(FILTER)), 1_500, 'the timeout');

      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(error).toMatchObject({ code: 'TIMEOUT', message: 'no answer within 150 ms' });
      expect(classifyRpcFailure(unwrapRpcError(error), 'eth_getLogs')).toEqual({ kind: 'transient' });
      const request = await arrived;
      await within(request.connectionClosed, 1_000, 'the connection closing');
      expect(request.response.writableEnded).toBe(false);
    });

    it('aborts the HTTP request when unsubscribed before the answer, and emits nothing', async () => {
      node.answer(() => undefined); // answers only when told below
      const arrived = node.nextRequest();
      const seen: Notification[] = [];
      const subscription = from(httpRpc(node.url, TIMEOUT).getBlock('latest')).subscribe({
        next: (value) => seen.push(['next', value]),
        error: (error: unknown) => seen.push(['error', error]),
        complete: () => seen.push(['complete']),
      });
      const request = await within(arrived, 1_000, 'the request arriving');

      subscription.unsubscribe();

      await within(request.connectionClosed, 1_000, 'the connection closing');
      expect(request.response.writableEnded).toBe(false);
      await delay(50);
      expect(seen).toEqual([]);
    });
  });
});
