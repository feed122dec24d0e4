import { type Observable, Subscription, firstValueFrom, filter, take, timeout, toArray } from 'rxjs';
import {
  NEXUS_EVENT_TOPICS,
  type NexusDiagnostic,
  type NexusEvents,
  type NexusEventsOptions,
  RpcRequestError,
  RpcUnavailableError,
  TaskStatus,
  type TaskStatusChangedEvent,
  createNexusEvents,
} from 'ogpu-events';
import { FAULT_KINDS, FaultyRpcProxy } from '../support/FaultyRpcProxy';
import { polls, revert, snapshot } from '../support/reorgs';
import { collect, sleep, waitFor } from '../support/streams';
import { type TestChain, randomAddress, startTestChain } from '../support/testChain';

let chain: TestChain;

beforeAll(async () => {
  chain = await startTestChain();
});
afterAll(async () => {
  await chain.stop();
});

/** Starts a proxy in front of the test chain, stopped after the test. */
const proxies: FaultyRpcProxy[] = [];
async function startProxy(options: ConstructorParameters<typeof FaultyRpcProxy>[1] = {}): Promise<FaultyRpcProxy> {
  const proxy = await new FaultyRpcProxy(chain.url, options).start();
  proxies.push(proxy);
  return proxy;
}
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** A client through `proxy`, with fast polling and short backoff so that tests take seconds. */
function clientVia(
  proxy: FaultyRpcProxy,
  options: Partial<NexusEventsOptions> = {},
): { nexus: NexusEvents; diagnostics: NexusDiagnostic[] } {
  const nexus = createNexusEvents({
    rpcUrl: proxy.url,
    address: chain.nexusAddress,
    pollInterval: 50,
    requestTimeout: 500,
    retry: { initialDelay: 10, maxDelay: 100 },
    ...options,
  });
  const diagnostics: NexusDiagnostic[] = [];
  nexus.diagnostics$.subscribe((d) => diagnostics.push(d));
  return { nexus, diagnostics };
}

const key = (log: { transactionHash: string; logIndex: number }): string => `${log.transactionHash}:${log.logIndex}`;

/** The TaskStatusChanged logs of `task` in `[fromBlock, toBlock]`, straight from the node: the ground truth. */
async function statusLogsOf(task: string, fromBlock: number, toBlock: number): Promise<string[]> {
  const logs = await chain.provider.getLogs({
    address: chain.nexusAddress,
    topics: [NEXUS_EVENT_TOPICS.TaskStatusChanged],
    fromBlock,
    toBlock,
  });
  const word = task.toLowerCase().slice(2).padStart(64, '0');
  return logs
    .filter((log) => log.data.slice(2, 66) === word)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
    .map((log) => `${log.transactionHash}:${log.index}`);
}

const kinds = (diagnostics: readonly NexusDiagnostic[]): Set<string> => new Set(diagnostics.map((d) => d.kind));

describe('transient faults', () => {
  it('delivers every event exactly once and in order through 30% mixed faults (429, 5xx, resets, timeouts, JSON-RPC errors)', async () => {
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    // History for the backfill, spread over blocks and several logs per transaction.
    for (let i = 0; i < 6; i += 1) {
      await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 5);
      await chain.mine(3);
    }
    const proxy = await startProxy({ rate: 0.3, kinds: FAULT_KINDS, seed: 7, slowMs: 1_500 });
    const { nexus, diagnostics } = clientVia(proxy);

    const received: TaskStatusChangedEvent[] = [];
    const subscription = nexus.taskStatusChanged$(task, { fromBlock }).subscribe((e) => received.push(e));
    try {
      await waitFor(() => received.length >= 30, 30_000, 'the backfill');
      // Live part: more events while the stream runs through the same faults.
      for (let i = 0; i < 6; i += 1) {
        await chain.send('emitManyStatuses', task, TaskStatus.RESPONDED, 3);
        await chain.mine(1);
      }
      await waitFor(() => received.length >= 48, 30_000, 'the live events');
      await sleep(500); // room for a duplicate to show up, if there were one
    } finally {
      subscription.unsubscribe();
    }

    const truth = await statusLogsOf(task, fromBlock, await chain.head());
    expect(truth).toHaveLength(48);
    expect(received.map(key)).toEqual(truth);
    // The faults really happened, of several kinds, and were retried rather than fatal.
    const injected = Object.entries(proxy.faults()).filter(([, n]) => n > 0);
    expect(injected.length).toBeGreaterThanOrEqual(5);
    expect(diagnostics.filter((d) => d.kind === 'rpc-retry').length).toBeGreaterThanOrEqual(5);
  });

  it('honours Retry-After of a 429 and reports the wait', async () => {
    const proxy = await startProxy({ retryAfterSeconds: 1, methods: ['eth_getLogs'] });
    const { nexus, diagnostics } = clientVia(proxy);
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    proxy.failNext('http-429');

    const started = Date.now();
    const [event] = await collect(nexus.taskStatusChanged$(task, { fromBlock }), 1);

    expect(event?.status).toBe(TaskStatus.NEW);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const retry = diagnostics.find((d) => d.kind === 'rpc-retry');
    expect(retry).toMatchObject({ kind: 'rpc-retry', retry: 1 });
    expect(retry?.kind === 'rpc-retry' && retry.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(retry?.kind === 'rpc-retry' && retry.error).toMatchObject({ httpStatus: 429 });
  });

  it('with a bounded retry budget, fails the stream with RpcUnavailableError once it is spent', async () => {
    const proxy = await startProxy({ rate: 1, kinds: ['http-503'] });
    const { nexus, diagnostics } = clientVia(proxy, { retry: { maxRetries: 2, initialDelay: 10 } });

    const failure = await firstValueFrom(nexus.registered$(randomAddress()).pipe(toArray(), timeout(10_000))).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(RpcUnavailableError);
    const error = failure as RpcUnavailableError;
    expect(error.code).toBe('RPC_UNAVAILABLE');
    expect(error.attempts).toBe(3);
    expect(error.cause).toBeInstanceOf(RpcRequestError);
    expect((error.cause as RpcRequestError).httpStatus).toBe(503);
    // Each request got its two retries, never a third (requests in parallel each report their own).
    const retries = diagnostics.flatMap((d) => (d.kind === 'rpc-retry' ? [d.retry] : []));
    expect(new Set(retries)).toEqual(new Set([1, 2]));
  });

  it('abandons a request that does not answer within requestTimeout and asks again', async () => {
    const proxy = await startProxy({ slowMs: 3_000, methods: ['eth_getLogs'] });
    const { nexus, diagnostics } = clientVia(proxy, { requestTimeout: 200 });
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    proxy.failNext('slow');

    const started = Date.now();
    const [event] = await collect(nexus.taskStatusChanged$(task, { fromBlock }), 1);

    expect(event?.status).toBe(TaskStatus.NEW);
    expect(Date.now() - started).toBeLessThan(3_000); // did not wait for the held answer
    expect(diagnostics.find((d) => d.kind === 'rpc-retry')).toMatchObject({ reason: expect.stringMatching(/200 ms/) });
  });
});

describe('block-range and result caps', () => {
  const task = randomAddress();
  let fromBlock = 0;
  let toBlock = 0;
  let truth: string[] = [];

  beforeAll(async () => {
    fromBlock = (await chain.head()) + 1;
    // Sparse events over ~3000 blocks, then a dense stretch where 4 blocks hold 1200 logs.
    for (let i = 0; i < 6; i += 1) {
      await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 5);
      await chain.mine(500);
    }
    for (let i = 0; i < 4; i += 1) await chain.send('emitManyStatuses', task, TaskStatus.RESPONDED, 300);
    await chain.mine(100);
    toBlock = await chain.head();
    truth = await statusLogsOf(task, fromBlock, toBlock);
  }, 60_000);

  // Each run meets the caps worded by one block-range style and one result style of a real provider.
  it.each([
    ['infura-range', 'infura-results'],
    ['too-wide', 'alchemy-results'],
    ['max-block-range', 'too-many-results'],
    ['quicknode-range', 'query-timeout'],
    ['alchemy-range', 'infura-results'],
  ] as const)(
    'backfills thousands of blocks under a 500-block cap (%s) and a 1000-result cap (%s), every event once and in order',
    async (rangeStyle, resultStyle) => {
      expect(toBlock - fromBlock).toBeGreaterThan(3_000);
      expect(truth).toHaveLength(1_230);
      const proxy = await startProxy({ maxBlockRange: 500, maxResults: 1_000, capStyle: [rangeStyle, resultStyle] });
      const { nexus, diagnostics } = clientVia(proxy);

      const events = await collect(nexus.taskStatusChanged$(task, { fromBlock }), truth.length, 60_000);

      expect(events.map(key)).toEqual(truth);
      const rejections = proxy.capRejections();
      expect(rejections.byStyle[rangeStyle]).toBeGreaterThan(0);
      expect(rejections.byStyle[resultStyle]).toBeGreaterThan(0);
      const splits = diagnostics.filter((d) => d.kind === 'range-split');
      // Every refusal the client saw is reported; one more may have been on its way back for
      // the range read ahead when the stream got its last event and left.
      const refused = rejections.range + rejections.results;
      expect(splits.length).toBeLessThanOrEqual(refused);
      expect(splits.length).toBeGreaterThanOrEqual(refused - 1);
      // The client learns the cap: most requests are accepted rather than refused first.
      expect(splits.length).toBeLessThan(proxy.count('eth_getLogs') / 2);
    },
  );
});

function liveStatuses(nexus: NexusEvents, task: string): { received: TaskStatusChangedEvent[]; sub: Subscription } {
  const received: TaskStatusChangedEvent[] = [];
  const sub = nexus.taskStatusChanged$(task).subscribe((e) => received.push(e));
  return { received, sub };
}

describe('reorgs', () => {
  it('confirmations 0: delivers the events of the new chain, also at heights the cursor had passed', async () => {
    const proxy = await startProxy();
    const { nexus, diagnostics } = clientVia(proxy);
    const task = randomAddress();
    const { received, sub } = liveStatuses(nexus, task);
    try {
      await polls(proxy, 2);
      const id = await snapshot(chain);
      await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // will be orphaned
      await chain.mine(4);
      await waitFor(() => received.length === 1, 10_000, 'the event of the old chain');
      await polls(proxy, 3); // the cursor is past all of it

      await revert(chain, id);
      const replacement = await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
      const final = await chain.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
      await chain.mine(5);
      await waitFor(() => received.length === 3, 10_000, 'the events of the new chain');
      await polls(proxy, 3);

      // confirmations 0: the orphaned event was delivered before the reorg; the new chain's follow, once each.
      expect(received.map((e) => e.status)).toEqual([TaskStatus.ATTEMPTED, TaskStatus.RESPONDED, TaskStatus.FINALIZED]);
      expect(received.slice(1).map(key)).toEqual([`${replacement.hash}:0`, `${final.hash}:0`]);
      expect(received[1]?.blockNumber).toBeLessThanOrEqual(received[0]?.blockNumber ?? 0); // at a height already read
      expect(diagnostics).toContainEqual(expect.objectContaining({ kind: 'reorg', deeperThanMemory: false }));
    } finally {
      sub.unsubscribe();
    }
  });

  it('confirmations 0: notices a reorg to a shorter chain and reads its new blocks', async () => {
    const proxy = await startProxy();
    const { nexus, diagnostics } = clientVia(proxy);
    const task = randomAddress();
    const { received, sub } = liveStatuses(nexus, task);
    try {
      await polls(proxy, 2);
      const id = await snapshot(chain);
      await chain.mine(6);
      await polls(proxy, 3);

      await revert(chain, id);
      await chain.send('emitTaskStatusChanged', task, TaskStatus.CANCELED); // head is now below the old one
      await waitFor(() => received.length === 1, 10_000, 'the event of the shorter chain');

      expect(received[0]?.status).toBe(TaskStatus.CANCELED);
      expect(kinds(diagnostics)).toContain('reorg');
    } finally {
      sub.unsubscribe();
    }
  });

  it('confirmations 3: an event whose block is reorged out within 3 blocks is never delivered', async () => {
    const proxy = await startProxy();
    const { nexus, diagnostics } = clientVia(proxy, { confirmations: 3 });
    const task = randomAddress();
    const { received, sub } = liveStatuses(nexus, task);
    try {
      await polls(proxy, 2);
      const id = await snapshot(chain);
      await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // orphaned with 2 blocks on top
      await chain.mine(2);
      await polls(proxy, 4);
      expect(received).toHaveLength(0);

      await revert(chain, id);
      await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
      await chain.mine(3);
      await waitFor(() => received.length >= 1, 10_000, 'the confirmed event of the new chain');
      await chain.mine(5);
      await polls(proxy, 4);

      expect(received.map((e) => e.status)).toEqual([TaskStatus.RESPONDED]);
      expect(diagnostics.filter((d) => d.kind === 'reorg')).toHaveLength(0);
    } finally {
      sub.unsubscribe();
    }
  });

  it('confirmations 3: a reorg deeper than 3 blocks rewinds and delivers the new chain without repeats', async () => {
    const proxy = await startProxy();
    const { nexus, diagnostics } = clientVia(proxy, { confirmations: 3 });
    const task = randomAddress();
    const { received, sub } = liveStatuses(nexus, task);
    try {
      await polls(proxy, 2);
      const kept = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
      const id = await snapshot(chain);
      await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED); // confirmed, then orphaned
      await chain.mine(5);
      await waitFor(() => received.length === 2, 10_000, 'two confirmed events');

      await revert(chain, id);
      await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
      await chain.mine(8);
      await waitFor(() => received.length === 3, 10_000, 'the new chain');
      await polls(proxy, 4);

      expect(received.map((e) => e.status)).toEqual([TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED]);
      expect(received[0]?.transactionHash).toBe(kept.hash); // below the fork: delivered once, not again
      expect(diagnostics).toContainEqual(expect.objectContaining({ kind: 'reorg' }));
    } finally {
      sub.unsubscribe();
    }
  });
});

describe('diagnostics', () => {
  it('tell an operator why a stream is slow: retries and range splits, with reasons', async () => {
    const proxy = await startProxy({ maxBlockRange: 50 });
    const { nexus, diagnostics } = clientVia(proxy);
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    await chain.mine(120);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    proxy.failNext('rpc-internal');

    const retries: Observable<NexusDiagnostic> = nexus.diagnostics$.pipe(filter((d) => d.kind === 'rpc-retry'));
    const firstRetry = firstValueFrom(retries.pipe(take(1), timeout(10_000)));
    await collect(nexus.taskStatusChanged$(task, { fromBlock }), 1);

    expect(await firstRetry).toMatchObject({ kind: 'rpc-retry', reason: expect.stringContaining('internal error') });
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ kind: 'range-split', reason: expect.any(String), nextSpan: expect.any(Number) }),
    );
  });
});
