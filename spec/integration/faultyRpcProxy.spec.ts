import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { freePort } from '../support/anvil';
import {
  type CallOutcome,
  type CapStyle,
  FaultyRpcProxy,
  type FaultyRpcProxyOptions,
  type LaggingOptions,
  RANGE_CAP_STYLES,
  RESULT_CAP_STYLES,
} from '../support/FaultyRpcProxy';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';

let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain();
  await chain.mine(20);
});
afterAll(() => chain.stop());

const proxies: FaultyRpcProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

async function startProxy(options: FaultyRpcProxyOptions = {}, target = chain.url): Promise<FaultyRpcProxy> {
  const proxy = await new FaultyRpcProxy(target, options).start();
  proxies.push(proxy);
  return proxy;
}

interface RpcAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json:
    { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } } | undefined;
}

let nextId = 1;

async function post(url: string, body: unknown, signal?: AbortSignal): Promise<RpcAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
  const text = await response.text();
  let json: RpcAnswer['json'];
  try {
    json = JSON.parse(text) as RpcAnswer['json'];
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const call = (url: string, method: string, params: unknown[] = [], id: unknown = nextId++) =>
  post(url, { jsonrpc: '2.0', id, method, params });

const hex = (n: number) => `0x${n.toString(16)}`;

const getLogs = (url: string, from: number | string, to: number | string, address = chain.nexusAddress) =>
  call(url, 'eth_getLogs', [
    {
      address,
      fromBlock: typeof from === 'number' ? hex(from) : from,
      toBlock: typeof to === 'number' ? hex(to) : to,
    },
  ]);

/** `[0x…, 0x…]` of a cap message, as numbers. */
function suggestedRange(message: string): [number, number] {
  const match = /\[(0x[0-9a-f]+), (0x[0-9a-f]+)\]/.exec(message);
  if (match === null) throw new Error(`no suggested range in ${JSON.stringify(message)}`);
  return [Number.parseInt(match[1]!, 16), Number.parseInt(match[2]!, 16)];
}

describe('without faults', () => {
  it('forwards every call unchanged at rate 0 and records it as ok', async () => {
    const proxy = await startProxy();
    const head = await chain.head();
    for (const [method, params] of [
      ['eth_chainId', []],
      ['eth_blockNumber', []],
      ['eth_getBlockByNumber', [hex(head), false]],
      ['eth_getLogs', [{ address: chain.nexusAddress, fromBlock: '0x0', toBlock: hex(head) }]],
    ] as const) {
      const direct = await call(chain.url, method, [...params], 7);
      const proxied = await call(proxy.url, method, [...params], 7);
      expect(proxied.status).toBe(200);
      expect(proxied.json).toEqual(direct.json);
    }
    expect(proxy.calls.map((c) => [c.method, c.outcome])).toEqual([
      ['eth_chainId', 'ok'],
      ['eth_blockNumber', 'ok'],
      ['eth_getBlockByNumber', 'ok'],
      ['eth_getLogs', 'ok'],
    ]);
    expect(proxy.count('eth_getLogs')).toBe(1);
    expect(Object.values(proxy.faults()).every((n) => n === 0)).toBe(true);
  });

  it('forwards a batch as one request and records each call of it', async () => {
    const proxy = await startProxy();
    const answer = await post(proxy.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
    ]);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual([
      expect.objectContaining({ id: 1, result: '0x7a69' }),
      expect.objectContaining({ id: 2, result: expect.stringMatching(/^0x/) }),
    ]);
    expect(proxy.calls.map((c) => [c.method, c.batch, c.outcome])).toEqual([
      ['eth_chainId', true, 'ok'],
      ['eth_blockNumber', true, 'ok'],
    ]);
  });

  it('answers 502 when the node cannot be reached', async () => {
    const proxy = await startProxy({}, `http://127.0.0.1:${await freePort()}`);
    const answer = await call(proxy.url, 'eth_blockNumber');
    expect(answer.status).toBe(502);
    expect(proxy.calls[0]!.outcome).toBe('upstream-down');
  });
});

describe('for a page in a browser', () => {
  it('answers a CORS preflight without counting or faulting it, and sends CORS headers on every answer, faults too', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['http-429'] });
    const preflight = await fetch(proxy.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:1234', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(proxy.calls).toHaveLength(0);

    const limited = await call(proxy.url, 'eth_blockNumber');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect(limited.headers.get('access-control-expose-headers')).toBe('retry-after');
  });
});

describe('HTTP faults', () => {
  it('answers http-429 with a Retry-After header and a JSON-RPC rate-limit body echoing the id', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['http-429'] });
    const answer = await call(proxy.url, 'eth_blockNumber', [], 42);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('0');
    expect(answer.json).toMatchObject({ id: 42, error: { code: -32005, message: 'exceeded project rate limit' } });

    proxy.configure({ retryAfterSeconds: 1 });
    expect((await call(proxy.url, 'eth_blockNumber')).headers.get('retry-after')).toBe('1');
    expect(proxy.faults()['http-429']).toBe(2);
  });

  it.each([
    ['http-500', 500, /Internal server error/],
    ['http-502', 502, /502 Bad Gateway/],
    ['http-503', 503, /upstream connect error/],
  ] as const)('answers %s with status %i and a short body', async (kind, status, body) => {
    const proxy = await startProxy({ rate: 1, kinds: [kind] });
    const answer = await call(proxy.url, 'eth_blockNumber');
    expect(answer.status).toBe(status);
    expect(answer.text).toMatch(body);
    expect(answer.text.length).toBeLessThan(300);
    expect(proxy.calls[0]!.outcome).toBe(kind);
  });

  it('drops the connection without an answer on reset, which fetch reports as a socket error', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['reset'] });
    await expect(call(proxy.url, 'eth_blockNumber')).rejects.toMatchObject({
      message: 'fetch failed',
      cause: { code: 'UND_ERR_SOCKET' },
    });
    expect(proxy.faults().reset).toBe(1);
  });

  it('holds a slow answer for slowMs: a patient client gets the real answer late, an impatient one gives up', async () => {
    const slowMs = 400;
    const proxy = await startProxy({ rate: 1, kinds: ['slow'], slowMs });
    const direct = await call(chain.url, 'eth_chainId', [], 1);

    const started = Date.now();
    const answer = await call(proxy.url, 'eth_chainId', [], 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(slowMs * 0.8);
    expect(answer.json).toEqual(direct.json);

    await expect(
      post(proxy.url, { jsonrpc: '2.0', id: 2, method: 'eth_chainId', params: [] }, AbortSignal.timeout(100)),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(proxy.faults().slow).toBe(2);
    // The second answer is still held: stop() (afterEach) must close it without waiting.
  });
});

describe('JSON-RPC faults', () => {
  it.each([
    ['rpc-internal', -32603, 'internal error'],
    ['rpc-server', -32000, 'header not found'],
    ['rpc-limit', -32005, 'project ID request rate exceeded'],
  ] as const)('answers %s with HTTP 200 and error %i "%s" under the request id', async (kind, code, message) => {
    const proxy = await startProxy({ rate: 1, kinds: [kind] });
    for (const id of [5, 'abc']) {
      const answer = await call(proxy.url, 'eth_blockNumber', [], id);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ jsonrpc: '2.0', id, error: { code, message } });
    }
  });

  it('faults a whole batch: one error per call, each under its own id', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['rpc-server'] });
    const answer = await post(proxy.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
    ]);
    expect(JSON.parse(answer.text)).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'header not found' } },
      { jsonrpc: '2.0', id: 2, error: { code: -32000, message: 'header not found' } },
    ]);
    expect(proxy.faults()['rpc-server']).toBe(2);
  });
});

describe('choosing what to fault', () => {
  it('faults only the listed methods', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['rpc-internal'], methods: ['eth_getLogs'] });
    expect((await call(proxy.url, 'eth_blockNumber')).json).toHaveProperty('result');
    expect((await getLogs(proxy.url, 0, 1)).json).toHaveProperty('error.code', -32603);
    expect(proxy.calls.map((c) => c.outcome)).toEqual(['ok', 'rpc-internal']);
  });

  it('turns faults on and off at runtime', async () => {
    const proxy = await startProxy();
    expect((await call(proxy.url, 'eth_blockNumber')).status).toBe(200);
    proxy.configure({ rate: 1, kinds: ['http-503'] });
    expect((await call(proxy.url, 'eth_blockNumber')).status).toBe(503);
    proxy.configure({ rate: 0 });
    expect((await call(proxy.url, 'eth_blockNumber')).status).toBe(200);
    expect(proxy.calls.map((c) => c.outcome)).toEqual(['ok', 'http-503', 'ok']);
  });

  it('injects queued faults in order before going back to normal answers', async () => {
    const proxy = await startProxy().then((p) => p.failNext('http-429', 'rpc-limit'));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(proxy.url, 'eth_blockNumber')).status);
    expect(statuses).toEqual([429, 200, 200]);
    expect(proxy.calls.map((c) => c.outcome)).toEqual(['http-429', 'rpc-limit', 'ok']);
  });

  it('draws a reproducible fault sequence from the seed', async () => {
    const options = { rate: 0.5, kinds: ['http-429', 'http-503', 'rpc-internal'] as const, seed: 7 };
    const run = async (proxy: FaultyRpcProxy): Promise<CallOutcome[]> => {
      for (let i = 0; i < 40; i++) await call(proxy.url, 'eth_chainId');
      return proxy.calls.map((c) => c.outcome as CallOutcome);
    };
    const first = await run(await startProxy(options));
    const second = await run(await startProxy(options));
    const otherSeed = await run(await startProxy({ ...options, seed: 8 }));

    expect(second).toEqual(first);
    expect(otherSeed).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', 'http-429', 'http-503', 'rpc-internal']));
    const faulted = first.filter((o) => o !== 'ok').length;
    expect(faulted).toBeGreaterThan(8);
    expect(faulted).toBeLessThan(32);

    const again = await startProxy(options);
    await run(again);
    again.reset();
    expect(await run(again)).toEqual(first);
  });
});

describe('block-range cap', () => {
  const maxBlockRange = 5;

  it.each([
    ['infura-range', 200, -32602, () => 'range 10 exceeds limit of 5'],
    ['too-wide', 200, -32600, () => 'block range is too wide'],
    ['max-block-range', 200, -32000, () => 'query exceeds max block range 5'],
    ['quicknode-range', 413, -32614, () => 'eth_getLogs is limited to a 5 range'],
    [
      'alchemy-range',
      400,
      -32600,
      (from: number) =>
        `You can make eth_getLogs requests with up to a 5 block range. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + 4)}]`,
    ],
  ] as const)(
    'rejects a too-wide eth_getLogs in the %s style (HTTP %i, code %i) and passes a narrow one',
    async (capStyle, status, code, message) => {
      const proxy = await startProxy({ maxBlockRange, capStyle });
      const from = (await chain.head()) - 12;

      const wide = await getLogs(proxy.url, from, from + 9);
      expect(wide.status).toBe(status);
      expect(wide.json).toMatchObject({ id: expect.any(Number), error: { code, message: message(from) } });

      const narrow = await getLogs(proxy.url, from, from + 4);
      expect(narrow.status).toBe(200);
      expect(narrow.json?.result).toEqual((await getLogs(chain.url, from, from + 4)).json?.result);
      expect(proxy.calls.map((c) => c.outcome)).toEqual(['cap-range', 'ok']);
      expect(proxy.capRejections()).toEqual({ range: 1, results: 0, byStyle: { [capStyle]: 1 } });
    },
  );

  it('writes the cap with digit grouping in the QuickNode style, as QuickNode does', async () => {
    const proxy = await startProxy({ maxBlockRange: 10_000, capStyle: 'quicknode-range' });
    const answer = await getLogs(proxy.url, 0, 20_000);
    expect(answer.json?.error?.message).toBe('eth_getLogs is limited to a 10,000 range');
  });

  it('cycles through every block-range style when rotating, and leaves tags unchecked', async () => {
    const proxy = await startProxy({ maxBlockRange: 2 });
    const from = (await chain.head()) - 10;
    for (let i = 0; i < RANGE_CAP_STYLES.length + 1; i++) await getLogs(proxy.url, from, from + 5);
    expect(proxy.calls.map((c) => c.capStyle)).toEqual([...RANGE_CAP_STYLES, RANGE_CAP_STYLES[0]]);
    expect(proxy.capRejections().range).toBe(RANGE_CAP_STYLES.length + 1);

    expect((await getLogs(proxy.url, 'earliest', 'latest')).json).toHaveProperty('result');
    expect(proxy.calls.at(-1)!.outcome).toBe('ok');
  });
});

describe('result cap', () => {
  const maxResults = 6;
  let blocks: number[];
  let first: number;
  let last: number;

  beforeAll(async () => {
    // Logs per block from `first`: 3, 0, 4, 2, 5 (14 in all).
    const task = randomAddress();
    first = (await chain.send('emitManyStatuses', task, 1, 3)).blockNumber;
    await chain.mine(1);
    const third = (await chain.send('emitManyStatuses', task, 1, 4)).blockNumber;
    const fourth = (await chain.send('emitManyStatuses', task, 1, 2)).blockNumber;
    last = (await chain.send('emitManyStatuses', task, 1, 5)).blockNumber;
    blocks = [first, first + 1, third, fourth, last];
    expect(blocks).toEqual([first, first + 1, first + 2, first + 3, first + 4]);
  });

  const logCount = async (from: number, to: number) =>
    ((await getLogs(chain.url, from, to)).json?.result as unknown[]).length;

  it.each(['infura-results', 'alchemy-results'] as const)(
    'rejects too many logs in the %s style with a suggested range that starts at fromBlock and fits the cap',
    async (capStyle) => {
      const proxy = await startProxy({ maxResults, capStyle });
      expect(await logCount(first, last)).toBe(14);

      for (const [from, expected] of [
        [first, [first, first + 1]], // 3 + 0 logs; the next block would make 7
        [first + 2, [first + 2, first + 3]], // 4 + 2 = exactly the cap
      ] as const) {
        const rejected = await getLogs(proxy.url, from, last);
        expect(rejected.status).toBe(capStyle === 'alchemy-results' ? 400 : 200);
        const { code, message } = rejected.json!.error!;
        expect(code).toBe(capStyle === 'alchemy-results' ? -32602 : -32005);
        expect(message).toMatch(
          capStyle === 'alchemy-results'
            ? /^Log response size exceeded\. .*Based on your parameters, this block range should work: \[0x[0-9a-f]+, 0x[0-9a-f]+\]$/
            : /^query returned more than 6 results\. Try with this block range \[0x[0-9a-f]+, 0x[0-9a-f]+\]\.$/,
        );
        const [start, end] = suggestedRange(message);
        expect([start, end]).toEqual(expected);

        const suggested = await getLogs(proxy.url, start, end);
        expect(suggested.status).toBe(200);
        expect((suggested.json?.result as unknown[]).length).toBeLessThanOrEqual(maxResults);
        expect(await logCount(start, end + 1)).toBeGreaterThan(maxResults);
      }
      expect(proxy.capRejections()).toEqual({ range: 0, results: 2, byStyle: { [capStyle]: 2 } });
    },
  );

  it('suggests at least one block even when that block alone is over the cap', async () => {
    const proxy = await startProxy({ maxResults: 2, capStyle: 'infura-results' });
    const answer = await getLogs(proxy.url, first, last);
    expect(suggestedRange(answer.json!.error!.message)).toEqual([first, first]);
    expect(answer.json!.error!.data).toEqual({ from: hex(first), to: hex(first), limit: 2 });
  });

  it.each([
    ['too-many-results', 'query returned more than 6 results'],
    ['query-timeout', 'Query timeout exceeded. Consider reducing your block range.'],
  ] as const)('rejects too many logs in the %s style, without a suggestion', async (capStyle, message) => {
    const proxy = await startProxy({ maxResults, capStyle });
    const answer = await getLogs(proxy.url, first, last);
    expect(answer.status).toBe(200);
    expect(answer.json?.error).toEqual({ code: -32005, message });
  });

  it('passes answers within the cap, and rotates through every result style', async () => {
    const proxy = await startProxy({ maxResults, maxBlockRange: 100 });
    expect((await getLogs(proxy.url, first + 2, first + 3)).json?.result).toHaveLength(6);
    for (let i = 0; i < RESULT_CAP_STYLES.length; i++) await getLogs(proxy.url, first, last);
    expect(proxy.calls.map((c) => c.outcome)).toEqual(['ok', ...RESULT_CAP_STYLES.map(() => 'cap-results')]);
    expect(proxy.calls.slice(1).map((c) => c.capStyle)).toEqual(RESULT_CAP_STYLES);
  });

  it('applies only the given styles that fit the violated cap', async () => {
    const styles: CapStyle[] = ['too-wide', 'query-timeout'];
    const proxy = await startProxy({ maxResults, maxBlockRange: 5, capStyle: styles });
    await getLogs(proxy.url, first, last);
    await getLogs(proxy.url, first - 10, last);
    expect(proxy.calls.map((c) => c.capStyle)).toEqual(['query-timeout', 'too-wide']);
  });
});

describe('lagging backend', () => {
  /** Sends `count` TaskPublished transactions, one per new block; their blocks, the last being the head. */
  async function publishInNewBlocks(count: number): Promise<number[]> {
    const blocks: number[] = [];
    for (let i = 0; i < count; i++)
      blocks.push((await chain.send('emitTaskPublished', randomAddress(), randomAddress())).blockNumber);
    expect(await headNow()).toBe(blocks.at(-1));
    return blocks;
  }

  /** The head now (ethers' `getBlockNumber` may answer from a cache of its last 250 ms). */
  const headNow = async (): Promise<number> =>
    Number.parseInt((await call(chain.url, 'eth_blockNumber')).json?.result as string, 16);

  const blocksOf = (answer: RpcAnswer): number[] =>
    (answer.json?.result as { blockNumber: string }[]).map((log) => Number.parseInt(log.blockNumber, 16));

  const block = (url: string, tag: string, id = 3) => call(url, 'eth_getBlockByNumber', [tag, false], id);

  const hashOf = async (n: number): Promise<string> =>
    ((await block(chain.url, hex(n))).json?.result as { hash: string }).hash;

  const lagged = (proxy: FaultyRpcProxy) => proxy.calls.map((c) => [c.outcome, c.lagging]);

  it("'silent' leaves out the logs of blocks above the lagging head and answers [] for a range entirely above it", async () => {
    const blocks = await publishInNewBlocks(3);
    const [first, , head] = blocks as [number, number, number];
    const proxy = await startProxy({ lagging: { rate: 1, blocks: 2 } });

    const real = await getLogs(chain.url, first, head);
    const answer = await getLogs(proxy.url, first, head);
    expect(blocksOf(real)).toEqual(blocks);
    expect(answer.status).toBe(200);
    expect(blocksOf(answer)).toEqual([first]);
    expect(answer.json?.result).toEqual((await getLogs(chain.url, first, first)).json?.result);

    expect((await getLogs(proxy.url, head - 1, head)).json?.result).toEqual([]);
    expect((await getLogs(proxy.url, first, first)).json?.result).toEqual((real.json?.result as unknown[]).slice(0, 1));
  });

  it("'silent' records the lagging head and how many logs it left out", async () => {
    const [first, , head] = (await publishInNewBlocks(3)) as [number, number, number];
    const proxy = await startProxy({ lagging: { rate: 1, blocks: 2 } });

    await getLogs(proxy.url, first, head);
    await getLogs(proxy.url, head - 1, head);
    await getLogs(proxy.url, first, first);

    expect(lagged(proxy)).toEqual([
      ['lagging', { head: head - 2, effect: 'logs-dropped', droppedLogs: 2 }],
      ['lagging', { head: head - 2, effect: 'logs-dropped', droppedLogs: 2 }],
      ['lagging', { head: head - 2, effect: 'same', droppedLogs: 0 }],
    ]);
  });

  it("'error' answers HTTP 200 and -32602 \"block range extends beyond current head block\" to a toBlock past the lagging head, the real logs within it, and reads 'latest' as its own head", async () => {
    const [first, , head] = (await publishInNewBlocks(3)) as [number, number, number];
    const proxy = await startProxy({ lagging: { rate: 1, blocks: 2, style: 'error' } });

    const refused = await call(proxy.url, 'eth_getLogs', [{ fromBlock: hex(first), toBlock: hex(head) }], 11);
    expect(refused.status).toBe(200);
    expect(refused.json).toEqual({
      jsonrpc: '2.0',
      id: 11,
      error: { code: -32602, message: 'block range extends beyond current head block' },
    });
    expect(blocksOf(await getLogs(chain.url, first, head))).toHaveLength(3);

    const within = await getLogs(proxy.url, first, head - 2);
    expect(within.json?.result).toEqual((await getLogs(chain.url, first, head - 2)).json?.result);
    expect(blocksOf(within)).toEqual([first]);

    const toLatest = await getLogs(proxy.url, first, 'latest');
    expect(toLatest.json?.result).toEqual(within.json?.result);
    expect(blocksOf(await getLogs(chain.url, first, 'latest'))).toHaveLength(3);

    expect(proxy.calls.map((c) => c.lagging?.effect)).toEqual(['range-error', 'same', 'lagging-head']);
  });

  it('answers eth_getLogs by blockHash of a block above the lagging head with -32000 "unknown block", as a node does for a hash it has not seen', async () => {
    const [first, , head] = (await publishInNewBlocks(3)) as [number, number, number];
    const proxy = await startProxy({ lagging: { rate: 1, blocks: 2 } });
    const byHash = (url: string, blockHash: string) =>
      call(url, 'eth_getLogs', [{ address: chain.nexusAddress, blockHash }], 12);

    const unknown = await byHash(proxy.url, await hashOf(head));
    expect(unknown.status).toBe(200);
    expect(unknown.json).toEqual((await byHash(chain.url, `0x${'ab'.repeat(32)}`)).json);
    expect(unknown.json?.error).toEqual({ code: -32000, message: 'unknown block' });
    expect(blocksOf(await byHash(chain.url, await hashOf(head)))).toEqual([head]);

    const known = await byHash(proxy.url, await hashOf(first));
    expect(known.json).toEqual((await byHash(chain.url, await hashOf(first))).json);
    expect(blocksOf(known)).toEqual([first]);

    expect(lagged(proxy)).toEqual([
      ['lagging', { head: head - 2, effect: 'unknown-block', droppedLogs: 0 }],
      ['lagging', { head: head - 2, effect: 'same', droppedLogs: 0 }],
    ]);
  });

  it("answers eth_getBlockByNumber('latest') and eth_blockNumber with the lagging head, and a block above it with null, by number or by hash", async () => {
    await chain.mine(4);
    const head = await headNow();
    const proxy = await startProxy({
      lagging: { rate: 1, blocks: 3, methods: ['eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_blockNumber'] },
    });

    const latest = await block(proxy.url, 'latest');
    expect(latest.json).toEqual((await block(chain.url, hex(head - 3))).json);
    expect((await block(chain.url, 'latest')).json?.result).toHaveProperty('number', hex(head));
    expect((await call(proxy.url, 'eth_blockNumber', [], 4)).json).toEqual({
      jsonrpc: '2.0',
      id: 4,
      result: hex(head - 3),
    });

    for (const above of [head - 2, head]) {
      expect((await block(chain.url, hex(above))).json?.result).toHaveProperty('number', hex(above));
      expect((await block(proxy.url, hex(above))).json).toEqual({ jsonrpc: '2.0', id: 3, result: null });
      const byHash = await call(proxy.url, 'eth_getBlockByHash', [await hashOf(above), false], 5);
      expect(byHash.json).toEqual({ jsonrpc: '2.0', id: 5, result: null });
    }
    expect((await block(proxy.url, hex(head - 3))).json).toEqual((await block(chain.url, hex(head - 3))).json);

    expect(proxy.calls.map((c) => [c.method, c.lagging?.effect])).toEqual([
      ['eth_getBlockByNumber', 'lagging-head'],
      ['eth_blockNumber', 'lagging-head'],
      ['eth_getBlockByNumber', 'no-block'],
      ['eth_getBlockByHash', 'no-block'],
      ['eth_getBlockByNumber', 'no-block'],
      ['eth_getBlockByHash', 'no-block'],
      ['eth_getBlockByNumber', 'same'],
    ]);
  });

  it('at rate 0 forwards every call unchanged and asks the node nothing more; a lagged call asks the real head first', async () => {
    const [first, , head] = (await publishInNewBlocks(3)) as [number, number, number];
    const node = await startProxy(); // in front of anvil: records what reaches the node
    const lagging: LaggingOptions = {
      rate: 0,
      blocks: 2,
      methods: ['eth_getLogs', 'eth_getBlockByNumber', 'eth_blockNumber'],
    };
    const proxy = await startProxy({ lagging }, node.url);

    const requests = [
      ['eth_getLogs', [{ address: chain.nexusAddress, fromBlock: hex(first), toBlock: hex(head) }]],
      ['eth_getBlockByNumber', ['latest', false]],
      ['eth_blockNumber', []],
    ] as const;
    for (const [method, params] of requests) {
      const proxied = await call(proxy.url, method, [...params], 21);
      expect(proxied.json).toEqual((await call(chain.url, method, [...params], 21)).json);
    }
    expect(blocksOf(await getLogs(proxy.url, first, head))).toHaveLength(3);
    expect(proxy.calls.map((c) => c.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(proxy.laggingAnswers().total).toBe(0);
    expect(node.calls.map((c) => c.method)).toEqual([...requests.map(([method]) => method), 'eth_getLogs']);

    proxy.configure({ lagging: { ...lagging, rate: 1 } });
    node.reset();
    expect(blocksOf(await getLogs(proxy.url, first, head))).toEqual([first]);
    expect(node.calls.map((c) => c.method)).toEqual(['eth_blockNumber', 'eth_getLogs']);
  });

  it('counts the lagged calls per method and per effect, and the logs it left out', async () => {
    const [first, , head] = (await publishInNewBlocks(3)) as [number, number, number];
    const proxy = await startProxy({
      lagging: { rate: 1, methods: ['eth_getLogs', 'eth_getBlockByNumber', 'eth_chainId'] },
    });

    await getLogs(proxy.url, first, head); // the head's log left out
    await getLogs(proxy.url, first, head - 1); // all within the lagging head
    await block(proxy.url, 'latest');
    await block(proxy.url, hex(head));
    await call(proxy.url, 'eth_chainId'); // listed: answered by the lagging node, the same
    await call(proxy.url, 'eth_blockNumber'); // not listed: the real node

    expect(proxy.laggingAnswers()).toEqual({
      total: 5,
      byMethod: { eth_getLogs: 2, eth_getBlockByNumber: 2, eth_chainId: 1 },
      byEffect: { 'logs-dropped': 1, 'range-error': 0, 'unknown-block': 0, 'no-block': 1, 'lagging-head': 1, same: 2 },
      droppedLogs: 1,
    });
    expect(proxy.calls.map((c) => c.outcome)).toEqual(['lagging', 'lagging', 'lagging', 'lagging', 'lagging', 'ok']);
    expect(proxy.faults()).toEqual(new FaultyRpcProxy(chain.url).faults()); // no fault counted
  });

  it('gives a call one treatment: a fault, else the range cap, else the lagging node, whose answer skips the result cap; a slow answer may lag', async () => {
    const task = randomAddress();
    const a = (await chain.send('emitManyStatuses', task, 1, 3)).blockNumber; // 3 logs
    const [b, c] = (await publishInNewBlocks(2)) as [number, number];
    expect([b, c]).toEqual([a + 1, a + 2]);
    const lagging: LaggingOptions = { rate: 1, blocks: 2 }; // lagging head: a
    const proxy = await startProxy({ lagging, maxBlockRange: 2, maxResults: 2, slowMs: 50 });

    proxy.failNext('rpc-server');
    expect((await getLogs(proxy.url, a, c)).json?.error).toEqual({ code: -32000, message: 'header not found' });
    expect((await getLogs(proxy.url, a, c)).json?.error?.message).toMatch(/range|limit|wide/);
    const laggedAnswer = await getLogs(proxy.url, a, b);
    expect(blocksOf(laggedAnswer)).toEqual([a, a, a]); // more than maxResults, yet not rejected

    proxy.configure({ lagging: undefined });
    expect((await getLogs(proxy.url, a, b)).json?.error?.message).toMatch(/results|timeout/i);

    proxy.configure({ lagging });
    proxy.failNext('slow');
    expect(blocksOf(await getLogs(proxy.url, a, b))).toEqual([a, a, a]);

    expect(proxy.calls.map((call) => [call.outcome, call.lagging?.effect])).toEqual([
      ['rpc-server', undefined],
      ['cap-range', undefined],
      ['lagging', 'logs-dropped'],
      ['cap-results', undefined],
      ['slow', 'logs-dropped'],
    ]);
  });

  it('draws which calls lag from the seed, on a PRNG of its own: faults do not move the lagging draws nor the reverse', async () => {
    const lagging: LaggingOptions = { rate: 0.5, methods: ['eth_blockNumber'] };
    const faults = { rate: 0.3, kinds: ['rpc-internal'] as const };
    const run = async (options: FaultyRpcProxyOptions) => {
      const proxy = await startProxy({ seed: 3, ...options });
      for (let i = 0; i < 40; i++) await call(proxy.url, 'eth_blockNumber');
      return proxy.calls.map((c) => ({ lagged: c.lagging !== undefined, faulted: c.outcome === 'rpc-internal' }));
    };

    const first = await run({ lagging });
    expect(await run({ lagging })).toEqual(first);
    expect(await run({ lagging, seed: 4 })).not.toEqual(first);
    const laggedCount = first.filter((c) => c.lagged).length;
    expect(laggedCount).toBeGreaterThan(8);
    expect(laggedCount).toBeLessThan(32);

    const both = await run({ lagging, ...faults });
    const faultsOnly = await run(faults);
    expect(both.map((c) => c.faulted)).toEqual(faultsOnly.map((c) => c.faulted));
    expect(both.some((c) => c.faulted)).toBe(true);
    // A call a fault took is not lagged; every other lags exactly where it did without faults.
    expect(both.map((c) => c.lagged)).toEqual(first.map((c, i) => c.lagged && !both[i]!.faulted));
  });

  it('leaves a batch alone, as the caps do', async () => {
    const proxy = await startProxy({ lagging: { rate: 1, blocks: 5, methods: ['eth_blockNumber'] } });
    const head = await headNow();

    const answer = await post(proxy.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
    ]);
    expect(JSON.parse(answer.text)).toEqual([
      expect.objectContaining({ id: 1, result: hex(head) }),
      expect.objectContaining({ id: 2, result: hex(head) }),
    ]);
    expect((await call(proxy.url, 'eth_blockNumber')).json?.result).toBe(hex(head - 5));
    expect(proxy.calls.map((c) => [c.batch, c.outcome])).toEqual([
      [true, 'ok'],
      [true, 'ok'],
      [false, 'lagging'],
    ]);
  });

  it('answers 502 when the node cannot be reached to learn its head', async () => {
    const proxy = await startProxy({ lagging: { rate: 1 } }, `http://127.0.0.1:${await freePort()}`);
    const answer = await getLogs(proxy.url, 0, 1);
    expect(answer.status).toBe(502);
    expect(proxy.calls.map((c) => [c.outcome, c.lagging])).toEqual([['upstream-down', undefined]]);
  });

  it.each([
    [{ rate: 1.5 }, /lagging\.rate must be within 0\.\.1/],
    [{ rate: -0.1 }, /lagging\.rate/],
    [{ rate: 1, blocks: 0 }, /lagging\.blocks must be a positive integer/],
    [{ rate: 1, blocks: 1.5 }, /lagging\.blocks/],
    [{ rate: 1, style: 'loud' as never }, /lagging\.style/],
    [{ rate: 1, methods: [] }, /lagging\.methods must not be empty/],
  ] satisfies [LaggingOptions, RegExp][])('rejects the lagging options %j', (lagging, message) => {
    expect(() => new FaultyRpcProxy(chain.url, { lagging })).toThrow(message);
    expect(() => new FaultyRpcProxy(chain.url).configure({ lagging })).toThrow(RangeError);
  });

  it('fills in the defaults: one block behind, silent, eth_getLogs only', () => {
    expect(new FaultyRpcProxy(chain.url, { lagging: { rate: 0.2 } }).options.lagging).toEqual({
      rate: 0.2,
      blocks: 1,
      style: 'silent',
      methods: ['eth_getLogs'],
    });
    expect(new FaultyRpcProxy(chain.url).options.lagging).toBeUndefined();
  });
});

describe('what ethers makes of it', () => {
  const network = Network.from(31337);
  const provider = (url: string) => {
    const request = new FetchRequest(url);
    request.retryFunc = async () => false; // no throttle retry: surface the 429
    return new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
  };

  it('surfaces a 429 as SERVER_ERROR with the status, Retry-After and the JSON-RPC body', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['http-429'], retryAfterSeconds: 1 });
    const ethers = provider(proxy.url);
    try {
      const error: unknown = await ethers.send('eth_blockNumber', []).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'SERVER_ERROR',
        info: { responseStatus: '429 Too Many Requests', responseBody: expect.stringContaining('"code":-32005') },
        response: { statusCode: 429, headers: { 'retry-after': '1' } },
      });
    } finally {
      ethers.destroy();
    }
  });

  it('surfaces a cap error sent with HTTP 400 as SERVER_ERROR with the body, and one sent with 200 as the JSON-RPC error', async () => {
    const proxy = await startProxy({ maxBlockRange: 2, capStyle: ['alchemy-range', 'infura-range'] });
    const ethers = provider(proxy.url);
    const filter = { address: chain.nexusAddress, fromBlock: '0x1', toBlock: '0x9' };
    try {
      await expect(ethers.send('eth_getLogs', [filter])).rejects.toMatchObject({
        code: 'SERVER_ERROR',
        info: { responseStatus: '400 Bad Request', responseBody: expect.stringContaining('should work: [0x1, 0x2]') },
      });
      await expect(ethers.send('eth_getLogs', [filter])).rejects.toMatchObject({
        error: { code: -32602, message: 'range 9 exceeds limit of 2' },
      });
    } finally {
      ethers.destroy();
    }
  });

  it('surfaces a reset as a socket error', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['reset'] });
    const ethers = provider(proxy.url);
    try {
      await expect(ethers.send('eth_blockNumber', [])).rejects.toMatchObject({ code: 'ECONNRESET' });
    } finally {
      ethers.destroy();
    }
  });
});
