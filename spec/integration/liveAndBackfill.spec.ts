import { Subscription, takeWhile, toArray, firstValueFrom, timeout } from 'rxjs';
import {
  createNexusEvents,
  type NexusEvents,
  TaskStatus,
  type TaskStatusChangedEvent,
  toAsyncIterable,
} from 'ogpu-events';
import { FaultyRpcProxy, type FaultyRpcCall } from '../support/FaultyRpcProxy';
import { isHeadRequest } from '../support/reorgs';
import { collect, sleep, waitFor } from '../support/streams';
import { randomAddress, startTestChain, type TestChain } from '../support/testChain';

let chain: TestChain;
let proxy: FaultyRpcProxy;

beforeAll(async () => {
  chain = await startTestChain();
  proxy = await new FaultyRpcProxy(chain.url).start();
});
afterAll(async () => {
  await proxy.stop();
  await chain.stop();
});

const client = (options: { pollInterval?: number; maxBlockRange?: number; confirmations?: number } = {}): NexusEvents =>
  createNexusEvents({ rpcUrl: proxy.url, address: chain.nexusAddress, pollInterval: 50, ...options });

const positions = (events: readonly TaskStatusChangedEvent[]) => events.map((e) => [e.blockNumber, e.logIndex]);
const keys = (events: readonly TaskStatusChangedEvent[]) => events.map((e) => `${e.transactionHash}:${e.logIndex}`);

/** Waits until a default-start subscription has read the head, so later events are "after subscribing". */
async function untilPolling(): Promise<void> {
  const seen = proxy.calls.filter(isHeadRequest).length;
  await waitFor(() => proxy.calls.filter(isHeadRequest).length >= seen + 2, 10_000, 'two polls');
}

describe('ordering', () => {
  it('emits events in chain order (blockNumber, logIndex), across and within transactions', async () => {
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 4);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    await chain.send('emitManyStatuses', task, TaskStatus.FINALIZED, 3);

    const events = await collect(client().taskStatusChanged$(task, { fromBlock }), 8);

    const sorted = [...positions(events)].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    expect(positions(events)).toEqual(sorted);
    expect(new Set(keys(events)).size).toBe(8);
    expect(events.map((e) => e.status)).toEqual([1, 1, 1, 1, 2, 5, 5, 5]);
  });
});

describe('start of a stream', () => {
  it('without fromBlock delivers only events mined after subscribing', async () => {
    const task = randomAddress();
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    const received: TaskStatusChangedEvent[] = [];
    const subscription = client()
      .taskStatusChanged$(task)
      .subscribe((e) => received.push(e));
    await untilPolling();
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await waitFor(() => received.length >= 1, 10_000, 'the live event');
    await sleep(200);
    subscription.unsubscribe();

    expect(received.map((e) => e.status)).toEqual([TaskStatus.ATTEMPTED]);
  });

  it('with fromBlock backfills history, then continues live with no gap and no repeat', async () => {
    const task = randomAddress();
    const fromBlock = (await chain.head()) + 1;
    for (const status of [0, 1, 2]) await chain.send('emitTaskStatusChanged', task, status);
    await chain.mine(25); // history spans many chunks of maxBlockRange: 4
    for (const status of [3, 4]) await chain.send('emitTaskStatusChanged', task, status);

    const received: TaskStatusChangedEvent[] = [];
    const subscription = client({ maxBlockRange: 4 })
      .taskStatusChanged$(task, { fromBlock })
      .subscribe((e) => received.push(e));
    await waitFor(() => received.length >= 5, 10_000, 'the backfill');
    await chain.send('emitTaskStatusChanged', task, TaskStatus.FINALIZED);
    await chain.mine(3);
    await chain.send('emitManyStatuses', task, TaskStatus.FINALIZED, 2);
    await waitFor(() => received.length >= 8, 10_000, 'the live events');
    await sleep(300);
    subscription.unsubscribe();

    expect(received.map((e) => e.status)).toEqual([0, 1, 2, 3, 4, 5, 5, 5]);
    expect(new Set(keys(received)).size).toBe(8);
  });

  it('joins a poller that is already running without losing or repeating the handoff blocks', async () => {
    const task = randomAddress();
    const nexus = client({ maxBlockRange: 3 });
    const early: TaskStatusChangedEvent[] = [];
    const running = nexus.taskStatusChanged$(task).subscribe((e) => early.push(e));
    await untilPolling();
    const fromBlock = (await chain.head()) + 1;
    await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.ATTEMPTED);
    await waitFor(() => early.length >= 2, 10_000, 'the running stream');

    const late: TaskStatusChangedEvent[] = [];
    const joining = nexus.taskStatusChanged$(task, { fromBlock }).subscribe((e) => late.push(e));
    await waitFor(() => late.length >= 2, 10_000, 'the backfill of the joining stream');
    await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    await waitFor(() => late.length >= 3 && early.length >= 3, 10_000, 'the shared live event');
    await sleep(200);
    running.unsubscribe();
    joining.unsubscribe();

    expect(late.map((e) => e.status)).toEqual([0, 1, 2]);
    expect(early.map((e) => e.status)).toEqual([0, 1, 2]);
    expect(keys(late)).toEqual(keys(early));
  });
});

describe('confirmations', () => {
  it('holds an event back until its block has `confirmations` blocks on top', async () => {
    const task = randomAddress();
    const received: TaskStatusChangedEvent[] = [];
    const subscription = client({ confirmations: 3 })
      .taskStatusChanged$(task)
      .subscribe((e) => received.push(e));
    await untilPolling();
    const { blockNumber } = await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.mine(2);
    await sleep(400);
    expect(received).toHaveLength(0);

    await chain.mine(1);
    await waitFor(() => received.length === 1, 10_000, 'the confirmed event');
    subscription.unsubscribe();
    expect(received[0]!.blockNumber).toBe(blockNumber);
  });
});

describe('completion and teardown', () => {
  it('takeWhile(…, true) completes on FINALIZED, including the FINALIZED event, and polling stops', async () => {
    const task = randomAddress();
    const done = firstValueFrom(
      client()
        .taskStatusChanged$(task)
        .pipe(
          takeWhile((e) => e.status !== TaskStatus.FINALIZED, true),
          toArray(),
          timeout(20_000),
        ),
    );
    await untilPolling();
    const response = randomAddress();
    await chain.send('publishTask', task, randomAddress());
    await chain.send('attempt', task, randomAddress(), 10n);
    await chain.send('submitResponse', task, response);
    await chain.send('confirmResponse', task, response);

    const lifecycle = await done;
    expect(lifecycle.map((e) => e.status)).toEqual([
      TaskStatus.NEW,
      TaskStatus.ATTEMPTED,
      TaskStatus.RESPONDED,
      TaskStatus.FINALIZED,
    ]);
    await expectNoMoreTraffic();
  });

  it('for await … break unsubscribes and stops polling', async () => {
    const task = randomAddress();
    const statuses: number[] = [];
    const loop = (async () => {
      for await (const event of toAsyncIterable(client().taskStatusChanged$(task))) {
        statuses.push(event.status);
        await sleep(30); // a slow loop body must not lose events
        if (event.status === TaskStatus.RESPONDED) break;
      }
    })();
    await untilPolling();
    await chain.send('emitManyStatuses', task, TaskStatus.ATTEMPTED, 3);
    await chain.send('emitTaskStatusChanged', task, TaskStatus.RESPONDED);
    await loop;

    expect(statuses).toEqual([1, 1, 1, 2]);
    await expectNoMoreTraffic();
  });
});

describe('one shared poller per client', () => {
  it('checks the Nexus code once, then costs one request per idle tick and two per tick with one new block, whatever the number of subscriptions', async () => {
    const nexus = client({ pollInterval: 100 });
    const tasks = Array.from({ length: 60 }, () => randomAddress());
    const received = new Map<string, number>();
    const subscription = new Subscription();
    await sleep(150); // let requests of earlier tests land
    proxy.reset();
    for (const task of tasks) {
      subscription.add(
        nexus.taskStatusChanged$(task).subscribe(() => received.set(task, (received.get(task) ?? 0) + 1)),
      );
      subscription.add(nexus.attempted$(task).subscribe());
    }
    await untilPolling();
    // 120 subscriptions, one poller: one eth_getCode
    expect(proxy.count('eth_getCode')).toBe(1);

    // Idle: the head is the same at every tick, so a tick is one eth_getBlockByNumber('latest').
    proxy.reset();
    let started = Date.now();
    await sleep(1_000);
    const idle = [...proxy.calls];
    expect(idle.filter((call) => !isHeadRequest(call))).toEqual([]);
    expect(idle.length).toBeGreaterThan(3);
    expect(idle.length).toBeLessThanOrEqual(ticksSince(started, 100));

    // One new block: the tick that sees it asks for the head and for the logs of that block
    // alone; the new head's parentHash vouches for the block read before, no other header.
    proxy.reset();
    const { blockNumber } = await chain.send('emitTaskStatusChanged', tasks[0], TaskStatus.NEW);
    await waitFor(() => received.get(tasks[0]!) === 1, 10_000, 'the event of the new block');
    await sleep(300);
    const oneBlock = [...proxy.calls];
    const quantity = `0x${blockNumber.toString(16)}`;
    expect(oneBlock.filter((call) => call.method === 'eth_getLogs').map((call) => rangeOf(call))).toEqual([
      [quantity, quantity],
    ]);
    expect(oneBlock.filter((call) => !isHeadRequest(call) && call.method !== 'eth_getLogs')).toEqual([]);

    // Several blocks, some mined between two ticks: at most one eth_getLogs per tick that
    // sees new blocks, plus one header (of the block read last) when it saw more than one.
    proxy.reset();
    started = Date.now();
    for (const task of tasks.slice(1, 11)) await chain.send('emitTaskStatusChanged', task, TaskStatus.NEW);
    await chain.mine(5);
    await sleep(1_000);
    const heads = proxy.calls.filter(isHeadRequest).length;
    const getLogs = proxy.count('eth_getLogs');
    const headers = proxy.calls.filter((call) => call.method === 'eth_getBlockByNumber' && !isHeadRequest(call)).length;
    const ticks = ticksSince(started, 100);
    subscription.unsubscribe();

    expect(heads).toBeGreaterThan(3);
    expect(heads).toBeLessThanOrEqual(ticks);
    expect(getLogs).toBeGreaterThan(0);
    expect(getLogs).toBeLessThanOrEqual(heads);
    expect(headers).toBeLessThanOrEqual(getLogs);
    expect(proxy.calls.length).toBe(heads + getLogs + headers);
    expect([...received.values()].reduce((a, b) => a + b, 0)).toBe(11);
    await expectNoMoreTraffic();
  });
});

/** The most poll ticks that can have started since `started`, every `interval` ms. */
const ticksSince = (started: number, interval: number): number => Math.ceil((Date.now() - started) / interval) + 1;

/** The `[fromBlock, toBlock]` of an eth_getLogs call, as sent. */
const rangeOf = (call: FaultyRpcCall): [unknown, unknown] => {
  const [filter] = call.params as [{ fromBlock: unknown; toBlock: unknown }];
  return [filter.fromBlock, filter.toBlock];
};

/** After the last subscriber left, the node sees no request at all. */
async function expectNoMoreTraffic(): Promise<void> {
  await sleep(150); // let a request already in flight land
  const before = proxy.calls.length;
  await sleep(400);
  expect(proxy.calls.slice(before)).toEqual([]);
}
